"""The deploy's steps as a graph against moto (the server runs in this process, so a test can make one
AWS call fail or answer as AWS would while it is busy): a failing step stops what needs it and
the CLI says which; the output stays in plan order; a re-run converges; the function's waits and
the role's retries ask for pauses only when AWS says so, short ones first; one change of the
function's policy at a time. The interrupted-at-every-step case is in test_deploy.py."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from tests.cli.conftest import REGION, lz, project_copy
from tests.cli.stage import NAME, clients, deploy, rules

moto_server = pytest.importorskip("moto.server")
pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return project_copy(tmp_path, "example_flask")


def step_numbers(stderr: str) -> list[int]:
    return [int(n) for n in re.findall(r"^  \[(\d+)\] ", stderr, re.M)]


def in_process(project: Path):
    """Deploy example_flask's dev stage in this process (moto patches reach the server)."""
    from lz.cli.aws import Aws
    from lz.cli.bundle import build
    from lz.cli.deploy.operations import deploy as run
    from lz.cli.settings import load

    stage = load(project, "dev")
    bundle = build(stage)
    return run(Aws(REGION), stage, bundle.path, bundle.handler, dry_run=False, show_plan=lambda s: None)


def refusing(monkeypatch, cls, method: str, code: str, message: str, times: int = 99, status: int = 400) -> list[int]:
    """moto's `cls.method` refuses the first `times` calls with AWS error `code`; returns the count."""
    from moto.core.exceptions import JsonRESTError

    calls = [0]
    real = getattr(cls, method)

    def refuse(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] <= times:
            raise JsonRESTError(code, message)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, method, refuse)
    return calls


def pauses(monkeypatch) -> list[float]:
    """Every Aws.pause asked for, recorded instead of slept."""
    from lz.cli.aws import Aws

    asked: list[float] = []
    monkeypatch.setattr(Aws, "pause", lambda self, seconds: asked.append(seconds))
    return asked


def test_a_failing_step_stops_what_needs_it_the_cli_says_which_and_a_rerun_converges(
        aws_env, project: Path, monkeypatch) -> None:
    from moto.logs.models import LogsBackend

    with monkeypatch.context() as patch:
        refusing(patch, LogsBackend, "create_log_group", "ServiceUnavailableException", "try later")
        failed = lz(aws_env, "deploy", "dev", "--project", str(project))
    assert failed.returncode != 0
    assert "create logs: /aws/lambda/example-flask-dev FAILED" in failed.stderr
    assert "Error: create log group /aws/lambda/example-flask-dev failed: ServiceUnavailableException: " \
           "try later" in failed.stderr
    assert "Traceback" not in failed.stderr
    numbers = step_numbers(failed.stderr)
    assert numbers == sorted(numbers) and 5 not in numbers  # the function needs its log group
    done = len(numbers) - 1
    if done:
        assert f"{done} of 16 steps done: run lz deploy dev again to finish" in failed.stderr
    c = clients()
    assert c["lambda"].list_functions()["Functions"] == []  # nor anything that needs the function
    assert [a for a in c["apigatewayv2"].get_apis()["Items"] if a["Name"] == NAME] == [] and rules() == {}

    again = deploy(aws_env, project)
    assert step_numbers(again.stderr) == list(range(1, 16 - done + 1))  # every step left, in order
    assert c["lambda"].get_alias(FunctionName=NAME, Name="live")["FunctionVersion"] == "1"
    assert "nothing to change" in deploy(aws_env, project).stderr


