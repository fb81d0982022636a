"""`lz serve --bundle` stopped with SIGTERM (as a supervisor or a closed terminal stops it) ends its
function process and removes the unzipped bundle, as Ctrl-C does."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.cli.conftest import make_project, need_python
from tests.cli.serve_support import Server

pytestmark = pytest.mark.slow

APP = '''
import os


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("%s %d" % (os.environ["LAMBDA_TASK_ROOT"], os.getpid())).encode()]
'''


def test_sigterm_ends_the_function_process_and_removes_its_files(lz_env, tmp_path) -> None:
    need_python("3.13")
    project = make_project(tmp_path, {"dev": {"app": "app:app"}}, {"app.py": APP})
    server = Server(["dev", "--project", str(project), "--bundle"], env=lz_env, timeout=300)
    try:
        status, _, body = server.get("/")
        assert status == 200, body
        task_root, pid = body.decode().split()
        assert Path(task_root).is_dir()
    finally:
        server.stop()  # SIGTERM
    assert server.proc.returncode == 0
    assert not Path(task_root).exists()
    if Path("/proc/self").exists():  # Linux: the function process was killed and reaped
        for _ in range(50):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.1)
        assert not Path(f"/proc/{pid}").exists()
