"""The "step" route: a workflow's Task state runs one registered @task in the bundle and answers
with its value. The event is untrusted: it names only registered tasks, its arguments are checked."""

from __future__ import annotations

import sys
import time

import pytest

from lz.runtime.dispatch import Dispatcher
from lz.tasks import TaskError, command, task
from lz.tasks.names import Unregistered
from lz.tasks.run import TaskTimeout
from lz.tasks.steps import STATE_LIMIT, error_name, execute_step

NAME = __name__


class Declined(Exception):
    pass


class Expired(Declined):
    pass


@task
def join(a, b, sep="-"):
    return f"{a}{sep}{b}"


@task
def failing(kind):
    raise {"expired": Expired, "value": ValueError}[kind](f"{kind}!")


@task
def sized(n):
    return "x" * n


@task
def unserializable():
    return {1, 2}


@task(timeout=0.2)
def sleepy():
    time.sleep(5)


@command
def operator_only():
    return "ran"


def step(name: str, args=None, kwargs=None, **extra) -> dict:
    return {"lz": "step", "workflow": "app.flow", "name": f"{NAME}.{name}", "args": args or {},
            "kwargs": kwargs or {}, **extra}


def test_a_step_runs_the_task_and_answers_with_its_value() -> None:
    assert execute_step(step("join", {"0": "a", "1": "b"}, {"sep": "+"}), "r1") == "a+b"
    assert execute_step(step("join", ["a", "b"]), "r2") == "a-b"  # a list as hand-written ASL gives it
    assert Dispatcher()(step("join", {"1": "b", "0": "a"})) == "a-b"  # the route the machine reaches


@pytest.mark.parametrize("event, words", [
    ({"args": {"0": 1, "2": 2}}, 'args must be a list or an object of "0", "1"'),
    ({"args": {"a": 1}}, 'args must be a list or an object of "0", "1"'),
    ({"args": "a,b"}, "args must be a JSON list"),
    ({"kwargs": [1]}, "kwargs must be a JSON object"),
    ({"catch": "ValueError"}, "catch must be a list"),
    ({"catch": [""]}, "catch must be a list"),
])
def test_malformed_steps_are_refused(event, words) -> None:
    with pytest.raises(TaskError, match=words):
        execute_step({**step("join"), **event}, "r")


def test_only_registered_tasks_run_nothing_the_event_names_is_imported() -> None:
    for name in ("os.system", "builtins.exec", f"{NAME}.operator_only", f"{NAME}.step", "",
                 "tests.workflow.never_imported.run"):
        with pytest.raises(Unregistered):
            execute_step({"lz": "step", "name": name, "args": ["echo hi"]}, "r")
    with pytest.raises(Unregistered):
        execute_step({"lz": "step", "name": None}, "r")
    assert "tests.workflow.never_imported" not in sys.modules


def test_a_failure_is_reported_under_the_handler_class_it_is_an_instance_of() -> None:
    with pytest.raises(ValueError):  # no handler names a base of it: its own class
        execute_step(step("failing", ["value"], catch=["Declined"]), "r")
    with pytest.raises(Exception) as caught:
        execute_step(step("failing", ["expired"], catch=["KeyError", "Declined"]), "r")
    assert type(caught.value).__name__ == "Declined" and str(caught.value) == "expired!"
    assert isinstance(caught.value.__cause__, Expired)
    assert error_name(Expired("x"), ["Expired", "Declined"]) == "Expired"  # Python's except order
    assert error_name(Expired("x"), ["Exception"]) == "Exception"


def test_a_result_the_state_machine_cannot_carry_is_refused_with_the_reason() -> None:
    """Step Functions caps a state's input and output at 262,144 bytes of UTF-8 ("Step Functions
    service quotas", https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html); over it an execution fails with States.DataLimitExceeded, which
    States.ALL does not catch ("Handling errors in Step Functions workflows", https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)."""
    assert STATE_LIMIT == 256 * 1024
    assert len(execute_step(step("sized", [STATE_LIMIT - 2]), "r")) == STATE_LIMIT - 2
    with pytest.raises(TaskError) as caught:
        execute_step(step("sized", [STATE_LIMIT]), "r")
    assert str(caught.value).startswith(f"task {NAME}.sized returned 262,146 bytes to workflow app.flow: a "
                                        "Step Functions state holds at most 262,144 bytes")
    with pytest.raises(TaskError, match="returned a value that is not JSON"):
        execute_step(step("unserializable"), "r")


def test_the_task_timeout_applies_in_the_step() -> None:
    t0 = time.perf_counter()
    with pytest.raises(TaskTimeout, match="ran longer than its timeout of 0.2 s"):
        execute_step(step("sleepy"), "r")
    assert time.perf_counter() - t0 < 2
