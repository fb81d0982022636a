"""Every route that names a function, fed hostile events: an invoker may only run what the bundle
registered (issue 11, item 1). A name that is not registered is refused and logged, and its module
is never imported, since importing is already running code the event chose."""

from __future__ import annotations

import json
import math
import sys

import pytest

from lz import task
from lz.runtime import commands
from lz.runtime.dispatch import Dispatcher
from lz.tasks import COMMANDS, SCHEDULED, TASKS, TaskError, names
from lz.tasks.names import Unregistered
from tests.builders import Context, make

TARGET = "tests.untrusted.target"
DECLARED = "tests.untrusted.declared"


def app(event, context):
    return {"statusCode": 200, "body": "app"}


handler = Dispatcher(app, request_log=False)


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    monkeypatch.setattr(names, "DECLARED", {})
    monkeypatch.delenv("LZ_ALLOW_RAW_INVOKE", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    # the decorators register into process-wide registries when a test imports tests.untrusted.*:
    # each test starts from the registries as they were, whichever test imported them before
    for module in (TARGET, DECLARED):
        sys.modules.pop(module, None)
    for registry in (TASKS, SCHEDULED, COMMANDS):
        for name in [n for n in registry if n.startswith("tests.untrusted.")]:
            del registry[name]
    registries = [(registry, dict(registry)) for registry in (TASKS, SCHEDULED, COMMANDS)]
    yield
    for module in (TARGET, DECLARED):
        sys.modules.pop(module, None)
    for registry, saved in registries:
        registry.clear()
        registry.update(saved)


def not_imported() -> bool:
    return TARGET not in sys.modules


HOSTILE_NAMES = ["os.system", "builtins.exec", "subprocess.run", f"{TARGET}.pwn",
                 "django.core.management.call_command", "lz.tasks.names.declare", "", None, 42,
                 ["os", "system"]]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_task_route_refuses_unregistered_names_without_importing(name, caplog) -> None:
    event = {"lz": "task", "id": "ab12", "name": name, "args": ["id"], "kwargs": {}}
    with pytest.raises(Unregistered):
        handler(event, Context("req-t"))
    assert not_imported()
    assert "refused (request_id=req-t)" in caplog.text


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_schedule_route_refuses_unregistered_names(name, caplog) -> None:
    with pytest.raises(Unregistered):
        handler({"lz": "schedule", "function": name, "input": "id"}, Context("req-s"))
    assert not_imported()
    assert "schedule refused (request_id=req-s)" in caplog.text


def test_task_queue_message_naming_anything_else_fails_alone(monkeypatch, caplog) -> None:
    monkeypatch.setenv("LZ_TASK_QUEUE", "https://sqs.us-east-1.amazonaws.com/123456789012/proj-dev-tasks")
    arn = "arn:aws:sqs:us-east-1:123456789012:proj-dev-tasks"
    bodies = [{"lz": "task", "id": "1", "name": f"{TARGET}.pwn", "args": []},
              {"lz": "task", "id": "2", "name": "os.system", "args": ["id"]},
              {"not": "a task"}, "[1, 2]"]
    event = {"Records": [{"messageId": f"m{i}", "eventSource": "aws:sqs", "eventSourceARN": arn,
                          "body": body if isinstance(body, str) else json.dumps(body)}
                         for i, body in enumerate(bodies)]}
    result = handler(event, Context())
    assert result == {"batchItemFailures": [{"itemIdentifier": f"m{i}"} for i in range(4)]}
    assert not_imported()


@pytest.mark.parametrize("name", HOSTILE_NAMES[:5])
def test_invoke_route_refuses_unregistered_names_when_raw_code_is_off(name) -> None:
    result = handler({"lz": "invoke", "function": name, "args": ["id"]}, Context())
    assert "error" in result and "result" not in result
    assert not_imported()


def test_call_command_shell_through_invoke_is_refused() -> None:
    event = {"lz": "invoke", "function": "django.core.management.call_command",
             "args": ["shell"], "kwargs": {"command": "import os; os.system('id')"}}
    assert "is not a @command" in handler(event, Context())["error"]
    assert "django" not in sys.modules or "django.core.management" not in sys.modules


def test_raw_call_is_behind_the_raw_gate(monkeypatch) -> None:
    event = {"lz": "raw", "call": f"{TARGET}.pwn", "args": [1]}
    assert "allow_raw_invoke" in handler(event, Context())["error"]
    assert not_imported()
    monkeypatch.setenv("LZ_ALLOW_RAW_INVOKE", "1")  # the stage opted in: raw code is what it asked for
    assert handler(event, Context())["result"] == "pwned"


@pytest.mark.parametrize("args", [
    ["shell", "-c", "import os"], ["Shell"], ["shell_plus"], ["dbshell"], ["runscript", "x"],
    ["debugsqlshell"], ["--settings=mysite.settings", "shell"], ["notebook"], ["sqlshell"],
])
def test_manage_refuses_shell_like_commands_however_spelled(args, monkeypatch) -> None:
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "mysite.settings")
    result = handler({"lz": "manage", "args": args}, Context())
    assert "error" in result and "output" not in result
    from lz.cli.invoke import InvokeError, manage_payload

    with pytest.raises(InvokeError):  # the CLI says the same before sending anything
        manage_payload(args)


