"""Operator commands routed by the dispatcher (lz invoke / lz manage), and the structured request
log line that `lz tail` formats."""

from __future__ import annotations

import json

import pytest

from lz import command
from lz.runtime.dispatch import Dispatcher
from tests.builders import Context, make

calls: list = []


@command
def greet(name: str, punctuation: str = "!") -> dict:
    print(f"greeting {name}")
    calls.append(name)
    return {"hello": name + punctuation}


def app(event, context):
    return {"statusCode": 201, "body": "made"}


handler = Dispatcher(app, request_log=False)


def test_invoke_calls_the_function_and_returns_its_value_and_output() -> None:
    result = handler({"lz": "invoke", "function": "tests.test_commands.greet", "args": ["ada"],
                      "kwargs": {"punctuation": "?"}}, Context())
    assert result == {"result": {"hello": "ada?"}, "output": "greeting ada\n"}
    assert calls[-1] == "ada"


def test_invoke_of_something_unregistered_is_refused_and_bad_names_too() -> None:
    refused = handler({"lz": "invoke", "function": "tests.test_commands.nope"}, Context())["error"]
    assert "'tests.test_commands.nope' is not a @command" in refused and "@command" in refused
    assert "module.function" in handler({"lz": "invoke", "function": "greet"}, Context())["error"]


def test_raw_code_is_refused_unless_the_stage_allows_it(monkeypatch) -> None:
    monkeypatch.delenv("LZ_ALLOW_RAW_INVOKE", raising=False)
    refused = handler({"lz": "raw", "code": "print(1 + 1)"}, Context())
    assert "allow_raw_invoke" in refused["error"] and "output" not in refused
    monkeypatch.setenv("LZ_ALLOW_RAW_INVOKE", "1")
    assert handler({"lz": "raw", "code": "print(1 + 1)"}, Context()) == {"output": "2\n"}


@pytest.mark.parametrize(("args", "says"), [
    (["shell"], "opens an interactive Python shell"),
    (["dbshell"], "opens a database shell"),
    (["createsuperuser", "--username", "a"], "pass --noinput"),
    ([], "needs a command"),
])
def test_manage_refuses_commands_that_need_a_terminal_or_run_code(args, says, monkeypatch) -> None:
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "mysite.settings")
    assert says in handler({"lz": "manage", "args": args}, Context())["error"]


def test_manage_outside_django_says_so(monkeypatch) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    assert "DJANGO_SETTINGS_MODULE is not set" in handler({"lz": "manage", "args": ["check"]}, Context())["error"]


def test_each_request_leaves_one_structured_log_line(capsys, monkeypatch) -> None:
    monkeypatch.delenv("LZ_REQUEST_LOG", raising=False)
    logged = Dispatcher(app)
    logged(make("http_v2", method="POST", path="/items/%C3%A9"), Context("req-7"))
    logged(make("rest_v1", path="/x"), Context("req-8"))
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["method"], line["path"], line["status"], line["request_id"]) for line in lines] == [
        ("POST", "/items/%C3%A9", 201, "req-7"), ("GET", "/x", 201, "req-8")]
    assert all(line["lz"] == "request" and line["ms"] >= 0 for line in lines)
    monkeypatch.setenv("LZ_REQUEST_LOG", "0")
    Dispatcher(app)(make("http_v2"), Context())
    assert capsys.readouterr().out == ""
