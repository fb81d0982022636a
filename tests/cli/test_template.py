"""`lz template`: every example and every settings variant the suite deploys, rendered from the
desired model and checked by cfn-lint (run as a library, with AWS's resource schemas), in both
formats; and the template's resources hold what lz's engine creates (the same role statements from
policy.py, queue attributes, rules, permissions) with account and region left to CloudFormation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.cfn_support import ACCOUNT, REGION, lint, model, of_type, project, render, resolve
from tests.cli.conftest import lz

pytest.importorskip("cfnlint")

JOBS = '''from lz import on_sns, on_sqs, task


@on_sqs(queue="jobs", batch_size=5)
def on_job(message):
    print("job", message["body"], flush=True)


@on_sns(topic="alerts")
def on_alert(record):
    print("alert", record["Sns"]["Message"], flush=True)


@task(queue=True, retries=1)
def rebuild(n):
    print("rebuilt", n, flush=True)
'''
EVERYTHING = {
    "vpc": {"subnets": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
            "security_groups": ["sg-0123456789abcdef0"]},
    "tracing": True, "snap_start": True, "reserved_concurrency": 5, "ephemeral_storage": 2048,
    "layers": [f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:extras:3"], "memory": 1024, "timeout": 60,
    "dead_letter": f"arn:aws:sqs:{REGION}:{ACCOUNT}:dead", "on_failure": f"arn:aws:sns:{REGION}:{ACCOUNT}:failed",
    "permissions": [{"Effect": "Allow", "Action": ["dynamodb:GetItem"],
                     "Resource": [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/items"]}],
    "policy_arns": ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"], "task_bucket": "my-task-bucket",
    "allow_raw_invoke": True, "log_retention_days": 7,
    "environment": {"UPLOADS_BUCKET": "example-flask-uploads-dev", "LITERAL": "${NOT_A_PARAMETER}"},
}
# name: (project, settings changes, extra files): the variants the deploy tests use
VARIANTS = {
    "flask": ("example_flask", {}, {}),
    "fastapi": ("example_fastapi", {}, {}),
    "django": ("tests/django_app", {}, {}),
    "http_api_cors": ("example_flask", {"cors": {"allow_origins": ["https://example.com"],
                                                  "allow_methods": ["GET", "POST"], "max_age": 600}}, {}),
    "rest_api": ("example_flask", {"http": "rest_api", "binary_media_types": ["image/png"]}, {}),
    "rest_api_stream": ("example_flask", {"http": "rest_api", "stream": True, "timeout": 300}, {}),
    "function_url": ("example_flask", {"http": "function_url"}, {}),
    "function_url_iam_stream": ("example_flask", {"http": "function_url", "url_auth": "AWS_IAM",
                                                  "stream": True}, {}),
    "no_front": ("example_fastapi", {"http": False}, {}),
    "task_queue": ("example_flask", {"tasks": {"queue": True, "retries": 2, "max_age": 600}}, {}),
    "sources": ("example_flask", {}, {"jobs.py": JOBS}),
    "events": ("example_flask", {"events": [{"function": "app.forget_new_items", "expression": "cron(0 3 * * ? *)",
                                             "input": {"why": "nightly"}, "enabled": False}]}, {}),
    "everything": ("example_flask", EVERYTHING, {}),
    "workflows_logged": ("example_flask", {"workflows": {"restock": {"type": "EXPRESS", "logging": "ALL",
                                                                     "tracing": True}}}, {}),
}


@pytest.fixture(params=sorted(VARIANTS))
def variant(request, tmp_path: Path) -> Path:
    base, changes, files = VARIANTS[request.param]
    return project(tmp_path, base, changes, files)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["cloudformation", "sam"])
def test_every_variant_passes_cfn_lint(variant: Path, fmt: str) -> None:
    rendered = render(variant, fmt=fmt, local=fmt == "sam")
    assert lint(rendered.document) == []


@pytest.mark.slow
def test_a_local_zip_in_plain_cloudformation_is_for_aws_cloudformation_package(tmp_path: Path) -> None:
    """Code as a path string is what `aws cloudformation package` uploads; cfn-lint says only that."""
    root = project(tmp_path, "example_flask")
    findings = lint(render(root, local=True).document)
    assert [f.split()[0] for f in findings] == ["W3002"]
    sam = render(root, fmt="sam").document  # SAM with the uploaded zip (lz template --upload)
    assert sam["Resources"]["Function"]["Properties"]["CodeUri"] == {"Bucket": {"Ref": "CodeS3Bucket"},
                                                                     "Key": {"Ref": "CodeS3Key"}}
    assert lint(sam) == []


def test_role_statements_are_policy_py_statements_for_the_deploying_account(tmp_path: Path) -> None:
    root = project(tmp_path, "example_flask", EVERYTHING, {"jobs.py": JOBS})
    document = render(root).document
    role = of_type(document, "AWS::IAM::Role")["Role"]["Properties"]
    assert resolve(role["Policies"]) == [{"PolicyName": "lz", "PolicyDocument": model(root, real=True).policy()}]
    assert role["ManagedPolicyArns"] == model(root, real=True).managed_policies
    own_logs = role["Policies"][0]["PolicyDocument"]["Statement"][0]
    assert own_logs["Sid"] == "OwnLogs" and ACCOUNT not in json.dumps(own_logs)  # CloudFormation fills it in
    env = resolve(document["Resources"]["Function"]["Properties"]["Environment"])["Variables"]
    assert env == model(root, real=True).function_environment  # `${NOT_A_PARAMETER}` stays literal


def test_what_moto_cannot_create_holds_the_models_values(tmp_path: Path) -> None:
    """Alias, async config, Function URL and its two public statements, HTTP API parts and SNS
    subscriptions are asserted here against the desired model (moto's CloudFormation cannot make
    them: see test_template_parity)."""
    from lz.cli.deploy.resources import url

    root = project(tmp_path, "example_flask", {"http": "function_url", "stream": True,
                                               "tasks": {"retries": 1, "max_age": 900},
                                               "on_failure": f"arn:aws:sqs:{REGION}:{ACCOUNT}:failed"},
                   {"jobs.py": JOBS})
    want = model(root, real=True)
    document = resolve(render(root).document)
    resources = document["Resources"]
    assert resources["LiveAlias"]["Properties"]["Name"] == "live"
    assert resources["AsyncConfig"]["Properties"] == {
        "FunctionName": {"Ref": "Function"}, "Qualifier": "live", "MaximumRetryAttempts": 1,
        "MaximumEventAgeInSeconds": 900,
        "DestinationConfig": {"OnFailure": {"Destination": want.on_failure}}}
    assert resources["FunctionUrl"]["Properties"] == {
        "TargetFunctionArn": {"Ref": "LiveAlias"}, "AuthType": "NONE", "InvokeMode": url.invoke_mode(want)}
    grants = of_type(document, "AWS::Lambda::Permission")
    assert grants["FunctionUrlPublic"]["Properties"]["FunctionUrlAuthType"] == "NONE"
    assert grants["FunctionUrlPublicInvoke"]["Properties"]["InvokedViaFunctionUrl"] is True
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
    (subscription,) = of_type(document, "AWS::SNS::Subscription").values()
    assert subscription["Properties"] == {"TopicArn": topic, "Protocol": "lambda", "Endpoint": {"Ref": "LiveAlias"}}
    sources = {p["Properties"]["Principal"]: p["Properties"].get("SourceArn") for p in grants.values()}
    assert sources["sns.amazonaws.com"] == topic
    assert sources["s3.amazonaws.com"] == "arn:aws:s3:::example-flask-uploads-dev"
    assert document["Outputs"]["Url"]["Value"] == {"Fn::GetAtt": ["FunctionUrl", "FunctionUrl"]}


def test_http_api_parts_match_lz_engine(tmp_path: Path) -> None:
    root = project(tmp_path, "example_flask", {"cors": {"allow_origins": ["https://example.com"]}})
    want = model(root, real=True)
    resources = resolve(render(root).document)["Resources"]
    assert resources["HttpApi"]["Properties"]["CorsConfiguration"] == want.cors_configuration()
    assert resources["HttpApiIntegration"]["Properties"]["PayloadFormatVersion"] == "2.0"
    assert resources["HttpApiRoute"]["Properties"]["RouteKey"] == "$default"
    assert resources["HttpApiStage"]["Properties"]["AutoDeploy"] is True
    assert resources["HttpApiPermission"]["Properties"]["SourceArn"] == {
        "Fn::Sub": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:${{HttpApi}}/*"}


def test_s3_notifications_are_a_note_and_metadata_not_a_resource(tmp_path: Path) -> None:
    from lz.cli.deploy.resources import s3_notifications

    root = project(tmp_path, "example_flask")
    rendered = render(root)
    assert not of_type(rendered.document, "AWS::S3::Bucket")  # the bucket is the user's
    (note,) = rendered.notes
    assert "example-flask-uploads-dev" in note.what and "lz deploy --engine cloudformation" in note.how
    entries = s3_notifications.wanted(model(root, real=True))["example-flask-uploads-dev"]
    assert rendered.document["Metadata"]["lz"]["S3Notifications"] == {
        "example-flask-uploads-dev": [{k: v for k, v in e.items() if k != "LambdaFunctionArn"} for e in entries]}


def test_a_code_or_configuration_change_publishes_a_new_version(tmp_path: Path) -> None:
    root = project(tmp_path, "example_fastapi")
    before = set(of_type(render(root).document, "AWS::Lambda::Version"))
    settings = json.loads((root / "lz_settings.json").read_text())
    settings["dev"]["memory"] = 1024
    (root / "lz_settings.json").write_text(json.dumps(settings))
    after = of_type(render(root).document, "AWS::Lambda::Version")
    assert len(before) == len(after) == 1 and before != set(after)
    assert next(iter(after.values()))["DeletionPolicy"] == "Retain"  # lz rollback needs old versions


@pytest.mark.slow
def test_lz_template_command_writes_the_file_and_says_what_is_not_in_it(lz_env, tmp_path: Path) -> None:
    root = project(tmp_path, "example_flask")
    out = tmp_path / "out" / "template.yaml"
    out.parent.mkdir()
    result = lz(lz_env, "template", "dev", "--project", str(root), "-o", str(out), "--format", "sam")
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text())
    assert document["Transform"] == "AWS::Serverless-2016-10-31"
    code = document["Resources"]["Function"]["Properties"]["CodeUri"]
    assert (out.parent / code).resolve() == (root / ".lz" / "example-flask-dev.zip").resolve()
    assert "not in the template: S3 notifications of bucket example-flask-uploads-dev" in result.stderr
    assert lint(document) == []
