"""The local Lambda runtime on bundles that fail: at init, in the handler, past the deadline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lz.cli.local.runner import LocalFunction
from tests.builders import make
from tests.cli.conftest import lz, make_project, need_python

pytestmark = pytest.mark.slow

APP = '''
import os, time

if os.environ.get("FAIL_AT_IMPORT"):
    raise RuntimeError("cannot reach the database at import")


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/sleep":
        time.sleep(float(environ["QUERY_STRING"] or 5))
    if path == "/exit":
        os._exit(3)
    print("handling", path, flush=True)
    body = ("pid=%d env=%s" % (os.getpid(), os.environ.get("GREETING"))).encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
'''


@pytest.fixture
def bundle(lz_env, tmp_path: Path) -> Path:
    project = make_project(tmp_path, {"dev": {"app": "app:app", "timeout": 2}}, {"app.py": APP})
    out = tmp_path / "b.zip"
    result = lz(lz_env, "package", "dev", "--project", str(project), "-o", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_answers_with_the_stage_environment_and_returns_the_log(bundle: Path) -> None:
    python = need_python("3.13")
    with LocalFunction(bundle, "3.13", python=python, environment={"GREETING": "hi"}) as fn:
        inv = fn.invoke(make("http_v2", path="/hello"))
        assert inv.ok and inv.result["body"].endswith("env=hi")
        assert "handling /hello" in inv.log


def test_init_error_is_reported_with_its_message(bundle: Path) -> None:
    python = need_python("3.13")
    with LocalFunction(bundle, "3.13", python=python, environment={"FAIL_AT_IMPORT": "1"}) as fn:
        inv = fn.invoke(make("http_v2"))
        assert inv.outcome.kind == "init_error", inv.describe()
        assert "cannot reach the database at import" in inv.describe()
        assert "failed to start (init error)" in inv.describe()


def test_handler_error_is_reported_and_the_function_keeps_serving(bundle: Path) -> None:
    python = need_python("3.13")
    with LocalFunction(bundle, "3.13", python=python) as fn:
        inv = fn.invoke({"lz": "task", "id": "t1", "name": "app.missing_task", "args": [], "kwargs": {}})
        assert inv.outcome.kind == "error", inv.describe()
        assert "missing_task" in inv.describe() or any("missing_task" in line for line in inv.log)
        odd = fn.invoke({"not": "http"})  # no route: answered with an error, not a crash
        assert odd.ok and odd.result["error"] == "lz: no route for this event"
        assert fn.invoke(make("http_v2")).ok
        assert fn.starts == 1


def test_timeout_kills_the_process_and_the_next_invocation_is_a_cold_start(bundle: Path) -> None:
    python = need_python("3.13")
    with LocalFunction(bundle, "3.13", python=python, timeout=1) as fn:
        first = fn.invoke(make("http_v2", path="/hello"))
        pid = first.result["body"].split()[0]
        slow = fn.invoke(make("http_v2", path="/sleep", query=[]))
        assert slow.outcome.kind == "timeout" and "timed out" in slow.describe()
        again = fn.invoke(make("http_v2", path="/hello"))
        assert again.ok and again.cold and again.result["body"].split()[0] != pid
        assert fn.starts == 2


def test_a_process_that_dies_mid_invocation_is_an_error_not_a_hang(bundle: Path) -> None:
    python = need_python("3.13")
    with LocalFunction(bundle, "3.13", python=python, timeout=20) as fn:
        inv = fn.invoke(make("http_v2", path="/exit"))
        assert inv.outcome.kind == "error" and "exited with code 3" in inv.describe()
        assert inv.duration_ms < 15000
        assert fn.invoke(make("http_v2", path="/hello")).ok


def test_lz_invoke_local_prints_the_result(lz_env, bundle: Path, tmp_path: Path) -> None:
    need_python("3.13")
    event = tmp_path / "event.json"
    event.write_text(json.dumps(make("http_v2", path="/cli")))
    project = bundle.parent / "proj"
    result = lz(lz_env, "invoke", "dev", "--local", "--event", str(event), "--bundle", str(bundle),
                "--project", str(project))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["statusCode"] == 200
    assert "handling /cli" in result.stderr
    bad = lz(lz_env, "invoke", "dev", "--local", "--event", str(tmp_path / "none.json"),
             "--project", str(project))
    assert bad.returncode != 0 and "none.json" in bad.stderr
    env = {k: v for k, v in lz_env.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE")}
    remote = lz(env, "invoke", "dev", "--event", str(event), "--project", str(project))  # no AWS here
    assert remote.returncode == 1 and 'no AWS region: set "region" in lz_settings.json' in remote.stderr
