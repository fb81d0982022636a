"""A workflow called as a function is plain Python: its tasks run inline and return their values,
with the checks and failures of the compiled Task states (JSON, retries, 256 KiB, StepFailed)."""

from __future__ import annotations

import json
import math
import time

import pytest

from lz.tasks import TaskError, task
from lz.tasks.workflow import StepFailed, Workflow, WorkflowError, parallel, step_failed, wait, workflow

calls: list = []


class Declined(Exception):
    pass


class Expired(Declined):
    pass


@workflow
def uses_a_task_defined_below(x):
    """The workflow's globals are read when it runs: a task defined after it is a step too."""
    return later(x)


@task
def later(x):
    calls.append(("later", x))
    return {"x": x, "pair": (x, x)}


@task(retries=2)
def flaky(fails):
    calls.append("flaky")
    if len(calls) <= fails:
        raise ConnectionResetError(f"attempt {len(calls)}")
    return len(calls)


@task
def raises(kind):
    raise {"expired": Expired, "value": ValueError}[kind](f"{kind}!")


@task
def returns(value):
    return value


@workflow
def chain(x):
    first = later(x)
    second = returns(first["pair"])
    return {"first": first, "second": second}


@workflow
def retried(fails):
    return flaky(fails)


@workflow
def catching(kind):
    try:
        raises(kind)
    except Declined as e:
        return ["declined", e.error, e.cause]
    except TaskError as e:
        return ["task", e.error, str(e)]


@workflow
def passing(value):
    return returns(value)


@task
def grow(size):
    return "x" * size


@workflow
def growing(size):
    return grow(size)


@workflow
def fails(message="stop"):
    raise WorkflowError(message)


@workflow
def both_ways(x):
    a, b = parallel(lambda: returns(x), lambda: later(x))
    return [a, b]


@pytest.fixture(autouse=True)
def clean():
    calls.clear()
    yield
    calls.clear()


def test_tasks_run_inline_and_return_their_values_as_json_gives_them_back() -> None:
    assert uses_a_task_defined_below(3) == {"x": 3, "pair": [3, 3]}
    assert chain(1) == {"first": {"x": 1, "pair": [1, 1]}, "second": [1, 1]}
    assert calls == [("later", 3), ("later", 1)]
    assert both_ways(2) == [2, {"x": 2, "pair": [2, 2]}]
    assert isinstance(chain, Workflow) and chain.name == f"{__name__}.chain" and chain.short_name == "chain"


def test_a_task_failure_is_a_step_failed_that_is_also_the_task_exception() -> None:
    assert catching("expired") == ["declined", "Expired", "expired!"]  # a subclass, caught by its base
    assert catching("value") == ["task", "ValueError", "value!"]
    with pytest.raises(ValueError) as caught:
        Workflow(lambda: raises("value"))()
    failed = caught.value
    assert isinstance(failed, StepFailed) and isinstance(failed, TaskError)
    assert (failed.error, failed.cause, failed.task) == ("ValueError", "value!", f"{__name__}.raises")
    assert isinstance(failed.__cause__, ValueError) and not isinstance(failed.__cause__, StepFailed)
    with pytest.raises(WorkflowError, match="^stop$"):
        fails()


def test_exception_classes_that_cannot_be_combined_still_give_a_step_failed() -> None:
    for exc in (ConnectionError("c"), OSError(2, "gone"), UnicodeDecodeError("utf-8", b"x", 0, 1, "bad"),
                KeyError("k"), WorkflowError("w")):
        failed = step_failed(exc, "t")
        assert isinstance(failed, StepFailed) and isinstance(failed, type(exc))
        assert (failed.error, failed.cause) == (type(exc).__name__, str(exc))


def test_retries_run_the_task_again_as_the_retry_does() -> None:
    assert retried(2) == 3
    calls.clear()
    with pytest.raises(StepFailed) as caught:
        retried(5)
    assert caught.value.error == "ConnectionResetError" and calls == ["flaky"] * 3


@pytest.mark.parametrize("value, words", [
    (math.nan, "not JSON"), ({1, 2}, "not JSON"), (object(), "not JSON"),
])
def test_arguments_and_results_must_be_json(value, words) -> None:
    with pytest.raises(TaskError, match=words):
        passing(value)


