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
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


@pytest.fixture(params=[
    ("example_flask.app:app", "rest_api", "dev"),
    ("example_fastapi.app:app", "http_api", "$default"),
    ("example_flask.app:app", "function_url", "$default"),
])
def server(request):
    app, front, stage = request.param
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lz.cli.main", "serve", "--app", app, "--front", front,
         "--stage", stage, "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}" + ("" if stage == "$default" else f"/{stage}")
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"lz serve exited: {proc.stdout.read()}")
            time.sleep(0.1)
    yield base, app, stage
    proc.terminate()
    proc.wait(timeout=10)


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
