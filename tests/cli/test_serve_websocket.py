"""WebSocket routes cannot work behind a Lambda front: `lz serve` says so, once per process, when
the app declares such routes or a client asks for an upgrade (issue 15 item 9).

ALB: "WebSockets are not supported. Upgrade requests are rejected with an HTTP 400 code" -
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
("Use Lambda functions as targets of an Application Load Balancer").
"""

from __future__ import annotations

import pytest

from tests.cli.serve_support import Server

pytestmark = pytest.mark.slow

NOTE = "Lambda's HTTP fronts (API Gateway HTTP and REST APIs, Function URLs, ALB) cannot carry WebSockets"
UPGRADE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}

FASTAPI_APP = '''
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.get("/")
async def index() -> dict:
    return {"ok": True}


@app.websocket("/ws")
async def ws(socket: WebSocket) -> None:
    await socket.accept()
    await socket.send_text("hi")
'''

WSGI_APP = '''
def app(environ, start_response):
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"no such page"]
'''


def test_an_app_with_websocket_routes_is_told_once_at_start(tmp_path) -> None:
    pytest.importorskip("fastapi")
    (tmp_path / "wsapp.py").write_text(FASTAPI_APP)
    with Server(["--app", "wsapp:app"], cwd=tmp_path) as server:
        assert server.wait_for_output(NOTE)
        assert "the app declares WebSocket routes (/ws)" in server.output
        status, _, _ = server.get("/ws", headers=UPGRADE)  # a plain GET to the app, as on AWS
        assert status != 101
        assert server.get("/")[0] == 200
    assert server.output.count(NOTE) == 1


@pytest.mark.parametrize("front, status", [("http_api", 404), ("alb", 400)])
def test_an_upgrade_request_is_told_once_and_answered_as_the_front_would(tmp_path, front, status) -> None:
    (tmp_path / "plain.py").write_text(WSGI_APP)
    with Server(["--app", "plain:app", "--front", front], cwd=tmp_path) as server:
        assert NOTE not in server.output  # nothing to say until someone asks
        for _ in range(3):
            assert server.get("/chat", headers=UPGRADE)[0] == status
        assert server.wait_for_output("GET /chat asked for a WebSocket upgrade")
    assert server.output.count(NOTE) == 1
