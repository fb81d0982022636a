"""What `lz invoke`, `lz manage` and `lz tail` print: each line once, the reason of a failure in
full, and a word when there is nothing to print (issue 15, items 2, 13, 20, 21)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from lz.cli.invoke import _function_error
from lz.cli.operate import _log_besides, manage
from tests.cli.conftest import REGION, lz, project_copy


@pytest.mark.parametrize(("argv", "local", "django"), [
    (["dev", "check", "--local"], True, ("check",)),
    (["--local", "dev", "migrate", "--noinput"], True, ("migrate", "--noinput")),
    (["dev", "migrate", "--verbosity", "2", "--local"], True, ("migrate", "--verbosity", "2")),
    (["dev", "check", "--deploy", "-v", "2"], False, ("check", "--deploy", "-v", "2")),
    (["dev", "--", "mycommand", "--local"], False, ("mycommand", "--local")),
])
def test_manage_takes_lz_options_wherever_they_stand(argv, local, django) -> None:
    """README writes `lz manage dev check --local`: --local there is lz's, not Django's."""
    context = manage.make_context("manage", list(argv))
    assert context.params["local"] is local
    assert context.params["stage"] == "dev" and context.params["command"] == django


def test_printed_lines_are_not_repeated_from_the_log_tail() -> None:
    log = ["START RequestId: 1", "Operations to perform:", "  Apply all migrations: auth",
           "lz: manage command (request_id=1)", "Operations to perform:", "END RequestId: 1"]
    output = "Operations to perform:\n  Apply all migrations: auth\n"
    assert _log_besides(log, output) == ["START RequestId: 1", "lz: manage command (request_id=1)",
                                         "Operations to perform:", "END RequestId: 1"]


def test_a_function_error_says_why_with_the_functions_traceback() -> None:
    """Lambda's error payload for a Python function (errorMessage, errorType, stackTrace):
    https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html"""
    payload = {"errorMessage": "division by zero", "errorType": "ZeroDivisionError", "requestId": "r",
               "stackTrace": ['  File "/var/task/app.py", line 3, in handler\n    1 / 0\n']}
    said = _function_error(payload, "Unhandled")
    assert said.startswith("ZeroDivisionError: division by zero\nTraceback (in the function):")
    assert 'File "/var/task/app.py", line 3, in handler' in said
    assert _function_error({"statusCode": 500, "why": "odd"}, "Handled") == \
        'the function failed (Handled): {"statusCode": 500, "why": "odd"}'
    assert _function_error(None, "Unhandled") == "the function failed (Unhandled): no payload"


def test_tail_says_so_when_there_is_nothing_to_print(aws_env, tmp_path: Path) -> None:
    project = project_copy(tmp_path, "example_flask")
    boto3.client("logs", region_name=REGION).create_log_group(logGroupName="/aws/lambda/example-flask-dev")
    out = lz(aws_env, "tail", "dev", "--project", str(project), "--no-follow", "--since", "10m")
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    assert "no log lines since 10m in /aws/lambda/example-flask-dev" in out.stderr
    out = lz(aws_env, "tail", "dev", "--project", str(project), "--no-follow", "--errors")
    assert "no log lines since 10m matching --errors" in out.stderr
