"""`lz serve` as a user runs it: a subprocess on a free port, driven by a real HTTP client."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.cli.conftest import ROOT, free_port, need_python


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, data: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with OPENER.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def start(args: list[str], env: dict | None = None, timeout: float = 30):
    """`lz serve ARGS --port P` in a subprocess; waits until it accepts connections."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "lz.cli.main", "serve", *args, "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env or os.environ.copy())
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"lz serve exited: {proc.stdout.read()}")
            time.sleep(0.1)
    proc.kill()
    pytest.fail(f"lz serve did not listen within {timeout} s")


def stop(proc) -> str:
    proc.terminate()
    out, _ = proc.communicate(timeout=10)
    return out


@pytest.fixture(params=[
    (["--app", "example_flask.app:app", "--front", "rest_api", "--stage", "dev"], "flask", "dev"),
    (["--app", "example_fastapi.app:app", "--front", "http_api"], "fastapi", "$default"),
    (["--app", "example_flask.app:app", "--front", "function_url"], "flask", "$default"),
    (["dev", "--project", "example_flask", "--front", "rest_api", "--no-reload"], "flask", "dev"),
    (["dev", "--project", "example_fastapi", "--no-reload"], "fastapi", "$default"),
], ids=["flask-rest", "fastapi-http", "flask-url", "stage-flask-rest", "stage-fastapi"])
def server(request):
    args, app, stage = request.param
    proc, port = start(args)
    yield f"http://127.0.0.1:{port}" + ("" if stage == "$default" else f"/{stage}"), app, stage
    stop(proc)


def test_serve_round_trips_json_redirects_cookies_and_binary(server) -> None:
    base, app, stage = server
    status, _, body = fetch(base + "/echo?a=1&a=2&b=x%2By")
    assert status == 200
    seen = json.loads(body)
    assert seen["args"] == {"a": ["1", "2"], "b": ["x+y"]}

    items = "/api/items" if "flask" in app else "/api/items/"
    status, headers, _ = fetch(base + "/go")
    assert status in (302, 307)
    prefix = "" if stage == "$default" else f"/{stage}"
    assert headers["Location"].endswith(prefix + items)

    status, headers, body = fetch(base + "/cookies", headers={"Cookie": "visits=2"})
    cookies = headers.get_all("Set-Cookie")
    assert sorted(c.split(";")[0] for c in cookies) == ["flavour=oatmeal", "visits=3"]

    data = os.urandom(1024 * 1024)
    status, _, body = fetch(base + "/upload", data=data,
                            headers={"Content-Type": "application/octet-stream"})
    assert json.loads(body)["sha256"] == hashlib.sha256(data).hexdigest()

    status, headers, body = fetch(base + "/download?size=1048576")
    assert body == bytes(i % 251 for i in range(1048576))


def test_serve_refuses_a_bad_app_spec() -> None:
    out = subprocess.run([sys.executable, "-m", "lz.cli.main", "serve", "--app", "nope"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "module:attr" in out.stderr or "package.module:app" in out.stderr


def test_serve_stage_runs_tasks_in_a_thread_with_the_stage_environment() -> None:
    proc, port = start(["dev", "--project", "example_flask", "--no-reload"])
    status, _, body = fetch(f"http://127.0.0.1:{port}/api/items", data=b'{"name": "scone"}',
                            headers={"Content-Type": "application/json"})
    assert status == 201 and len(json.loads(body)["task"]) == 32
    time.sleep(0.3)
    out = stop(proc)
    assert "announcing item 3: scone" in out


def test_serve_bundle_runs_the_built_zip_under_the_target_python(lz_env) -> None:
    need_python("3.13")
    proc, port = start(["dev", "--project", "example_flask", "--bundle"], env=lz_env, timeout=300)
    base = f"http://127.0.0.1:{port}"
    try:
        status, headers, body = fetch(base + "/cookies", headers={"Cookie": "visits=4"})
        assert status == 200 and sorted(c.split(";")[0] for c in headers.get_all("Set-Cookie")) == [
            "flavour=oatmeal", "visits=5"]
        data = os.urandom(1024 * 1024)
        status, _, body = fetch(base + "/upload", data=data, headers={"Content-Type": "application/octet-stream"})
        assert json.loads(body)["sha256"] == hashlib.sha256(data).hexdigest()
        status, _, body = fetch(base + "/download?size=1048576")
        assert body == bytes(i % 251 for i in range(1048576))
        status, _, body = fetch(base + "/api/items", data=b'{"name": "bun"}',
                                headers={"Content-Type": "application/json"})
        assert status == 201
        status, _, body = fetch(base + "/echo")
        assert json.loads(body)["path"] == "/echo"
    finally:
        out = stop(proc)
    assert "announcing item 3: bun" in out  # the task ran inside the bundle's process (thread)
    assert '"lz":"request","method":"GET","path":"/echo","status":200' in out  # the runtime's request line


def test_serve_without_stage_or_app_says_what_to_pass() -> None:
    out = subprocess.run([sys.executable, "-m", "lz.cli.main", "serve"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1 and "name a STAGE of lz_settings.json, or pass --app" in out.stderr


def test_serve_stage_reloads_when_the_code_changes(tmp_path) -> None:
    from tests.cli.conftest import project_copy

    project = project_copy(tmp_path, "example_flask")
    proc, port = start(["dev", "--project", str(project)])  # reload is on by default with a STAGE
    try:
        assert json.loads(fetch(f"http://127.0.0.1:{port}/api/items/1")[2])["name"] == "kettle"
        app = project / "app.py"
        app.write_text(app.read_text().replace('"name": "kettle"', '"name": "kettle v2"'))
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if json.loads(fetch(f"http://127.0.0.1:{port}/api/items/1")[2])["name"] == "kettle v2":
                    break
            except (OSError, ValueError):
                pass  # restarting
            time.sleep(0.2)
        else:
            pytest.fail("the server did not reload the changed code")
    finally:
        stop(proc)