def test_declared_names_import_their_module_and_run_by_their_kind_only() -> None:
    names.declare({f"{DECLARED}.resize": [DECLARED, "resize", ["task"]],
                   f"{DECLARED}.hourly": [DECLARED, "hourly", ["schedule"]],
                   f"{DECLARED}.stats": [DECLARED, "stats", ["command"]],
                   f"{DECLARED}.plain": [DECLARED, "plain", ["event"]]})
    assert handler({"lz": "task", "id": "t1", "name": f"{DECLARED}.resize", "args": ["a.jpg"]},
                   Context()) == {"task": f"{DECLARED}.resize", "id": "t1"}
    module = sys.modules[DECLARED]
    handler({"lz": "schedule", "function": f"{DECLARED}.hourly"}, Context())
    handler({"lz": "schedule", "function": f"{DECLARED}.plain", "input": 3}, Context())
    assert handler({"lz": "invoke", "function": f"{DECLARED}.stats"}, Context())["result"] == {"ok": True}
    assert module.RAN == [("resize", "a.jpg"), ("hourly",), ("plain", 3), ("stats",)]
    # a registered function is still refused on a route it was not registered for
    with pytest.raises(Unregistered, match="is not a @task"):
        handler({"lz": "task", "id": "t2", "name": f"{DECLARED}.stats"}, Context())
    with pytest.raises(Unregistered, match="is not a @schedule"):
        handler({"lz": "schedule", "function": f"{DECLARED}.resize"}, Context())


def test_malformed_task_payloads_are_refused_with_what_is_wrong() -> None:
    names.declare({f"{DECLARED}.resize": [DECLARED, "resize", ["task"]]})
    name = f"{DECLARED}.resize"
    ran = names.resolve(name, ("task",)).__globals__["RAN"]
    before = list(ran)
    for bad, says in [({"args": "a.jpg"}, "args must be a JSON list"),
                      ({"kwargs": ["x"]}, "kwargs must be a JSON object"),
                      ({"attempt": "1"}, "attempt must be a whole number")]:
        with pytest.raises(TaskError, match=says):
            handler({"lz": "task", "id": "t3", "name": name, **bad}, Context())
    assert ran == before


@pytest.mark.parametrize("pointer", [
    {"bucket": "someone-elses-bucket", "key": "lz-tasks/fn/ab12.json"},
    {"bucket": "task-payloads", "key": "secrets/db.json"},
    {"bucket": "task-payloads", "key": "lz-tasks/other-stage-fn/ab12.json"},
    {"bucket": "task-payloads", "key": "lz-tasks/fn/other-id.json"},
    {"bucket": "task-payloads", "key": "lz-tasks/fn/../../secrets/db.json"},
    "s3://task-payloads/lz-tasks/fn/ab12.json",
])
def test_offload_pointers_outside_this_stages_prefix_are_refused(pointer, monkeypatch, caplog) -> None:
    """Refused before any S3 call (no boto3 client is made): a pointer is read and then deleted,
    so it must name this stage's own task bucket and prefix. The moto-backed test in
    tests/cli/test_task_offload_pointer.py checks that the object survives such a pointer."""
    monkeypatch.setenv("LZ_TASK_BUCKET", "task-payloads")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    names.declare({f"{DECLARED}.resize": [DECLARED, "resize", ["task"]]})
    from lz.tasks import transport

    monkeypatch.setattr(transport, "_clients", {})
    event = {"lz": "task", "id": "ab12", "name": f"{DECLARED}.resize", "s3": pointer}
    with pytest.raises(TaskError, match="refused a task payload pointer"):
        handler(event, Context())
    assert transport._clients == {}  # no S3 client was even created


