"""`lz serve --bundle` of a streaming stage: the built zip under lz's loop in the local Lambda
runtime, behind the local front, with a real HTTP client reading the chunks as the function sends
them through the Runtime API.

The front and the bundle handler are the ones `lz serve --bundle` runs (front.gateway_app,
serve.bundle_handler), started here around a LocalFunction so that the bundle can carry lz's loop
and wrapper before `lz package` writes the wrapper itself (see test_bundle_wrapper.py); the last
test runs the command as a user does.
"""

from __future__ import annotations

import hashlib
import http.client
import threading
import time
from pathlib import Path

import pytest

from lz.cli.deploy.models import stream_environment
from lz.cli.local.front import gateway_app, request_handler
from lz.cli.local.inprocess import LocalContext
from lz.cli.local.runner import LocalFunction
from lz.cli.local.serve import bundle_handler
from tests.cli.conftest import lz, make_project, need_python
from tests.cli.serve_support import Server
from tests.runtime.support import with_loop

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("runtime-serve-bundle")]

APP = r'''
import hashlib, os, time


def chunk(i):
    return hashlib.sha256(b"%d" % i).digest() * 2048  # 64 KiB


def app(environ, start_response):
    path = environ["PATH_INFO"]
    start_response("200 OK", [("Content-Type", "application/octet-stream" if path == "/big" else "text/plain")])
    if path == "/big":
        return (chunk(i) for i in range(320))  # 20 MiB
    if path == "/ticks":
        def ticks():
            for i in range(5):
                yield b"tick %d %.6f\n" % (i, time.time())
                time.sleep(0.2)
        return ticks()
    if path == "/forever":
        return Forever()
    if path == "/broken":
        def broken():
            yield b"first\n"
            raise RuntimeError("the upstream went away")
        return broken()
    return [b"pid %d" % os.getpid()]


class Forever:
    def __iter__(self):
        for i in range(100000):
            yield b"line %d\n" % i
            time.sleep(0.05)

    def close(self):
        open(os.environ["MARK"], "w").write("closed")
'''


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, lz_env) -> Path:
    tmp = tmp_path_factory.mktemp("serve-bundle")
    project = make_project(tmp, {"dev": {"app": "app:app", "http": "function_url", "stream": True}},
                           {"app.py": APP})
    built = tmp / "b.zip"
    result = lz(lz_env, "package", "dev", "--project", str(project), "-o", str(built))
    assert result.returncode == 0, result.stderr
    return with_loop(built, tmp / "loop.zip")


@pytest.fixture(scope="module")
def served(bundle: Path, tmp_path_factory: pytest.TempPathFactory):
    from werkzeug.serving import make_server

    mark = tmp_path_factory.mktemp("marks") / "closed"
    function = LocalFunction(bundle, "3.13", python=need_python("3.13"), timeout=60,
                             environment={**stream_environment(True), "MARK": str(mark)})
    app = gateway_app(bundle_handler(function, True), "function_url", "$default",
                      lambda rid: LocalContext(rid, 60))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=request_handler("function_url"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port, function, mark
    server.shutdown()
    function.close()


def _get(port: int, path: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    return conn.getresponse()


def test_the_first_chunk_arrives_before_the_function_finishes(served) -> None:
    port, _, _ = served
    response = _get(port, "/ticks")
    assert response.getheader("Transfer-Encoding") == "chunked"
    arrivals = []
    while line := response.readline():
        arrivals.append((time.time(), line.decode()))
    assert [text.split()[1] for _, text in arrivals] == ["0", "1", "2", "3", "4"]
    assert arrivals[0][0] < float(arrivals[-1][1].split()[2]) - 0.5


def test_twenty_megabytes_arrive_intact(served) -> None:
    port, _, _ = served
    response = _get(port, "/big")
    digest, size = hashlib.sha256(), 0
    while data := response.read(1 << 20):
        digest.update(data)
        size += len(data)
    expected = hashlib.sha256(b"".join(hashlib.sha256(b"%d" % i).digest() * 2048 for i in range(320)))
    assert size == 20 * 2**20 and digest.hexdigest() == expected.hexdigest()


def test_a_client_that_leaves_closes_the_iterable_and_the_function_goes_on(served) -> None:
    port, function, mark = served
    response = _get(port, "/forever")
    for _ in range(3):
        assert response.readline().startswith(b"line ")
    starts = function.starts  # now: the function starts on its first use, whichever test that is
    response.close()
    deadline = time.monotonic() + 15
    while not mark.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mark.read_text() == "closed"
    after = _get(port, "/pid")  # the next request is served by the same execution environment
    assert after.status == 200 and after.read().startswith(b"pid ") and function.starts == starts


def test_an_error_mid_stream_cuts_the_body_off_and_the_next_request_is_served(served) -> None:
    port, _, _ = served
    response = _get(port, "/broken")
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    assert cut.value.partial == b"first\n"
    assert _get(port, "/pid").status == 200


def test_lz_serve_bundle_streams(lz_env, tmp_path: Path) -> None:
    need_python("3.13")
    project = make_project(tmp_path, {"dev": {"app": "app:app", "http": "function_url", "stream": True}},
                           {"app.py": APP})
    server = Server(["dev", "--project", str(project), "--bundle"], env=lz_env, timeout=300)
    try:
        response = _get(server.port, "/ticks")
        assert response.getheader("Transfer-Encoding") == "chunked"
        assert response.read().count(b"tick ") == 5
    finally:
        server.stop()
