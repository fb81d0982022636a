"""The demo project deployed by `lz deploy` to moto with its Step Functions engine on (every
definition the deploy sends is parsed by the engine), then run through `lz workflow start --wait`,
`list`, `show` and `lz status`: each Task state invokes the deployed alias `live`, which moto routes
to the real bundle under lz's local runtime (tests/workflow/engine.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lz.cli.main import cli
from tests.workflow.conftest import PROJECT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("workflow-engine")]
ALIAS = "arn:aws:lambda:us-east-1:123456789012:function:project-dev:live"


def lz(*args: str, project: Path):
    return CliRunner().invoke(cli, [*args, "--project", str(project)], catch_exceptions=False)


@pytest.fixture
def stage(aws_env, engine, tmp_path: Path) -> Path:
    """The demo project (its function is project-dev), deployed; aws_env first: it resets moto,
    then the engine turns execution on."""
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root, ignore=shutil.ignore_patterns("__pycache__", ".lz"))
    done = lz("deploy", "dev", project=root)
    assert done.exit_code == 0, done.output
    return root


def test_start_wait_list_show_and_status_tell_the_story_of_real_executions(stage: Path, workflows) -> None:
    import boto3

    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    machine = sfn.describe_state_machine(
        stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:project-dev-process_upload")
    assert ALIAS in machine["definition"] and "${FunctionArn}" not in machine["definition"]

    ok = lz("workflow", "start", "dev", "process_upload", "--args", '{"key": "cat.jpg", "sizes": [64]}',
            "--wait", "--poll", "0.05", project=stage)
    assert ok.exit_code == 0, ok.output
    arn, *rest = ok.stdout.splitlines()
    assert arn.startswith("arn:aws:states:us-east-1:123456789012:execution:project-dev-process_upload:")
    expected = workflows["process_upload"]("cat.jpg", [64])  # the same workflow run as Python
    assert json.loads("\n".join(rest)) == expected == {
        "key": "cat.png", "thumbs": ["cat.png@64"], "audit": "audited cat.png", "notified": "notified ops"}
    assert "-> L" in ok.stderr and "_small_resize (Task)" in ok.stderr and "SUCCEEDED" in ok.stderr

    failed = lz("workflow", "start", "dev", "process_upload", "--args", '["broken.jpg", [1]]', "--wait",
                "--poll", "0.05", project=stage)
    assert failed.exit_code == 1
    assert "the execution ended FAILED in state L" in failed.stderr
    assert "_small_resize: ValueError: cannot read broken.jpg" in failed.stderr
    assert "raise ValueError" in failed.stderr  # the task's traceback, from the bundle
    failed_arn = failed.stdout.splitlines()[0]

    listed = lz("workflow", "list", "dev", "process_upload", project=stage)
    assert listed.exit_code == 0, listed.output
    rows = listed.stdout.splitlines()
    assert [r.split()[3] for r in rows] == ["FAILED", "SUCCEEDED"]  # newest first
    assert rows[0].split()[-1] == failed_arn.rsplit(":", 1)[-1]
    everything = lz("workflow", "list", "dev", project=stage)
    assert everything.stdout == listed.stdout  # no other workflow ran

    shown = lz("workflow", "show", "dev", failed_arn.rsplit(":", 1)[-1], project=stage)
    assert shown.exit_code == 0, shown.output
    text = shown.stdout
    assert f"execution  {failed_arn}" in text
    assert "workflow   process_upload (project-dev-process_upload)" in text and "status     FAILED" in text
    assert 'input      {"key": "broken.jpg", "sizes": [1]}' in text and "output     -" in text
    assert "failed in  L" in text and "_small_resize: ValueError: cannot read broken.jpg" in text
    history = text.split("history:\n", 1)[1]
    assert "ExecutionStarted" in history and "_small_resize (Task)" in history
    assert "LambdaFunctionFailed in L" in history and "ExecutionFailed" in history

    succeeded = lz("workflow", "show", "dev", arn, project=stage)
    assert "status     SUCCEEDED" in succeeded.stdout
    assert json.loads(succeeded.stdout.split("output     ", 1)[1].splitlines()[0]) == expected

    status = lz("status", "dev", project=stage)
    assert status.exit_code == 0, status.output
    assert "  process_upload  standard  FAILED, SUCCEEDED" in status.stdout
    assert "  fan_out  standard  none yet" in status.stdout


def test_bad_names_and_arguments_are_refused_before_anything_starts(stage: Path) -> None:
    import boto3

    missing = lz("workflow", "start", "dev", "process_uplod", project=stage)
    assert missing.exit_code == 1
    assert "stage dev has no deployed workflow 'process_uplod' (deployed: arguments, branches," in missing.output
    for given, says in [('{"kee": "a"}', "--args for process_upload(key, sizes, recipient): no parameter kee; "
                                          "missing key, sizes"),
                        ('["a", [1], "ops", 4]', "process_upload takes 3 argument(s) (key, sizes, recipient), "
                                                 "--args gives 4"),
                        ("{oops", "--args is not JSON"),
                        ('"a"', "--args must be a JSON object of process_upload's parameters")]:
        bad = lz("workflow", "start", "dev", "process_upload", "--args", given, project=stage)
        assert bad.exit_code == 1 and says in bad.output, bad.output
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:project-dev-process_upload"
    assert sfn.list_executions(stateMachineArn=arn)["executions"] == []
    unknown = lz("workflow", "show", "dev", "no-such-run", project=stage)
    assert unknown.exit_code == 1 and "stage dev has no execution 'no-such-run'" in unknown.output