@task
def send_numbers(values: list) -> None:
    pass


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_task_errors_at_the_call_site(value) -> None:
    with pytest.raises(TaskError, match="not JSON"):
        send_numbers([1.0, value])


def test_deep_nesting_is_a_task_error_at_the_call_site() -> None:
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(TaskError, match="nested too deeply"):
        send_numbers(deep)


def test_a_bare_eventbridge_keep_warm_event_is_answered_quietly(caplog) -> None:
    ping = {"version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-12-01T00:00:00Z", "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/warm"], "detail": {}}
    assert handler(ping, Context()) == {"warm": True}
    assert caplog.text == ""


@pytest.mark.parametrize("event", [
    {"requestContext": "x"},
    {"requestContext": {"http": "x"}, "rawPath": "/"},
    {"requestContext": {"http": {"method": "GET"}}, "rawPath": "/"},   # v2 without "version"
    {"requestContext": [], "httpMethod": ["GET"]},
    {"httpMethod": "GET"},
    {"requestContext": {"elb": 1}, "path": 3},
])
def test_malformed_http_events_get_an_answer_not_an_exception(event, monkeypatch, capsys) -> None:
    monkeypatch.delenv("LZ_REQUEST_LOG", raising=False)
    from lz.adapter import adapt

    entry = Dispatcher(adapt(lambda environ, start: start("200 OK", []) or [b"ok"]))
    result = entry(event, Context())
    assert isinstance(result, dict) and isinstance(result.get("statusCode"), int), result
    assert result["statusCode"] >= 400


@pytest.mark.parametrize("event", [
    {"Records": [{"eventSource": "aws:s3", "s3": "x"}]},
    {"Records": [{"eventSource": "aws:s3", "s3": {"bucket": [], "object": {"key": 5}}}]},
    {"Records": [{"eventSource": "aws:sns", "Sns": "x"}]},
    {"Records": [{"eventSource": "aws:sqs", "eventSourceARN": 5, "messageId": "m"}]},
    {"Records": [{"eventSource": "aws:sqs"}, "x"]},
    {"Records": [{"eventSource": "aws:s3"}, {"eventSource": "aws:sqs"}]},
])
def test_malformed_records_are_answered_or_reported_never_crash_on_shape(event) -> None:
    result = handler(event, Context())
    assert isinstance(result, dict)


def test_the_generated_entry_declares_what_the_code_registers(tmp_path) -> None:
    """lz package's declaration is read from the code (never by importing it) and written into
    lz_handler.py; the settings' `events` functions are declared too."""
    from pathlib import Path

    from lz.cli.bundle.entry import handler_source
    from lz.cli.registry import declarations, scan

    root = Path(__file__).parent.parent
    files = [("tests/untrusted/declared.py", root / "tests/untrusted/declared.py"),
             ("tests/untrusted/target.py", root / "tests/untrusted/target.py")]
    declared = declarations(scan(files), [{"function": f"{DECLARED}.plain", "expression": "rate(1 day)"}],
                            files)
    assert declared == {f"{DECLARED}.hourly": [DECLARED, "hourly", ["schedule"]],
                        f"{DECLARED}.plain": [DECLARED, "plain", ["event"]],
                        f"{DECLARED}.resize": [DECLARED, "resize", ["task"]],
                        f"{DECLARED}.stats": [DECLARED, "stats", ["command"]]}
    source = handler_source("app:app", {}, declared)
    namespace: dict = {}
    exec(compile(source.split("_module =")[0], "lz_handler.py", "exec"), namespace)
    assert names.DECLARED[f"{DECLARED}.resize"] == (DECLARED, "resize", ("task",))
    assert f"{TARGET}.pwn" not in names.DECLARED
