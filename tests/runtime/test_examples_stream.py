"""The examples' streaming routes (example_flask's generator, example_fastapi's server-sent events)
under `lz serve` of their dev stage switched to "stream": true behind a Function URL, as README
shows; and the same routes whole on a buffered stage."""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path

import pytest

from tests.cli.conftest import project_copy
from tests.cli.serve_support import Server

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("runtime-examples")]


def _serve(tmp_path: Path, name: str, stream: bool) -> Server:
    project = project_copy(tmp_path, name)
    settings = json.loads((project / "lz_settings.json").read_text())
    settings["dev"].update({"http": "function_url", "stream": stream})
    (project / "lz_settings.json").write_text(json.dumps(settings))
    return Server(["dev", "--project", str(project), "--no-reload"])


def _lines(port: int, path: str) -> tuple[http.client.HTTPResponse, list[tuple[float, str]]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request("GET", path)
    response = conn.getresponse()
    return response, [(time.monotonic(), line.decode()) for line in iter(response.readline, b"")]


@pytest.mark.parametrize("stream", [True, False])
def test_flask_generator_route(tmp_path: Path, stream: bool) -> None:
    server = _serve(tmp_path, "example_flask", stream)
    try:
        response, lines = _lines(server.port, "/count?n=4&delay=0.25")
        assert [text for _, text in lines] == [f"{i} of 4 (from /count)\n" for i in range(1, 5)]
        spread = lines[-1][0] - lines[0][0]
        if stream:
            assert response.getheader("Transfer-Encoding") == "chunked" and spread > 0.5
        else:
            assert response.getheader("Content-Length") and spread < 0.2  # all at once, at the end
    finally:
        server.stop()


def test_fastapi_server_sent_events(tmp_path: Path) -> None:
    server = _serve(tmp_path, "example_fastapi", True)
    try:
        response, lines = _lines(server.port, "/events?n=3&delay=0.3")
        assert response.getheader("Content-Type").startswith("text/event-stream")
        data = [(t, json.loads(text[len("data: "):])) for t, text in lines if text.startswith("data: ")]
        assert [d for _, d in data] == [{"n": i, "of": 3} for i in (1, 2, 3)]
        assert data[-1][0] - data[0][0] > 0.4
        assert sum(text == "event: tick\n" for _, text in lines) == 3
    finally:
        server.stop()
