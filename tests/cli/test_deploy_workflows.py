"""Workflows deployed to moto like the other resource kinds: each @workflow becomes a state machine
with a role of its own and (when logging is on) a log group of its own; settings changes, removal,
undeploy, IAM's eventual consistency, and what AWS documents of the roles (cited per test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import REGION, lz, make_project

pytestmark = pytest.mark.slow
ACCOUNT = "123456789012"
FUNCTION = "proj-dev"
ALIAS_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION}:live"
MACHINES = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{FUNCTION}-"
PATH = "/lz/proj/dev/"
APP = '''from lz import WorkflowError, task, workflow


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@task(retries=1)
def resize(key):
    return key.rsplit(".", 1)[0] + ".png"


@task
def notify(key):
    return f"notified {key}"


@workflow
def process(key: str) -> dict:
    small = resize(key)
    said = notify(small)
    return {"key": small, "said": said}


@workflow
def cleanup(keys: list) -> list:
    if len(keys) == 0:
        raise WorkflowError("nothing to clean")
    done = [resize(k) for k in keys]
    return done
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path, {"dev": {"app": "app:app", "http": False}}, {"app.py": APP})


def boto(service: str):
    import boto3

    return boto3.client(service, region_name=REGION)


def deployed(project: Path):
    """Deploy the project's dev stage in-process (moto runs in this process too)."""
    from lz.cli.aws import Aws
    from lz.cli.bundle import build
    from lz.cli.deploy.operations import deploy
    from lz.cli.settings import load

    stage = load(project, "dev")
    bundle = build(stage)
    return deploy(Aws(REGION), stage, bundle.path, bundle.handler, dry_run=False, show_plan=lambda s: None)


def set_workflows(project: Path, workflows: dict) -> None:
    path = project / "lz_settings.json"
    data = json.loads(path.read_text())
    data["dev"]["workflows"] = workflows
    path.write_text(json.dumps(data))


def document(doc) -> dict:
    return doc if isinstance(doc, dict) else json.loads(doc)


def role_statements(role: str) -> dict[str, dict]:
    doc = document(boto("iam").get_role_policy(RoleName=role, PolicyName="lz")["PolicyDocument"])
    return {s["Sid"]: s for s in doc["Statement"]}


def machines() -> dict[str, dict]:
    sfn = boto("stepfunctions")
    return {m["name"]: sfn.describe_state_machine(stateMachineArn=m["stateMachineArn"])
            for m in sfn.list_state_machines()["stateMachines"]}


def stage_roles() -> list[str]:
    return sorted(r["RoleName"] for r in boto("iam").list_roles(PathPrefix="/lz/")["Roles"])


def task_resources(machine: dict) -> list[str]:
    """The Resource of every Task state, in Map and Parallel states too."""
    found = []
    for state in machine["States"].values():
        if state["Type"] == "Task":
            found.append(state["Resource"])
        for inner in state.get("Branches", []) + ([state["ItemProcessor"]] if "ItemProcessor" in state else []):
            found += task_resources(inner)
    return found


def wildcards(doc: dict) -> list[str]:
    found = []
    for statement in doc["Statement"]:
        for key in ("Action", "Resource"):
            values = statement[key] if isinstance(statement[key], list) else [statement[key]]
            found += [f"{statement.get('Sid')}.{key}={v}" for v in values if "*" in v]
    return found


