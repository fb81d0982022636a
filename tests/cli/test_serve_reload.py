"""An app that cannot be imported: one clear block with the user's own traceback (issue 15 item
14), and under the reloader the server lives on, says why, and reloads on the next save, as `flask
run --debug` does (item 8)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import ROOT, make_project
from tests.cli.serve_support import Server

pytestmark = pytest.mark.slow

GOOD = '''
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"VERSION"]
'''
RAISES = '''
import os

def connect():
    raise RuntimeError("cannot reach the database at import")

connect()
'''
BROKEN = "def app(environ, start_response:\n    pass\n"


def _serve_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lz.cli.main", "serve", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})


def test_an_app_that_raises_on_import_gives_one_block_with_the_users_traceback(tmp_path) -> None:
    (tmp_path / "boom.py").write_text(RAISES)
    out = _serve_cli(tmp_path, "--app", "boom:app")
    assert out.returncode == 1
    err = out.stderr
    assert 'cannot import the app "boom:app": its module raised while it was imported' in err
    assert f'File "{tmp_path / "boom.py"}", line 5, in connect' in err
    assert "RuntimeError: cannot reach the database at import" in err
    # the user's frames only: nothing of click, importlib or lz, and no second traceback
    assert "click" not in err and "importlib" not in err and "lz/cli" not in err
    assert err.count("Traceback (most recent call last)") == 1
    assert len(err.strip().splitlines()) <= 10, err


def test_a_syntax_error_names_the_file_and_line(tmp_path) -> None:
    (tmp_path / "broken.py").write_text(BROKEN)
    out = _serve_cli(tmp_path, "--app", "broken:app")
    assert out.returncode == 1
    assert f'File "{tmp_path / "broken.py"}", line 1' in out.stderr
    assert "its module is not valid Python" in out.stderr
    assert "SyntaxError" in out.stderr and "Traceback" not in out.stderr


def test_a_missing_module_or_attribute_says_to_check_the_app_setting(tmp_path) -> None:
    (tmp_path / "present.py").write_text(GOOD)
    missing = _serve_cli(tmp_path, "--app", "absent:app")
    assert missing.returncode == 1 and "there is no module 'absent'" in missing.stderr
    no_attr = _serve_cli(tmp_path, "--app", "present:application")
    assert no_attr.returncode == 1 and "has no attribute 'application'" in no_attr.stderr
    assert "Traceback" not in missing.stderr + no_attr.stderr
    (tmp_path / "needs.py").write_text("import not_installed_anywhere\n")
    dep = _serve_cli(tmp_path, "--app", "needs:app")
    assert dep.returncode == 1 and "imports 'not_installed_anywhere', which is not installed" in dep.stderr


def _until(server: Server, predicate, what: str, timeout: float = 30) -> tuple:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = server.get("/", timeout=5)
            if predicate(last):
                return last
        except OSError as exc:  # restarting
            last = exc
        assert server.proc.poll() is None, f"lz serve exited:\n{server.output}"
        time.sleep(0.2)
    pytest.fail(f"{what}; last answer {last!r}\n{server.output}")


def test_the_reloader_survives_a_syntax_error_and_reloads_on_the_next_save(tmp_path) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app"}}, {"app.py": GOOD.replace("VERSION", "one")})
    app = project / "app.py"
    with Server(["dev", "--project", str(project)]) as server:  # reload is on with a STAGE
        _until(server, lambda a: a[2] == b"one", "the first version was not served")
        time.sleep(1.1)  # a later mtime than the first version's, whatever the file system's grain
        app.write_text(BROKEN)
        status, _, body = _until(server, lambda a: a[0] == 500, "the broken save was not reported")
        assert b"SyntaxError" in body and b"save a fix to reload" in body
        assert "SyntaxError" in server.output  # printed where the developer looks
        time.sleep(1.1)
        app.write_text(GOOD.replace("VERSION", "two"))
        _until(server, lambda a: a[2] == b"two", "the fixed version was not served")


def test_a_stage_that_fails_to_import_at_start_waits_for_a_fix(tmp_path) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app"}}, {"app.py": RAISES})
    with Server(["dev", "--project", str(project)]) as server:
        status, _, body = _until(server, lambda a: a[0] == 500, "the import error was not answered")
        assert b"cannot reach the database at import" in body
        time.sleep(1.1)
        (project / "app.py").write_text(GOOD.replace("VERSION", "fixed"))
        _until(server, lambda a: a[2] == b"fixed", "the fix was not picked up")
