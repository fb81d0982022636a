"""`lz deploy / status / rollback / undeploy` against a moto server, through the real CLI (and, for
fault injection, the same engine in-process), with boto3 talking HTTP to moto as it would to AWS."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from tests.builders import make
from tests.cli.conftest import REGION, free_port, lz, need_python, project_copy, reset_moto
from tests.cli.stage import NAME, boto3_s3, clients, deploy, rules, settings

moto_server = pytest.importorskip("moto.server")
pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return project_copy(tmp_path, "example_flask")




def test_deploy_from_scratch_creates_the_stage(aws_env, project: Path) -> None:
    result = deploy(aws_env, project)
    url = result.stdout.strip()
    assert url.startswith("https://") and ".execute-api." in url
    assert "code uploaded" in result.stderr and "no code uploaded" not in result.stderr
    c = clients()
    fn = c["lambda"].get_function(FunctionName=NAME, Qualifier="live")
    config = fn["Configuration"]
    assert config["Runtime"] == "python3.13" and config["Handler"] == "lz_handler.handler"
    assert config["MemorySize"] == 512 and config["Version"] == "1"
    # the stage's tags, and the record of its optional features (resources/features.py)
    assert fn["Tags"] == {"lz:project": "example-flask", "lz:stage": "dev",
                          "lz:features": "http_api schedules workflows"}
    assert c["logs"].describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{NAME}")["logGroups"][0]["retentionInDays"] == 30
    api = next(a for a in c["apigatewayv2"].get_apis()["Items"] if a["Name"] == NAME)
    integration = c["apigatewayv2"].get_integrations(ApiId=api["ApiId"])["Items"][0]
    assert integration["IntegrationUri"].endswith(f"function:{NAME}:live")
    assert integration["PayloadFormatVersion"] == "2.0"
    policy = json.loads(c["lambda"].get_policy(FunctionName=NAME, Qualifier="live")["Policy"])
    [grant] = [s for s in policy["Statement"] if s["Sid"] == "lz-http-api"]  # others: schedule, bucket
    source = grant["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert source.endswith(f":{api['ApiId']}/*")  # only this API may invoke


def test_unchanged_redeploy_uploads_nothing_and_plans_nothing(aws_env, project: Path) -> None:
    deploy(aws_env, project)
    sha = clients()["lambda"].get_function(FunctionName=NAME)["Configuration"]["CodeSha256"]
    again = deploy(aws_env, project)
    assert "nothing to change" in again.stderr
    assert "no code uploaded" in again.stderr and "(0 writes)" in again.stderr
    assert clients()["lambda"].get_function(FunctionName=NAME)["Configuration"]["CodeSha256"] == sha
    assert clients()["lambda"].get_alias(FunctionName=NAME, Name="live")["FunctionVersion"] == "1"


def test_code_change_uploads_and_moves_live(aws_env, project: Path) -> None:
    deploy(aws_env, project)
    (project / "app.py").write_text((project / "app.py").read_text() + "\n# v2\n")
    result = deploy(aws_env, project)
    assert "code changed" in result.stderr and "code uploaded" in result.stderr
    assert clients()["lambda"].get_alias(FunctionName=NAME, Name="live")["FunctionVersion"] == "2"


def test_memory_change_updates_configuration_only_and_rollback_restores_it(aws_env, project: Path) -> None:
    deploy(aws_env, project)
    settings(project, memory=1024)
    result = deploy(aws_env, project)
    assert "memory 512 -> 1024" in result.stderr and "no code uploaded" in result.stderr
    lam = clients()["lambda"]
    assert lam.get_function(FunctionName=NAME, Qualifier="live")["Configuration"]["MemorySize"] == 1024
    back = lz(aws_env, "rollback", "dev", "--project", str(project))
    assert back.returncode == 0 and "live: version 2 -> 1" in back.stdout
    assert lam.get_function(FunctionName=NAME, Qualifier="live")["Configuration"]["MemorySize"] == 512
    status = lz(aws_env, "status", "dev", "--project", str(project))
    assert "version behind live  1" in status.stdout and "memory 512 -> 1024" not in status.stdout
    assert "drift from settings" in status.stdout  # the settings say 1024 now
    bad = lz(aws_env, "rollback", "dev", "--to", "7", "--project", str(project))
    assert bad.returncode == 1 and "has no version 7; published versions: 1, 2" in bad.stderr


def test_switching_front_to_function_url_deletes_the_http_api(aws_env, project: Path) -> None:
    deploy(aws_env, project)
    settings(project, http="function_url")
    result = deploy(aws_env, project)
    assert ".lambda-url." in result.stdout
    c = clients()
    assert not [a for a in c["apigatewayv2"].get_apis()["Items"] if a["Name"] == NAME]
    assert c["lambda"].get_function_url_config(FunctionName=NAME, Qualifier="live")["AuthType"] == "NONE"
    sids = {s["Sid"] for s in json.loads(c["lambda"].get_policy(FunctionName=NAME, Qualifier="live")["Policy"])["Statement"]}
    assert "lz-function-url" in sids and "lz-http-api" not in sids
    assert {sid for sid in sids if not sid.startswith(("lz-rule-", "lz-s3-"))} == \
        {"lz-function-url", "lz-function-url-invoke"}  # both, since Oct 2025 (test_aws_documented)


def test_undeploy_leaves_nothing_tagged(aws_env, project: Path) -> None:
    deploy(aws_env, project)
    result = lz(aws_env, "undeploy", "dev", "--yes", "--project", str(project))
    assert result.returncode == 0
    for line in ["deleted http_api: example-flask-dev", "deleted function: example-flask-dev",
                 "deleted logs: /aws/lambda/example-flask-dev", "deleted role: example-flask-dev-lambda"]:
        assert line in result.stdout
    c = clients()
    tagged = c["resourcegroupstaggingapi"].get_resources(
        TagFilters=[{"Key": "lz:project", "Values": ["example-flask"]}])["ResourceTagMappingList"]
    assert tagged == []
    assert not [r for r in c["iam"].list_roles()["Roles"] if r["RoleName"].startswith("example-flask")]
    assert not [a for a in c["apigatewayv2"].get_apis()["Items"] if a["Name"] == NAME]
    again = lz(aws_env, "undeploy", "dev", "--yes", "--project", str(project))
    assert "nothing deleted" in again.stderr


def test_execution_role_policy_has_no_wildcards(aws_env, project: Path) -> None:
    deploy(aws_env, project)
    doc = clients()["iam"].get_role_policy(RoleName=f"{NAME}-lambda", PolicyName="lz")["PolicyDocument"]
    doc = doc if isinstance(doc, dict) else json.loads(doc)
    for statement in doc["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert all("*" not in action for action in actions), actions
        assert "*" not in resources
        # the stage's own resources, or (read only) the objects its @on_s3 handler is told about
        assert all(NAME in resource or resource == "arn:aws:s3:::example-flask-uploads-dev/incoming/*"
                   for resource in resources), resources


def test_the_deployed_zip_runs_behind_its_front(aws_env, project: Path) -> None:
    python = need_python("3.13")
    deploy(aws_env, project)
    import base64
    import hashlib

    from moto.awslambda.utils import get_backend

    from lz.cli.local.runner import LocalFunction

    # moto keeps directly uploaded code in memory and does not serve the Location it reports, so
    # the zip is taken from the (in-process) server's store and checked against the API's digest.
    deployed = clients()["lambda"].get_function(FunctionName=NAME, Qualifier="live")["Configuration"]
    data = get_backend("123456789012", REGION).get_function(NAME, "live").code_bytes
    assert base64.b64encode(hashlib.sha256(data).digest()).decode() == deployed["CodeSha256"]
    bundle = project / "fetched.zip"
    bundle.write_bytes(data)
    assert zipfile.ZipFile(bundle).testzip() is None
    with LocalFunction(bundle, "3.13", python=python) as fn:
        inv = fn.invoke(make("http_v2", path="/api/items"))
    assert inv.ok, (inv.describe(), inv.log)
    assert inv.ok and inv.result["statusCode"] == 200
    assert json.loads(inv.result["body"])["items"][0]["name"] == "kettle"


def _counts() -> dict[str, object]:
    c = clients()
    apis = [a for a in c["apigatewayv2"].get_apis()["Items"] if a["Name"] == NAME]
    parts = {}
    if apis:
        api_id = apis[0]["ApiId"]
        parts = {k: len(getattr(c["apigatewayv2"], f"get_{k}")(ApiId=api_id)["Items"])
                 for k in ("integrations", "routes", "stages")}
    functions = [f for f in c["lambda"].list_functions()["Functions"] if f["FunctionName"] == NAME]
    return {
        "roles": len([r for r in c["iam"].list_roles()["Roles"] if r["RoleName"] == f"{NAME}-lambda"]),
        "log groups": len(c["logs"].describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{NAME}")["logGroups"]),
        "functions": len(functions),
        "apis": len(apis), **parts,
        "live": c["lambda"].get_alias(FunctionName=NAME, Name="live")["FunctionVersion"] if functions else None,
        "permissions": len(json.loads(c["lambda"].get_policy(FunctionName=NAME, Qualifier="live")["Policy"])["Statement"])
        if functions else 0,
        "rules": len(rules()),
        "s3 notifications": len(boto3_s3().get_bucket_notification_configuration(
            Bucket="example-flask-uploads-dev").get("LambdaFunctionConfigurations", [])),
    }


def test_a_deploy_interrupted_at_any_step_converges_when_run_again(aws_env, project: Path) -> None:
    """Deploys stopped one after another as their second step starts (the steps run as a graph,
    independent ones side by side: whatever else had started finishes, nothing new starts): each
    next deploy plans exactly the steps that were not done, the last one nothing, and nothing was
    made twice (tests/cli/interrupted.py)."""
    from lz.cli.aws import Aws
    from lz.cli.bundle import build
    from lz.cli.deploy.operations import deploy as run
    from lz.cli.settings import load
    from tests.cli.interrupted import chain, key

    stage = load(project, "dev")
    bundle = build(stage)
    full = run(Aws(REGION), stage, bundle.path, bundle.handler, dry_run=True, show_plan=lambda s: None)
    # role x2, logs, function x3 (create, publish, async settings), HTTP API x5, the example's daily
    # schedule, its S3 notification, its restock workflow's role and state machine, the record of
    # the stage's features (last)
    assert len(full.steps) == 16
    links = chain(lambda **kw: run(Aws(REGION), stage, bundle.path, bundle.handler, dry_run=False, **kw))
    assert [key(s) for s in links[0].planned] == [key(s) for s in full.steps]
    assert sum(len(link.done) for link in links) == 16 and len(links) >= 8
    assert _counts() == {"roles": 1, "log groups": 1, "functions": 1, "apis": 1, "integrations": 1,
                         "routes": 1, "stages": 1, "live": "1", "permissions": 3, "rules": 1,
                         "s3 notifications": 1}


def test_aws_errors_are_one_line_with_a_way_out(lz_env, project: Path) -> None:
    env = {**lz_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLESECRETID1",
           "AWS_SECRET_ACCESS_KEY": "s3cr3t/Key+Value/NeverPrinted", "AWS_DEFAULT_REGION": REGION,
           "AWS_MAX_ATTEMPTS": "1"}
    result = lz(env, "deploy", "dev", "--project", str(project))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "could not reach AWS" in result.stderr and "AWS_ENDPOINT_URL" in result.stderr
    no_region = {k: v for k, v in env.items() if k not in ("AWS_DEFAULT_REGION", "AWS_REGION")}
    no_region["AWS_CONFIG_FILE"] = "/nonexistent"
    result = lz(no_region, "deploy", "dev", "--project", str(project))
    assert result.returncode == 1 and 'no AWS region: set "region" in lz_settings.json' in result.stderr


def test_credentials_are_never_printed(aws_env, project: Path) -> None:
    env = {**aws_env, "AWS_ACCESS_KEY_ID": "AKIAEXAMPLESECRETID1", "AWS_SECRET_ACCESS_KEY": "s3cr3t/Key+Value/NeverPrinted"}
    outputs = [lz(env, *args, "--project", str(project)) for args in
               (("deploy", "dev"), ("status", "dev"), ("rollback", "dev"), ("undeploy", "dev", "--yes"))]
    for out in outputs:
        for secret in ("AKIAEXAMPLESECRETID1", "s3cr3t/Key+Value/NeverPrinted"):
            assert secret not in out.stdout and secret not in out.stderr


def test_a_named_profile_supplies_credentials_and_region(aws_env, project: Path, tmp_path: Path) -> None:
    (tmp_path / "config").write_text("[profile elsewhere]\nregion = eu-west-1\n")
    (tmp_path / "credentials").write_text(
        "[elsewhere]\naws_access_key_id = AKIAPROFILEKEY\naws_secret_access_key = profile-secret\n")
    env = {k: v for k, v in aws_env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                          "AWS_DEFAULT_REGION", "AWS_REGION")}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "config"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"))
    boto3_s3().create_bucket(Bucket="uploads-in-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    settings(project, environment={"UPLOADS_BUCKET": "uploads-in-eu"})  # S3 notifies its own region only
    result = lz(env, "deploy", "dev", "--profile", "elsewhere", "--project", str(project))
    assert result.returncode == 0, result.stderr
    assert ".execute-api.eu-west-1." in result.stdout
    import boto3

    assert boto3.client("lambda", region_name="eu-west-1").get_function(FunctionName=NAME)
    env["AWS_PROFILE"] = "elsewhere"  # the environment variable works the same
    assert "nothing to change" in lz(env, "deploy", "dev", "--project", str(project)).stderr
    missing = lz(env, "status", "dev", "--profile", "nope", "--project", str(project))
    assert missing.returncode == 1 and "cannot use AWS profile 'nope'" in missing.stderr


def test_function_settings_reach_aws_and_are_undone_when_removed(aws_env, project: Path) -> None:
    import boto3

    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
    c = clients()
    layer = c["lambda"].publish_layer_version(LayerName="shared", Content={"ZipFile": b"PK\x05\x06" + b"\0" * 18})["LayerVersionArn"]
    managed = c["iam"].create_policy(PolicyName="reads", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                "Resource": "arn:aws:s3:::b/*"}]}))["Policy"]["Arn"]
    statement = {"Effect": "Allow", "Action": ["dynamodb:GetItem"],
                 "Resource": ["arn:aws:dynamodb:us-east-1:123456789012:table/things"]}
    # moto keeps TracingConfig and EphemeralStorage from creation but ignores them in updates, and
    # ignores DeadLetterConfig and SnapStart altogether: those are set once here and left alone.
    settings(project, ephemeral_storage=2048, layers=[layer], tracing=True, reserved_concurrency=5,
             vpc={"subnets": [subnet], "security_groups": [group]},
             permissions=[statement], policy_arns=[managed])
    deploy(aws_env, project)
    config = c["lambda"].get_function(FunctionName=NAME, Qualifier="live")
    cfg = config["Configuration"]
    assert cfg["EphemeralStorage"]["Size"] == 2048
    assert [l["Arn"] for l in cfg["Layers"]] == [layer]
    assert cfg["VpcConfig"]["SubnetIds"] == [subnet] and cfg["VpcConfig"]["SecurityGroupIds"] == [group]
    assert cfg["TracingConfig"]["Mode"] == "Active"
    assert c["lambda"].get_function(FunctionName=NAME)["Concurrency"]["ReservedConcurrentExecutions"] == 5
    attached = {p["PolicyArn"] for p in c["iam"].list_attached_role_policies(RoleName=f"{NAME}-lambda")["AttachedPolicies"]}
    assert attached == {managed, "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
                        "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"}
    doc = c["iam"].get_role_policy(RoleName=f"{NAME}-lambda", PolicyName="lz")["PolicyDocument"]
    doc = doc if isinstance(doc, dict) else json.loads(doc)
    assert statement in doc["Statement"]
    assert "nothing to change" in deploy(aws_env, project).stderr

    settings(project, layers=[], reserved_concurrency=None, vpc={}, permissions=[], policy_arns=[],
             memory=256)
    result = deploy(aws_env, project)
    assert "layers changed" in result.stderr and "reserved concurrency 5 -> None" in result.stderr
    assert "memory 512 -> 256" in result.stderr
    cfg = c["lambda"].get_function(FunctionName=NAME, Qualifier="live")["Configuration"]
    assert not cfg.get("Layers") and not (cfg.get("VpcConfig") or {}).get("SubnetIds")
    assert statement not in c["iam"].get_role_policy(RoleName=f"{NAME}-lambda", PolicyName="lz")["PolicyDocument"]["Statement"]
    assert "Concurrency" not in c["lambda"].get_function(FunctionName=NAME) or \
        not c["lambda"].get_function(FunctionName=NAME)["Concurrency"].get("ReservedConcurrentExecutions")
    assert {p["PolicyArn"] for p in c["iam"].list_attached_role_policies(RoleName=f"{NAME}-lambda")["AttachedPolicies"]} \
        == {"arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"}  # tracing is still on
    assert "nothing to change" in deploy(aws_env, project).stderr


def test_a_dead_letter_target_gets_a_statement_scoped_to_it(aws_env, project: Path) -> None:
    queue_arn = "arn:aws:sqs:us-east-1:123456789012:failed-events"
    settings(project, dead_letter=queue_arn)
    deploy(aws_env, project)
    doc = clients()["iam"].get_role_policy(RoleName=f"{NAME}-lambda", PolicyName="lz")["PolicyDocument"]
    doc = doc if isinstance(doc, dict) else json.loads(doc)
    assert {"Sid": "DeadLetter", "Effect": "Allow", "Action": ["sqs:SendMessage"],
            "Resource": [queue_arn]} in doc["Statement"]


def test_a_worker_stage_has_no_http_front(aws_env, project: Path) -> None:
    deploy(aws_env, project)
    settings(project, http=False)
    result = deploy(aws_env, project)
    assert "the stage's front is now none" in result.stderr and result.stdout.strip() == ""
    c = clients()
    assert not [a for a in c["apigatewayv2"].get_apis()["Items"] if a["Name"] == NAME]
    assert "nothing to change" in deploy(aws_env, project).stderr


def test_a_bundle_over_fifty_megabytes_goes_through_a_private_encrypted_bucket(aws_env, project: Path, monkeypatch) -> None:
    import lz.cli.deploy.models as models
    from lz.cli.aws import Aws
    from lz.cli.bundle import build
    from lz.cli.deploy.operations import deploy as run
    from lz.cli.deploy.operations import undeploy
    from lz.cli.settings import load

    monkeypatch.setattr(models, "DIRECT_UPLOAD_LIMIT", 100_000)  # the example stands in for a big bundle
    stage = load(project, "dev")
    bundle = build(stage)
    result = run(Aws(REGION), stage, bundle.path, bundle.handler, dry_run=False, show_plan=lambda s: None)
    bucket_steps = [s for s in result.steps if s.kind == "bucket"]
    assert len(bucket_steps) == 1 and "over the 50 MB direct upload" in bucket_steps[0].reason
    import boto3

    s3 = boto3.client("s3", region_name=REGION)
    bucket = "lz-example-flask-123456789012-us-east-1"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert {"Key": "lz:project", "Value": "example-flask"} in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("dev/") and keys[0].endswith(".zip")
    assert s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read() == bundle.path.read_bytes()
    again = run(Aws(REGION), stage, bundle.path, bundle.handler, dry_run=False, show_plan=lambda s: None)
    assert again.steps == [] and "s3:PutObject" not in again.calls
    undeploy(Aws(REGION), stage, confirm=lambda steps: True)
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_rest_api_front_with_a_stage_named_after_this_one(aws_env, project: Path) -> None:
    settings(project, http="rest_api", binary_media_types=["*/*"])
    result = deploy(aws_env, project)
    url = result.stdout.strip()
    assert url.endswith(".execute-api.us-east-1.amazonaws.com/dev/")
    import boto3

    gw = boto3.client("apigateway", region_name=REGION)
    api = next(a for a in gw.get_rest_apis()["items"] if a["name"] == NAME)
    assert api["binaryMediaTypes"] == ["*/*"]
    resources = {r["path"]: r for r in gw.get_resources(restApiId=api["id"])["items"]}
    for path in ("/", "/{proxy+}"):
        integration = gw.get_integration(restApiId=api["id"], resourceId=resources[path]["id"], httpMethod="ANY")
        assert integration["type"] == "AWS_PROXY" and integration["uri"].endswith(f"function:{NAME}:live/invocations")
    assert "dev" in {s["stageName"] for s in gw.get_stages(restApiId=api["id"])["item"]}
    policy = json.loads(clients()["lambda"].get_policy(FunctionName=NAME, Qualifier="live")["Policy"])
    [grant] = [s for s in policy["Statement"] if s["Sid"] == "lz-rest-api"]  # others: schedule, bucket
    assert grant["Condition"]["ArnLike"]["AWS:SourceArn"].endswith(f":{api['id']}/*")
    assert "nothing to change" in deploy(aws_env, project).stderr
    settings(project, http="http_api")
    switched = deploy(aws_env, project)
    assert "the stage's front is now http_api" in switched.stderr
    assert not [a for a in gw.get_rest_apis()["items"] if a["name"] == NAME]


def test_cors_and_on_failure_destination(aws_env, project: Path) -> None:
    target = "arn:aws:sqs:us-east-1:123456789012:failed"
    settings(project, cors={"allow_origins": ["https://example.com"], "allow_methods": ["GET"], "max_age": 600},
             on_failure=target)
    deploy(aws_env, project)
    c = clients()
    api = next(a for a in c["apigatewayv2"].get_apis()["Items"] if a["Name"] == NAME)
    assert api["CorsConfiguration"]["AllowOrigins"] == ["https://example.com"]
    assert api["CorsConfiguration"]["MaxAge"] == 600
    invoke = c["lambda"].get_function_event_invoke_config(FunctionName=NAME, Qualifier="live")
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == target
    doc = c["iam"].get_role_policy(RoleName=f"{NAME}-lambda", PolicyName="lz")["PolicyDocument"]
    assert {"Sid": "OnFailure", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [target]} in doc["Statement"]
    assert "nothing to change" in deploy(aws_env, project).stderr
    settings(project, cors={"allow_origins": ["*"]}, on_failure=None)
    result = deploy(aws_env, project)
    assert "CORS settings differ" in result.stderr and "failures to nowhere" in result.stderr
    api = next(a for a in c["apigatewayv2"].get_apis()["Items"] if a["Name"] == NAME)
    assert api["CorsConfiguration"]["AllowOrigins"] == ["*"]
    assert "nothing to change" in deploy(aws_env, project).stderr


def test_function_url_with_iam_auth_has_no_public_permission(aws_env, project: Path) -> None:
    settings(project, http="function_url")
    deploy(aws_env, project)
    c = clients()
    assert "lz-function-url" in c["lambda"].get_policy(FunctionName=NAME, Qualifier="live")["Policy"]
    settings(project, http="function_url", url_auth="AWS_IAM")
    result = deploy(aws_env, project)
    assert "auth NONE -> AWS_IAM" in result.stderr
    assert c["lambda"].get_function_url_config(FunctionName=NAME, Qualifier="live")["AuthType"] == "AWS_IAM"
    try:
        policy = c["lambda"].get_policy(FunctionName=NAME, Qualifier="live")["Policy"]
    except c["lambda"].exceptions.ResourceNotFoundException:
        policy = "{}"
    assert "lz-function-url" not in policy  # neither public statement is left
    assert "nothing to change" in deploy(aws_env, project).stderr