def test_a_result_over_256_kib_is_refused_naming_workflow_task_and_size() -> None:
    """Step Functions caps a state's input and output at 262,144 bytes ("Step Functions service
    quotas", https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html)."""
    assert len(growing(262_142)) == 262_142  # 262,144 bytes with its quotes: the limit itself
    with pytest.raises(StepFailed) as caught:
        growing(262_143)
    message = str(caught.value)
    assert caught.value.error == "TaskError"
    assert f"task {__name__}.grow returned 262,145 bytes to workflow {__name__}.growing" in message
    assert "262,144 bytes (256 KiB)" in message and "return its key" in message


def test_inputs_are_bound_by_name_with_defaults_and_checked() -> None:
    assert fails.execution_input() == {"message": "stop"}
    assert chain.execution_input(x=(1, 2)) == {"x": [1, 2]}
    with pytest.raises(TypeError, match=f"workflow {__name__}.chain: .*argument"):
        chain(1, 2)
    with pytest.raises(TaskError, match="over Step Functions' 262,144-byte limit for an execution's input"):
        chain.execution_input("x" * 300_000)
    with pytest.raises(TaskError, match="not JSON"):
        chain.execution_input(b"bytes")


def test_parallel_runs_each_branch_in_order_and_wait_checks_its_arguments(monkeypatch) -> None:
    assert parallel(lambda: 1, lambda: "two") == [1, "two"]
    with pytest.raises(TypeError, match="lambda: task"):
        parallel(1)
    for bad in [{}, {"seconds": 1, "until": "2030-01-01T00:00:00Z"}, {"seconds": -1}, {"seconds": 1.5},
                {"until": "tomorrow"}, {"until": "2030-01-01T00:00:00"}]:
        with pytest.raises(TypeError):
            wait(**bad)
    t0 = time.perf_counter()
    wait(until="2000-01-01T00:00:00Z")  # in the past: at once
    wait(seconds=0)
    monkeypatch.setenv("LZ_WORKFLOW_WAITS", "skip")
    wait(seconds=3600)
    assert time.perf_counter() - t0 < 1


def test_start_runs_in_a_thread_locally_and_the_handle_gives_the_result(monkeypatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.delenv("LZ_TASKS", raising=False)
    handle = chain.start(5)
    assert handle.arn is None and handle.mode == "thread" and len(handle.name) == 32
    assert handle.result == {"first": {"x": 5, "pair": [5, 5]}, "second": [5, 5]}
    with pytest.raises(StepFailed, match="^value!$"):
        Workflow(lambda: raises("value")).start().result


def test_start_on_a_stage_starts_an_execution_of_its_state_machine(aws_env, monkeypatch) -> None:
    """LZ_TASKS=remote:STAGE (as on Lambda): StartExecution of <function>-<workflow>, its input
    the arguments by name."""
    import boto3

    from lz.tasks import transport

    monkeypatch.setattr(transport, "_clients", {})
    sfn = boto3.client("stepfunctions")
    arn = sfn.create_state_machine(name="shop-dev-chain", definition=json.dumps(
        {"StartAt": "p", "States": {"p": {"Type": "Pass", "End": True}}}),
        roleArn="arn:aws:iam::123456789012:role/r")["stateMachineArn"]
    monkeypatch.setenv("LZ_TASKS", "remote:dev")
    monkeypatch.setenv("LZ_TASKS_FUNCTION", "shop-dev")
    handle = chain.start(x=[1, "a"])
    assert handle.arn.startswith(arn.replace(":stateMachine:", ":execution:"))
    assert json.loads(sfn.describe_execution(executionArn=handle.arn)["input"]) == {"x": [1, "a"]}
    with pytest.raises(TaskError, match="runs on Step Functions"):
        handle.result
    monkeypatch.setenv("LZ_WORKFLOW_ARN_PREFIX", arn[: -len("chain")])
    assert chain.start(2).arn.startswith(arn.replace(":stateMachine:", ":execution:"))


def test_importing_and_declaring_workflows_loads_nothing_heavy() -> None:
    from tests.test_runtime_imports import HEAVY, _loaded_after

    loaded = _loaded_after("from lz.tasks.workflow import workflow, parallel, wait, WorkflowError\n"
                           "@workflow\ndef f(x): return x")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