def test_a_pending_function_is_looked_at_soon_then_less_often_and_published_once_active(
        aws_env, project: Path, monkeypatch) -> None:
    """Lambda guide, "Lambda function states"
    (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html): after CreateFunction a
    function is Pending and PublishVersion fails until it is Active. moto answers Active at once,
    so here the create's answer and the next read say Pending."""
    from moto.awslambda.models import LambdaFunction

    from lz.cli.deploy.resources import function

    answers = [0]
    real = LambdaFunction.get_configuration

    def pending(self, on_create: bool = False):
        config = real(self, on_create)
        answers[0] += 1
        if answers[0] <= 2:
            config["State"] = "Pending"
        return config

    monkeypatch.setattr(LambdaFunction, "get_configuration", pending)
    asked = pauses(monkeypatch)
    result = in_process(project)
    assert asked == list(function.POLLS[:2])
    assert result.calls["lambda:GetFunctionConfiguration"] == 3  # two polls, then publish's own read
    assert result.version == "1"


def test_an_active_function_is_not_waited_for(aws_env, project: Path, monkeypatch) -> None:
    asked = pauses(monkeypatch)
    result = in_process(project)
    assert asked == [] and result.calls["lambda:GetFunctionConfiguration"] == 1  # publish's guard


def test_a_role_lambda_cannot_assume_yet_is_retried_soon(aws_env, project: Path, monkeypatch) -> None:
    """IAM is eventually consistent: Lambda refuses a role made seconds ago ("The role defined for
    the function cannot be assumed by Lambda"); the first retry comes after half a second."""
    from moto.awslambda.models import LambdaBackend

    from lz.cli.deploy.resources import function

    calls = refusing(monkeypatch, LambdaBackend, "create_function", "InvalidParameterValueException",
                     "The role defined for the function cannot be assumed by Lambda.", times=2)
    asked = pauses(monkeypatch)
    assert in_process(project).version == "1"
    assert calls[0] == 3 and asked == list(function.ROLE_RETRIES[:2]) and asked[0] <= 0.5


def test_any_other_refusal_of_the_function_is_explained_at_once(aws_env, project: Path, monkeypatch) -> None:
    from moto.awslambda.models import LambdaBackend

    from lz.cli.aws import AwsError

    calls = refusing(monkeypatch, LambdaBackend, "create_function", "InvalidParameterValueException",
                     "Unzipped size must be smaller than 262144000 bytes")
    asked = pauses(monkeypatch)
    with pytest.raises(AwsError, match="creating function example-flask-dev failed: "
                                       "InvalidParameterValueException: Unzipped size"):
        in_process(project)
    assert calls[0] == 1 and asked == []


def test_the_function_policy_is_changed_one_call_at_a_time(aws_env, project: Path) -> None:
    """Lambda refuses a change of a function's resource policy while another is in progress:
    AddPermission's ResourceConflictException, "The resource already exists, or another operation
    is in progress" (Lambda API reference, "AddPermission",
    https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html). moto would take them side
    by side, and the tests' moto answers one request at a time, so the calls are counted where AWS
    would see them overlap: in flight from lz's client, between botocore's before-call and
    after-call. Each caller waits there a moment for another to arrive: with lz's lock none does."""
    from lz.cli.aws import Aws
    from lz.cli.deploy.resources import _permissions

    in_process(project)
    inside, most, arrived = [0], [0], threading.Event()
    count = threading.Lock()

    def sending(**_kwargs) -> None:
        with count:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            if inside[0] > 1:
                arrived.set()
        arrived.wait(1.5)  # a second caller would arrive meanwhile, unless lz holds it back

    def answered(**_kwargs) -> None:
        with count:
            inside[0] -= 1

    aws = Aws(REGION)
    events = aws.client("lambda").meta.events
    events.register("before-call.lambda.AddPermission", sending)
    events.register("after-call.lambda.AddPermission", answered)
    threads = [threading.Thread(target=_permissions.allow, args=(
        aws, NAME, f"lz-test-{n}", "events.amazonaws.com", f"arn:aws:events:{REGION}:123456789012:rule/r{n}"))
        for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1
    assert {"lz-test-0", "lz-test-1"} <= _permissions.statement_ids(aws, NAME)
    assert aws.calls["lambda:GetPolicy"] == 1  # read once; each addition is written into that read
