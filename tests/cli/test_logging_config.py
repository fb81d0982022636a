"""Log settings: log_format/log_level reach the function's LoggingConfig and converge; `lz tail`
reads a JSON-format log (Lambda's platform events and JSON log records) as it reads text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lz.cli.tail.fetch import LogEvent
from lz.cli.tail.fold import Folder
from tests.cli.conftest import REGION, lz, make_project
from tests.cli.moto_lambda_logging import moto_keeps_logging_config  # noqa: F401 - a fixture

APP = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"


def _logging() -> dict:
    import boto3

    config = boto3.client("lambda", region_name=REGION).get_function_configuration(
        FunctionName="proj-dev", Qualifier="live")
    return {k: v for k, v in config["LoggingConfig"].items() if k != "LogGroup"}


def _deploy(env, project: Path, **settings) -> str:
    (project / "lz_settings.json").write_text(json.dumps({"dev": {"app": "app:app", **settings}}))
    result = lz(env, "deploy", "dev", "--project", str(project))
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


@pytest.mark.slow  # deploys against moto
def test_log_settings_reach_the_function_and_converge(aws_env, moto_keeps_logging_config, tmp_path: Path) -> None:
    """Levels apply to JSON logs only, and SystemLogLevel has DEBUG, INFO and WARN ("Configuring
    advanced logging controls for Lambda functions", Lambda guide,
    https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html)."""
    project = make_project(tmp_path, {"dev": {"app": "app:app"}}, {"app.py": APP})
    _deploy(aws_env, project)
    assert _logging() == {"LogFormat": "Text"}
    out = _deploy(aws_env, project, log_format="json", log_level="ERROR")
    assert "logging changed" in out
    assert _logging() == {"LogFormat": "JSON", "ApplicationLogLevel": "ERROR", "SystemLogLevel": "WARN"}
    assert "nothing to change" in _deploy(aws_env, project, log_format="json", log_level="ERROR")
    _deploy(aws_env, project, log_format="json")
    assert _logging() == {"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO"}
    _deploy(aws_env, project)  # the keys gone: back to Lambda's default
    assert _logging() == {"LogFormat": "Text"}


def test_a_log_level_without_json_logs_is_refused(lz_env, tmp_path: Path) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app", "log_level": "DEBUG"}}, {"app.py": APP})
    result = lz(lz_env, "package", "dev", "--project", str(project))
    assert result.returncode != 0
    assert '"log_level" needs "log_format": "json"' in result.stderr


def _events(*messages: str) -> list[LogEvent]:
    return [LogEvent(1_700_000_000_000 + i, "s", m) for i, m in enumerate(messages)]


def test_tail_reads_a_json_format_log_as_it_reads_text() -> None:
    request = json.dumps({"lz": "request", "method": "GET", "path": "/x", "status": 500, "ms": 3.2,
                          "request_id": "r1"}, separators=(",", ":"))
    events = _events(
        json.dumps({"time": "t", "type": "platform.start", "record": {"requestId": "r1", "version": "3"}}),
        json.dumps({"timestamp": "t", "level": "ERROR", "message": "lz: the app raised ValueError",
                    "logger": "lz", "requestId": "r1", "stackTrace": ["  File \"app.py\", line 3\n"],
                    "errorType": "ValueError"}),
        request,
        json.dumps({"time": "t", "type": "platform.report", "record": {
            "requestId": "r1", "metrics": {"durationMs": 12.5, "billedDurationMs": 13, "memorySizeMB": 512,
                                           "maxMemoryUsedMB": 80, "initDurationMs": 250.1}}}),
        json.dumps({"timestamp": "t", "level": "INFO", "message": "hello", "logger": "app", "requestId": "r2"}),
        '{"not": "a log record"}',
    )
    folder = Folder()
    lines = [line for event in events for line in folder.feed(event)] + folder.flush()
    kinds = [(line.kind, line.text) for line in lines]
    assert kinds == [
        ("error", 'ERROR lz: the app raised ValueError\n  File "app.py", line 3'),
        ("request", "GET /x -> 500 (3 ms) · 12 ms, 80/512 MB, cold start 250 ms"),
        ("log", "INFO hello"),
        ("raw", '{"not": "a log record"}'),
    ]
    assert lines[0].request_id == "r1" and lines[0].fields["logger"] == "lz"
    assert json.loads(lines[1].as_json())["report"]["init"] == 250.1


def test_lz_lines_are_json_objects_in_a_json_format_log(lz_env, tmp_path: Path) -> None:
    """What Logs Insights and `lz tail --json` read without parsing text: the bundle under the
    local runtime with Lambda's JSON log format, an app that fails: the request line and lz's error
    record are each one JSON object (the error with its logger, request id and stack trace)."""
    from lz.cli.bundle import build
    from lz.cli.local.runner import LocalFunction
    from lz.cli.settings import load
    from tests.builders import make
    from tests.cli.conftest import need_python

    python = need_python("3.13")
    failing = "def app(environ, start_response):\n    raise ValueError('boom')\n"
    project = make_project(tmp_path, {"dev": {"app": "app:app", "log_format": "json"}}, {"app.py": failing})
    bundle = build(load(project, "dev"), tmp_path / "b.zip")
    with LocalFunction(bundle.path, "3.13", python=python,
                       environment={"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}) as fn:
        inv = fn.invoke(make("http_v2", path="/x"))
    assert inv.ok and inv.result["statusCode"] == 500
    objects = []
    for line in inv.log:
        try:
            objects.append(json.loads(line))
        except ValueError:
            continue
    requests = [o for o in objects if o.get("lz") == "request"]
    errors = [o for o in objects if o.get("logger") == "lz" and o.get("level") == "ERROR"]
    assert requests and requests[0]["status"] == 500 and requests[0]["path"] == "/x"
    assert errors and errors[0]["requestId"] == requests[0]["request_id"]
    assert "ValueError" in json.dumps(errors[0])
