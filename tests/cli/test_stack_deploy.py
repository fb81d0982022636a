"""`lz deploy --engine cloudformation` against moto's CloudFormation, through the real CLI: the
change set shown as the plan and executed, a no-op update that executes nothing, a code change
publishing a new version, a refused prompt, a failure with its reason, rollback through the stack's
LiveVersion parameter, status, undeploy deleting the stack, and each engine refusing the other's
stage. The stage here has no front and no trigger: moto's CloudFormation cannot create an alias, and
everything that invokes `live` needs one (test_template_parity covers those resources)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.cfn_support import APP, STACK, stack_client as _client
from tests.cli.conftest import REGION, lz, make_project

pytest.importorskip("moto.server")
pytestmark = pytest.mark.slow


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_project(tmp_path, {"dev": {"app": "app:app", "http": False, "memory": 256}}, {"app.py": APP})


def _deploy(env, root: Path, *extra: str, input: str | None = None):
    return lz(env, "deploy", "dev", "--project", str(root), *extra, input=input)


def _stack() -> dict:
    return _client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]


def _versions() -> list[str]:
    return [v["Version"] for v in _client("lambda").list_versions_by_function(FunctionName=STACK)["Versions"]]


def test_create_noop_code_change_and_undeploy(aws_env, root: Path) -> None:
    first = _deploy(aws_env, root, "--engine", "cloudformation", "--yes")
    assert first.returncode == 0, first.stderr
    assert f"change set for stack {STACK}" in first.stderr
    assert "Lambda::Function: Function" in first.stderr and "IAM::Role: Role" in first.stderr
    assert "CREATE_COMPLETE" in first.stderr  # the stack's events, followed
    stack = _stack()
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert {t["Key"]: t["Value"] for t in stack["Tags"]} == {"lz:project": "proj", "lz:stage": "dev",
                                                              "lz:engine": "cloudformation"}
    config = _client("lambda").get_function(FunctionName=STACK)["Configuration"]
    assert config["MemorySize"] == 256 and config["Role"].endswith(":role/proj-dev-lambda")
    assert _versions() == ["$LATEST", "1"]
    events = len(_client("cloudformation").describe_stack_events(StackName=STACK)["StackEvents"])

    again = _deploy(aws_env, root, "--engine", "cloudformation", "--yes")
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stderr
    assert len(_client("cloudformation").describe_stack_events(StackName=STACK)["StackEvents"]) == events

    (root / "app.py").write_text(APP + "# v2\n")
    changed = _deploy(aws_env, root, "--engine", "cloudformation", "--yes")
    assert changed.returncode == 0, changed.stderr
    rows = [line for line in changed.stderr.splitlines() if "Lambda::Version" in line]
    assert [("create" in r, "delete" in r) for r in rows] == [(True, False), (False, True)]
    sha = _client("lambda").get_function(FunctionName=STACK)["Configuration"]["CodeSha256"]
    assert sha != config["CodeSha256"]  # the new code (moto's versions: it makes the function anew)
    assert _stack()["StackStatus"] == "UPDATE_COMPLETE"

    gone = lz(aws_env, "undeploy", "dev", "--yes", "--project", str(root))
    assert gone.returncode == 0, gone.stderr
    assert f"deleted stack: {STACK}" in gone.stdout
    assert "deleted bucket: lz-proj-123456789012-us-east-1" in gone.stdout  # the stage's uploads
    assert not [s for s in _client("cloudformation").describe_stacks()["Stacks"]
                if s["StackName"] == STACK and s["StackStatus"] != "DELETE_COMPLETE"]
    assert not [f for f in _client("lambda").list_functions()["Functions"] if f["FunctionName"] == STACK]
    assert "nothing deleted" in lz(aws_env, "undeploy", "dev", "--yes", "--project", str(root)).stderr


def test_a_dry_run_or_a_refused_prompt_executes_nothing_and_leaves_no_stack(aws_env, root: Path) -> None:
    dry = _deploy(aws_env, root, "--engine", "cloudformation", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "stack: proj-dev" in dry.stderr and "the stack does not exist yet" in dry.stderr
    unanswered = _deploy(aws_env, root, "--engine", "cloudformation", input="")  # CI without --yes
    assert unanswered.returncode == 1 and "not executed" in unanswered.stderr
    result = _deploy(aws_env, root, "--engine", "cloudformation", input="n\n")
    assert result.returncode == 1
    assert "execute this change set?" in result.stderr and "not executed" in result.stderr
    assert not [s for s in _client("cloudformation").describe_stacks()["Stacks"]
                if s["StackName"] == STACK and s["StackStatus"] != "DELETE_COMPLETE"]
    assert not _client("lambda").list_functions()["Functions"]
    assert _deploy(aws_env, root, "--engine", "cloudformation", "--yes").returncode == 0
    (root / "app.py").write_text(APP + "# v2\n")
    dry = _deploy(aws_env, root, "--engine", "cloudformation", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Lambda::Version" in dry.stderr and "UPDATE_COMPLETE" not in dry.stderr  # shown, not executed
    assert _stack()["StackStatus"] == "CREATE_COMPLETE"
    pending = [c for c in _client("cloudformation").list_change_sets(StackName=STACK)["Summaries"]
               if c.get("ExecutionStatus") == "AVAILABLE"]
    assert pending == []  # the dry run's change set was deleted again


def test_lz_template_upload_puts_the_zip_in_the_code_bucket(aws_env, root: Path) -> None:
    from tests.cli.cfn_support import lint

    result = lz(aws_env, "template", "dev", "--upload", "--project", str(root))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    bucket = document["Parameters"]["CodeS3Bucket"]["Default"]
    key = document["Parameters"]["CodeS3Key"]["Default"]
    assert bucket == "lz-proj-123456789012-us-east-1" and key.startswith("dev/") and key.endswith(".zip")
    body = _client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body == (root / ".lz" / "proj-dev.zip").read_bytes()
    assert lint(document) == []
    assert f"code: s3://{bucket}/{key}; the roles are named: deploy with CAPABILITY_NAMED_IAM" in result.stderr


def test_a_failure_says_why(aws_env, root: Path) -> None:
    _client("iam").create_role(RoleName="proj-dev-lambda", AssumeRolePolicyDocument=json.dumps({}))
    result = _deploy(aws_env, root, "--engine", "cloudformation", "--yes")
    assert result.returncode == 1
    assert "Role with name proj-dev-lambda already exists" in result.stderr


def test_first_failed_event_is_the_reason() -> None:
    """AWS's stack events, newest first as DescribeStackEvents returns them: the reason reported is
    the first resource that failed, not the cancellations that follow it."""
    from lz.cli.stack.changes import first_failed

    events = [  # oldest first, as follow() hands them over
        {"LogicalResourceId": STACK, "ResourceType": "AWS::CloudFormation::Stack", "ResourceStatus": "CREATE_IN_PROGRESS"},
        {"LogicalResourceId": "Role", "ResourceType": "AWS::IAM::Role", "ResourceStatus": "CREATE_FAILED",
         "ResourceStatusReason": "Resource handler returned message: \"Role proj-dev-lambda already exists\""},
        {"LogicalResourceId": "LogGroup", "ResourceType": "AWS::Logs::LogGroup", "ResourceStatus": "CREATE_FAILED",
         "ResourceStatusReason": "Resource creation cancelled"},
        {"LogicalResourceId": STACK, "ResourceType": "AWS::CloudFormation::Stack", "ResourceStatus": "ROLLBACK_IN_PROGRESS",
         "ResourceStatusReason": "The following resource(s) failed to create: [LogGroup, Role]."},
    ]
    assert first_failed(events) == 'Role (AWS::IAM::Role): Resource handler returned message: "Role proj-dev-lambda already exists"'
    assert first_failed(list(reversed(events[:3]))).startswith("Role (AWS::IAM::Role)")
    assert first_failed(events[:1]) is None


def test_rollback_and_status_go_through_the_stack(aws_env, root: Path) -> None:
    assert _deploy(aws_env, root, "--engine", "cloudformation", "--yes").returncode == 0
    # moto's CloudFormation makes no AWS::Lambda::Alias, and makes a function anew on a code change
    # (its versions with it): a second version and `live` on it, made here as the stack would have them
    lam = _client("lambda")
    lam.update_function_configuration(FunctionName=STACK, Description="v2")
    assert lam.publish_version(FunctionName=STACK)["Version"] == "2"
    lam.create_alias(FunctionName=STACK, Name="live", FunctionVersion="2")
    back = lz(aws_env, "rollback", "dev", "--project", str(root))
    assert back.returncode == 0, back.stderr
    assert "live: version 2 -> 1 (stack parameter LiveVersion)" in back.stdout
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in _stack()["Parameters"]}
    assert parameters["LiveVersion"] == "1"
    status = lz(aws_env, "status", "dev", "--project", str(root))
    assert status.returncode == 0, status.stderr
    assert "cloudformation (stack proj-dev)" in status.stdout and "live pinned" in status.stdout
    assert "version 1 (lz rollback)" in status.stdout
    assert "1 IAM::Role" in status.stdout and "1 Lambda::Function" in status.stdout
    assert "stack drift" in status.stdout
    tail = lz(aws_env, "tail", "dev", "--no-follow", "--project", str(root))  # the stack's log group
    assert tail.returncode == 0 and "no log lines since 10m in /aws/lambda/proj-dev" in tail.stderr
    bad = lz(aws_env, "rollback", "dev", "--to", "9", "--project", str(root))
    assert bad.returncode == 1 and "has no version 9; published versions: 1, 2" in bad.stderr
    (root / "app.py").write_text(APP + "# the fix\n")
    again = _deploy(aws_env, root, "--engine", "cloudformation", "--yes")  # a deploy unpins live
    assert again.returncode == 0, again.stderr
    assert {p["ParameterKey"]: p["ParameterValue"] for p in _stack()["Parameters"]}["LiveVersion"] == "published"


def test_each_engine_refuses_the_others_stage(aws_env, root: Path) -> None:
    assert _deploy(aws_env, root).returncode == 0  # lz's own engine
    refused = _deploy(aws_env, root, "--engine", "cloudformation", "--yes")
    assert refused.returncode == 1
    assert "is deployed by lz's own engine" in refused.stderr and "lz undeploy dev" in refused.stderr
    assert not [s for s in _client("cloudformation").describe_stacks()["Stacks"] if s["StackName"] == STACK]
    assert lz(aws_env, "undeploy", "dev", "--yes", "--project", str(root)).returncode == 0

    settings = json.loads((root / "lz_settings.json").read_text())
    settings["dev"]["engine"] = "cloudformation"  # the setting, not the flag
    (root / "lz_settings.json").write_text(json.dumps(settings))
    made = _deploy(aws_env, root, "--yes")
    assert made.returncode == 0, made.stderr
    assert _stack()["StackStatus"] == "CREATE_COMPLETE"
    refused = _deploy(aws_env, root, "--engine", "lz")
    assert refused.returncode == 1
    assert "is deployed through CloudFormation (stack proj-dev" in refused.stderr
    assert "lz undeploy dev" in refused.stderr
    rules = lz(aws_env, "schedule", "dev", "--project", str(root))  # the stack's rules are the stack's
    assert rules.returncode == 1 and "is deployed through CloudFormation" in rules.stderr


def test_s3_notifications_are_set_beside_the_stack_and_found_again_through_it(aws_env, tmp_path: Path) -> None:
    """The entries a template cannot hold: put on the user's bucket after the stack, other entries
    kept, taken off when the template stops naming the bucket; the deployed template's Metadata
    says which buckets were connected."""
    from lz.cli.aws import Aws
    from lz.cli.stack import buckets
    from tests.cli.cfn_support import model, project

    root = project(tmp_path, "example_flask")
    want = model(root, real=True)
    s3 = _client("s3")
    bucket = "example-flask-uploads-dev"
    theirs = {"Id": "theirs", "QueueArn": f"arn:aws:sqs:{REGION}:123456789012:elsewhere", "Events": ["s3:ObjectRemoved:*"]}
    _client("sqs").create_queue(QueueName="elsewhere")
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [theirs]})
    aws = Aws(REGION)
    done = buckets.connect(aws, want, before=[])
    assert done == [f"s3 notifications of {bucket}: s3:ObjectCreated:* prefix=incoming/ suffix=.jpg"]
    config = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert [e["Id"] for e in config["LambdaFunctionConfigurations"]] == ["lz-example-flask-dev-0af1e3be"]
    assert [q["Id"] for q in config["QueueConfigurations"]] == ["theirs"]
    assert buckets.connect(aws, want, before=[bucket]) == []  # as wanted already: nothing written

    template = {"Metadata": {"lz": {"S3Notifications": {bucket: []}}},
                "Resources": {"LogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "x"}}}}
    _client("cloudformation").create_stack(StackName="example-flask-dev", TemplateBody=json.dumps(template))
    assert buckets.deployed_buckets(aws, "example-flask-dev") == [bucket]
    assert buckets.disconnect(aws, bucket, want.name) is True
    config = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert not config.get("LambdaFunctionConfigurations") and [q["Id"] for q in config["QueueConfigurations"]] == ["theirs"]