def test_each_workflow_is_a_state_machine_with_its_own_role_and_nothing_more(aws_env, project: Path) -> None:
    from lz.cli.bundle.collect import collect
    from lz.cli.workflow import compile_project, resolve

    deployed(project)
    found = machines()
    assert set(found) == {f"{FUNCTION}-cleanup", f"{FUNCTION}-process"}
    compiled = {c.name: c for c in compile_project(collect(project, [], []).files)}
    sfn = boto("stepfunctions")
    for name in ("cleanup", "process"):
        machine = found[f"{FUNCTION}-{name}"]
        assert json.loads(machine["definition"]) == json.loads(resolve(compiled[name].asl, ALIAS_ARN))
        tasks = task_resources(json.loads(machine["definition"]))
        assert tasks and set(tasks) == {ALIAS_ARN}  # every Task state invokes the alias live
        role = f"{FUNCTION}-{name}-states"
        assert machine["roleArn"] == f"arn:aws:iam::{ACCOUNT}:role{PATH}{role}"
        assert machine["type"] == "STANDARD" and machine["loggingConfiguration"]["level"] == "OFF"
        assert machine["tracingConfiguration"] == {"enabled": False}
        listed = sfn.list_tags_for_resource(resourceArn=machine["stateMachineArn"])["tags"]
        tags = {t["key"]: t["value"] for t in listed}
        assert tags == {"lz:project": "proj", "lz:stage": "dev"}
        assert role_statements(role) == {"InvokeLive": {
            "Sid": "InvokeLive", "Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [ALIAS_ARN]}}
        iam_role = boto("iam").get_role(RoleName=role)["Role"]
        assert iam_role["Path"] == PATH
        assert {t["Key"]: t["Value"] for t in iam_role["Tags"]} == {"lz:project": "proj", "lz:stage": "dev"}
        assert boto("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    assert not boto("logs").describe_log_groups(logGroupNamePrefix="/aws/vendedlogs/")["logGroups"]

    # the function: where its machines are, and StartExecution on exactly those
    config = boto("lambda").get_function_configuration(FunctionName=FUNCTION)
    assert config["Environment"]["Variables"]["LZ_WORKFLOW_ARN_PREFIX"] == MACHINES
    own = role_statements(f"{FUNCTION}-lambda")
    assert own["StartWorkflows"] == {"Sid": "StartWorkflows", "Effect": "Allow", "Action": ["states:StartExecution"],
                                     "Resource": [f"{MACHINES}cleanup", f"{MACHINES}process"]}
    assert "InvokeSelf" not in own  # resize and notify run only as Task states: the machines invoke them
    assert wildcards({"Statement": list(own.values())}) == [f"OwnLogs.Resource=arn:aws:logs:{REGION}:{ACCOUNT}:"
                                                             f"log-group:/aws/lambda/{FUNCTION}:*",
                                                             f"OwnLogs.Resource=arn:aws:logs:{REGION}:{ACCOUNT}:"
                                                             f"log-group:/aws/lambda/{FUNCTION}:log-stream:*"]

    again = deployed(project)
    assert again.steps == [] and again.writes == 0


def test_a_task_called_outside_a_workflow_too_is_sent_so_the_function_may_invoke_itself(aws_env, project: Path) -> None:
    (project / "views.py").write_text("from app import notify\n\n\ndef ping():\n    return notify.send('x')\n")
    deployed(project)
    assert role_statements(f"{FUNCTION}-lambda")["InvokeSelf"]["Resource"] == [ALIAS_ARN]


def test_settings_choose_type_logging_and_tracing_and_going_back_leaves_nothing_behind(aws_env, project: Path) -> None:
    deployed(project)
    set_workflows(project, {"process": {"logging": "ALL", "tracing": True}, "cleanup": {"type": "EXPRESS"}})
    result = deployed(project)
    reasons = {s.name: s.reason for s in result.steps}
    assert "attach AWSXRayDaemonWriteAccess" in reasons[f"{FUNCTION}-process-states"]  # its role, first
    assert "type STANDARD -> EXPRESS" in reasons[f"{FUNCTION}-cleanup"]
    assert "logging OFF -> ALL" in reasons[f"{FUNCTION}-process"]
    found = machines()
    group = f"/aws/vendedlogs/states/{FUNCTION}-process"
    assert found[f"{FUNCTION}-cleanup"]["type"] == "EXPRESS"
    process = found[f"{FUNCTION}-process"]
    assert process["loggingConfiguration"] == {
        "level": "ALL", "includeExecutionData": True,
        "destinations": [{"cloudWatchLogsLogGroup": {
            "logGroupArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*"}}]}
    assert process["tracingConfiguration"] == {"enabled": True}
    [logs] = boto("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert logs["retentionInDays"] == 30
    assert boto("logs").list_tags_log_group(logGroupName=group)["tags"] == {"lz:project": "proj", "lz:stage": "dev"}
    statements = role_statements(f"{FUNCTION}-process-states")
    assert set(statements) == {"InvokeLive", "LogDelivery"}
    assert wildcards({"Statement": list(statements.values())}) == ["LogDelivery.Resource=*"]
    attached = boto("iam").list_attached_role_policies(RoleName=f"{FUNCTION}-process-states")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AWSXRayDaemonWriteAccess"]
    assert deployed(project).writes == 0

    set_workflows(project, {})
    result = deployed(project)
    assert {(s.kind, s.name) for s in result.steps} == {
        ("workflow", f"{FUNCTION}-cleanup"), ("workflow", f"{FUNCTION}-process"),
        ("workflow_role", f"{FUNCTION}-process-states")}
    found = machines()
    assert found[f"{FUNCTION}-cleanup"]["type"] == "STANDARD"
    assert found[f"{FUNCTION}-process"]["loggingConfiguration"]["level"] == "OFF"
    assert found[f"{FUNCTION}-process"]["tracingConfiguration"] == {"enabled": False}
    assert not boto("logs").describe_log_groups(logGroupNamePrefix="/aws/vendedlogs/")["logGroups"]
    assert set(role_statements(f"{FUNCTION}-process-states")) == {"InvokeLive"}
    assert boto("iam").list_attached_role_policies(RoleName=f"{FUNCTION}-process-states")["AttachedPolicies"] == []
    assert deployed(project).writes == 0


def test_a_workflow_removed_from_the_code_loses_its_machine_role_and_logs_and_undeploy_leaves_nothing(
        aws_env, project: Path) -> None:
    set_workflows(project, {"cleanup": {"logging": "ERROR"}})
    deployed(project)
    assert stage_roles() == [f"{FUNCTION}-cleanup-states", f"{FUNCTION}-process-states"]
    app = project / "app.py"
    app.write_text(app.read_text().split("@workflow\ndef cleanup")[0])
    set_workflows(project, {})
    result = deployed(project)
    [step] = [s for s in result.steps if s.kind == "workflow"]
    assert (step.name, step.action, step.reason) == (f"{FUNCTION}-cleanup", "delete",
                                                     "its @workflow is no longer in the code")
    assert set(machines()) == {f"{FUNCTION}-process"}
    assert stage_roles() == [f"{FUNCTION}-process-states"]
    assert not boto("logs").describe_log_groups(logGroupNamePrefix="/aws/vendedlogs/")["logGroups"]
    assert role_statements(f"{FUNCTION}-lambda")["StartWorkflows"]["Resource"] == [f"{MACHINES}process"]

    out = lz(aws_env, "undeploy", "dev", "--yes", "--project", str(project))
    assert out.returncode == 0, out.stderr
    assert f"deleted workflow: {FUNCTION}-process" in out.stdout
    assert machines() == {} and stage_roles() == []
    tagged = boto("resourcegroupstaggingapi").get_resources(
        TagFilters=[{"Key": "lz:project", "Values": ["proj"]}])["ResourceTagMappingList"]
    assert tagged == []


def test_a_role_left_behind_without_its_machine_is_found_by_its_path_and_removed(aws_env, project: Path) -> None:
    deployed(project)
    boto("stepfunctions").delete_state_machine(stateMachineArn=f"{MACHINES}cleanup")
    app = project / "app.py"
    app.write_text(app.read_text().split("@workflow\ndef cleanup")[0])
    result = deployed(project)
    assert [(s.name, s.action) for s in result.steps if s.kind == "workflow"] == [(f"{FUNCTION}-cleanup", "delete")]
    assert stage_roles() == [f"{FUNCTION}-process-states"]


def test_workflow_settings_and_code_errors_are_clear_and_change_nothing(aws_env, project: Path) -> None:
    set_workflows(project, {"proces": {"type": "EXPRESS"}})
    out = lz(aws_env, "deploy", "dev", "--project", str(project))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "\"workflows\" names 'proces', but the code has no @workflow of that name (found: cleanup, process)" \
        in out.stderr
    set_workflows(project, {"process": {"type": "standard"}})
    out = lz(aws_env, "deploy", "dev", "--project", str(project))
    assert out.returncode == 1 and '"workflows"."process"."type" must be one of "STANDARD", "EXPRESS"' in out.stderr
    set_workflows(project, {})
    app = project / "app.py"
    app.write_text(app.read_text().replace("    done = [resize(k) for k in keys]\n",
                                           "    with open(keys[0]) as f:\n        done = []\n"))
    out = lz(aws_env, "deploy", "dev", "--project", str(project))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "app.py:30: `with` in a workflow: cannot hold a resource across states" in out.stderr
    assert machines() == {} and boto("lambda").list_functions()["Functions"] == []


def test_status_lists_each_workflow(aws_env, project: Path) -> None:
    deployed(project)
    boto("stepfunctions").start_execution(stateMachineArn=f"{MACHINES}process", input='{"key": "a.jpg"}')
    out = lz(aws_env, "status", "dev", "--project", str(project))
    assert out.returncode == 0, out.stderr
    assert "workflows (last executions, newest first):" in out.stdout
    assert "  cleanup  standard  none yet" in out.stdout
    assert "  process  standard  RUNNING" in out.stdout  # moto's engine off: started, never run
    assert "in sync with settings and code" in out.stdout


def test_undeploy_says_whether_it_emptied_the_shared_bucket_or_deleted_it(aws_env, project: Path, monkeypatch) -> None:
    """Issue 15, item 16: bundles over 50 MB go through the project's bucket, which stages share;
    undeploy of one stage removes its objects only, and says so, and deletes the bucket with the last."""
    import lz.cli.deploy.models as models
    from lz.cli.aws import Aws
    from lz.cli.bundle import build
    from lz.cli.deploy.operations import deploy
    from lz.cli.settings import load

    monkeypatch.setattr(models, "DIRECT_UPLOAD_LIMIT", 1000)  # the small bundle stands in for a big one
    data = json.loads((project / "lz_settings.json").read_text())
    (project / "lz_settings.json").write_text(json.dumps({**data, "prod": {"extends": "dev"}}))
    for name in ("dev", "prod"):
        stage = load(project, name)
        bundle = build(stage)
        deploy(Aws(REGION), stage, bundle.path, bundle.handler, dry_run=False, show_plan=lambda s: None)
    bucket = f"lz-proj-{ACCOUNT}-{REGION}"
    first = lz(aws_env, "undeploy", "dev", "--yes", "--project", str(project))
    assert first.returncode == 0, first.stderr
    assert f"emptied this stage's 1 object under dev/ from bucket {bucket} (kept: shared with other stages: prod)" \
        in first.stdout
    assert f"deleted bucket: {bucket}" not in first.stdout
    assert "empty" in first.stderr  # the plan said so before anything was deleted
    keys = [o["Key"] for o in boto("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("prod/")
    last = lz(aws_env, "undeploy", "prod", "--yes", "--project", str(project))
    assert f"deleted bucket: {bucket} (with this stage's 1 object under prod/; no other stage had any)" in last.stdout
    assert bucket not in [b["Name"] for b in boto("s3").list_buckets()["Buckets"]]


def test_an_express_workflow_starts_but_is_not_followed_or_listed(aws_env, project: Path) -> None:
    """Step Functions keeps no history of Express executions (DescribeExecution and
    GetExecutionHistory refuse them): lz says so instead of failing on them."""
    set_workflows(project, {"cleanup": {"type": "EXPRESS", "logging": "ALL"}})
    deployed(project)
    follow = lz(aws_env, "workflow", "start", "dev", "cleanup", "--args", '[["a.jpg"]]', "--wait",
                "--project", str(project))
    assert follow.returncode == 1 and "cleanup is an EXPRESS workflow: Step Functions keeps no history" in follow.stderr
    assert follow.stdout == ""  # refused before anything started
    started = lz(aws_env, "workflow", "start", "dev", "cleanup", "--args", '[["a.jpg"]]', "--project", str(project))
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith(f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{FUNCTION}-cleanup:")
    listed = lz(aws_env, "workflow", "list", "dev", "cleanup", "--project", str(project))
    assert "cleanup: EXPRESS, its executions are in its log group only" in listed.stderr
    status = lz(aws_env, "status", "dev", "--project", str(project))
    assert "  cleanup  express  in its logs only (EXPRESS)" in status.stdout
