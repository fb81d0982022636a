"""The same bundle (built by `lz package`) under awslambdaric and under lz's loop gives the same
results for every kind of event the Dispatcher routes: HTTP from each front, tasks, schedules,
S3/SQS/SNS records, operator commands (invoke, manage) and warm-up pings, failures included."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from lz.cli.local.runner import LocalFunction
from tests.builders import fixture, make
from tests.cli.conftest import ROOT, lz, make_project, need_python
from tests.runtime.support import LZ_LOOP, with_loop

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("runtime-parity")]

APP = '''
from lz import command, on_s3, on_sns, on_sqs, schedule, task


def app(environ, start_response):
    body = ("%s %s?%s" % (environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"])).encode()
    if environ["PATH_INFO"] == "/boom":
        raise RuntimeError("the app failed")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    return [body]


@task
def add(a, b):
    print("adding", a, b)
    return a + b


@task
def fails():
    raise ValueError("task failed")


@schedule("rate(1 hour)")
def hourly(payload=None):
    print("hourly ran with", payload)


@command
def reindex(batch=500):
    return {"reindexed": batch}


@on_s3(bucket="uploads", events=["s3:ObjectCreated:*"], prefix="incoming/")
def uploaded(record):
    print("uploaded", record["s3"]["object"]["key"])


@on_sqs(queue="jobs")
def job(message):
    if "fail" in message["body"]:
        raise RuntimeError("job failed")


@on_sns(topic="alerts")
def alert(record):
    print("alert", record["Sns"]["Message"])
'''

EVENTS: list[Any] = [
    make("http_v2", path="/items", query=[("q", "1")]),
    make("rest_v1", method="POST", path="/items", body=b"x"),
    make("function_url", path="/url"),
    make("alb_multi", path="/alb"),
    make("http_v2", path="/boom"),
    {"lz": "task", "id": "t-1", "name": "app.add", "args": [1], "kwargs": {"b": 2}},
    {"lz": "task", "id": "t-2", "name": "app.fails", "args": [], "kwargs": {}},
    {"lz": "task", "id": "t-3", "name": "os.system", "args": ["id"], "kwargs": {}},
    {"lz": "schedule", "function": "app.hourly", "input": {"n": 1}},
    {"lz": "invoke", "function": "app.reindex", "args": [7]},
    {"lz": "invoke", "function": "app.nope"},
    {"lz": "manage", "args": ["check"]},
    {"lz": "warm"},
    fixture("s3_put"),
    fixture("sqs_batch"),
    fixture("sns_notification"),
    {"unknown": "shape"},
]


def _masked(value: Any) -> Any:
    text = json.dumps(value, sort_keys=True)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", text)
    text = re.sub(r"/[^\"]*?/task/", "<task>/", text)
    text = re.sub(r'\\"ms\\":[0-9.]+', "<ms>", text)  # the request line's duration
    return json.loads(text)


def _run_all(bundle: Path, environment: dict[str, str], events: list[Any]) -> list[Any]:
    with LocalFunction(bundle, "3.13", python=need_python("3.13"), environment=environment) as fn:
        out = []
        for event in events:
            inv = fn.invoke(event)
            printed = sorted(line for line in inv.log if not line.startswith(("[", "{", "\xa0"))
                             and "Traceback" not in line)
            out.append((inv.outcome.kind, _masked(inv.outcome.payload), _masked(printed)))
        assert fn.starts == 1
        return out


def test_every_kind_of_event_gives_the_same_result(lz_env, tmp_path: Path) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app", "runtime": "python3.13"}}, {"app.py": APP})
    built = tmp_path / "b.zip"
    result = lz(lz_env, "package", "dev", "--project", str(project), "-o", str(built))
    assert result.returncode == 0, result.stderr
    bundle = with_loop(built, tmp_path / "loop.zip")
    classic = _run_all(bundle, {}, EVENTS)
    mine = _run_all(bundle, dict(LZ_LOOP), EVENTS)
    for event, theirs, ours in zip(EVENTS, classic, mine):
        assert ours == theirs, event
    kinds = [kind for kind, _, _ in mine]
    assert kinds == ["response"] * 6 + ["error"] * 2 + ["response"] * 9  # the failing and the refused task
    payloads = [payload for _, payload, _ in mine]
    assert payloads[0]["body"] == "GET /items?q=1" and payloads[0]["cookies"] == ["a=1", "b=2"]
    assert payloads[4]["statusCode"] == 500
    assert payloads[5] == {"id": "t-1", "task": "app.add"} and "adding 1 2" in mine[5][2]
    assert payloads[6]["errorType"] == "ValueError" and payloads[7]["errorType"] == "Unregistered"
    assert payloads[9] == {"output": "", "result": {"reindexed": 7}}
    assert "DJANGO_SETTINGS_MODULE is not set" in payloads[11]["error"]
    assert payloads[14] == {"batchItemFailures": [{"itemIdentifier": "<id>"}]}


def test_django_manage_gives_the_same_output(lz_env, tmp_path: Path) -> None:
    project = tmp_path / "django_app"
    shutil.copytree(ROOT / "tests" / "django_app", project)
    built = tmp_path / "django.zip"
    result = lz(lz_env, "package", "wsgi", "--project", str(project), "-o", str(built))
    assert result.returncode == 0, result.stderr
    bundle = with_loop(built, tmp_path / "django-loop.zip")
    environment = {"DJANGO_SETTINGS_MODULE": "mysite.settings", "DJANGO_DB_PATH": str(tmp_path / "db.sqlite3")}
    events = [{"lz": "manage", "args": ["check"]}, {"lz": "manage", "args": ["migrate", "--noinput"]},
              {"lz": "manage", "args": ["migrate", "nosuchapp"]}, {"lz": "manage", "args": ["shell"]}]
    classic = _run_all(bundle, environment, events)
    (tmp_path / "db.sqlite3").unlink()
    mine = _run_all(bundle, {**environment, **LZ_LOOP}, events)
    assert mine == classic
    assert "System check identified no issues" in json.dumps(mine[0][1])
    assert "Applying auth.0001_initial... OK" in json.dumps(mine[1][1])
