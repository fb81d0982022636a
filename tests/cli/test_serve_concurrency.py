"""In-process `lz serve` applies the stage's timeout to every request, and no request waits for
another: a slow or endless request does not hold a fast one (issue 15 item 6).

The tests use events, not durations, to order requests: the slow request waits until the test
releases it, so a server that ran requests one at a time could never answer the fast one.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.cli.conftest import make_project
from tests.cli.serve_support import Server

pytestmark = pytest.mark.slow

ASGI_APP = '''
import asyncio, json

state = {"waiting": False}
released = None


async def app(scope, receive, send):
    global released
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    if released is None:
        released = asyncio.Event()
    path = scope["path"]
    if path == "/endless":  # a StreamingResponse that never ends
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            while True:
                await send({"type": "http.response.body", "body": b"x", "more_body": True})
                await asyncio.sleep(0.05)
        finally:
            print("endless stream stopped", flush=True)
    if path == "/slow":
        state["waiting"] = True
        await asyncio.wait_for(released.wait(), 25)
        body = {"slow": "done"}
    elif path == "/release":
        released.set()
        body = {"released": True}
    else:
        body = {"fast": True, "slow_waiting": state["waiting"],
                "remaining_ms": scope["aws.context"].get_remaining_time_in_millis()}
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
'''

WSGI_APP = '''
import json, threading, time

released = threading.Event()
waiting = threading.Event()


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/spin":  # never answers within the timeout
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not released.is_set():
            time.sleep(0.05)
        print("spin finished", flush=True)
        body = {"spin": "done"}
    elif path == "/slow":
        waiting.set()
        released.wait(25)
        body = {"slow": "done"}
    elif path == "/release":
        released.set()
        body = {"released": True}
    else:
        body = {"fast": True, "slow_waiting": waiting.is_set()}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]
'''


def _serve(tmp_path, source: str, timeout: int) -> Server:
    project = make_project(tmp_path, {"dev": {"app": "app:app", "timeout": timeout}}, {"app.py": source})
    return Server(["dev", "--project", str(project), "--no-reload"])


def _in_background(server: Server, path: str) -> dict:
    outcome: dict = {}

    def run() -> None:
        outcome["answer"] = server.get(path, timeout=40)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return outcome


def _until_slow_is_waiting(server: Server) -> dict:
    """Ask /fast until it reports the slow request waiting; every ask must be answered quickly."""
    for _ in range(100):
        status, _, body = server.get("/fast", timeout=5)  # a serial server never answers this
        seen = json.loads(body)
        assert status == 200 and seen["fast"]
        if seen["slow_waiting"]:
            return seen
        time.sleep(0.05)
    pytest.fail("the slow request never started")


@pytest.mark.parametrize("source", [ASGI_APP, WSGI_APP], ids=["asgi", "wsgi"])
def test_a_fast_request_is_answered_while_a_slow_one_waits(tmp_path, source) -> None:
    with _serve(tmp_path, source, timeout=30) as server:
        slow = _in_background(server, "/slow")
        _until_slow_is_waiting(server)
        assert "answer" not in slow  # still waiting, and the fast one was answered meanwhile
        assert server.get("/release")[0] == 200
        slow["thread"].join(30)
        status, _, body = slow["answer"]
        assert status == 200 and json.loads(body) == {"slow": "done"}


def test_an_endless_asgi_stream_is_cancelled_and_answered_504_before_the_timeout(tmp_path) -> None:
    """As lz's adapter does on Lambda (and so under --bundle): the request's task is cancelled a
    little before the stage's timeout and the unfinished response becomes a 504."""
    with _serve(tmp_path, ASGI_APP, timeout=2) as server:
        started = time.monotonic()
        status, _, body = server.get("/endless", timeout=20)
        took = time.monotonic() - started
        assert status == 504 and b"did not answer in time" in body
        assert took >= 1.5  # only near the timeout (no upper bound: the machine may be slow)
        assert server.wait_for_output("endless stream stopped")  # its task was cancelled
        status, _, body = server.get("/fast")  # and the server goes on
        seen = json.loads(body)
        assert status == 200 and 0 < seen["remaining_ms"] <= 2000  # the context has the real deadline
    assert "did not finish its response to GET /endless" in server.output


def test_a_wsgi_request_past_the_timeout_gets_502_and_others_go_on(tmp_path) -> None:
    with _serve(tmp_path, WSGI_APP, timeout=2) as server:
        status, _, body = server.get("/spin", timeout=15)
        assert status == 502 and b"timed out after 2 s" in body
        assert server.get("/fast")[0] == 200
        server.get("/release")
        assert server.wait_for_output("spin finished")  # it ran on, its result dropped
    assert "its result dropped" in server.output


def test_a_lifespan_pool_still_works_across_concurrent_requests() -> None:
    """example_fastapi makes a pool at lifespan startup, bound to its loop: every request, run
    side by side, must see that very loop."""
    with Server(["dev", "--project", "example_fastapi", "--no-reload"]) as server:
        answers: list = []
        threads = [threading.Thread(target=lambda: answers.append(server.get("/pool")))
                   for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert [a[0] for a in answers] == [200] * 8, answers
        assert sorted(json.loads(a[2])["queries"] for a in answers) == list(range(1, 9))


def test_a_front_with_a_shorter_integration_timeout_answers_504_at_its_own_limit() -> None:
    """HTTP APIs wait at most 30 s ("Maximum integration timeout 30 seconds", API Gateway guide,
    "Quotas for configuring and running an HTTP API in API Gateway",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html), REST APIs
    29 s by default: past that the front answers 504 while a longer-lived function runs on."""
    from lz.cli.local.inprocess import LocalContext, timed
    from lz.cli.local.limits import FRONT_TIMEOUTS

    assert FRONT_TIMEOUTS["http_api"] == 30 and FRONT_TIMEOUTS["rest_api"] == 29
    release = threading.Event()

    def blocked(event, context):
        release.wait(30)
        return {"statusCode": 200, "body": "late"}

    handler = timed(blocked, timeout=60, front_timeout=0.2, front_name="an API Gateway HTTP API")
    try:
        result = handler({"rawPath": "/slow", "requestContext": {"http": {"method": "GET"}}},
                         LocalContext("req-1", 60))
    finally:
        release.set()
    assert result["statusCode"] == 504 and "waits 0.2 s" in result["body"]
    fine = timed(lambda e, c: {"statusCode": 200, "body": "ok"}, 60, 0.2, "x")({}, LocalContext("r", 60))
    assert fine == {"statusCode": 200, "body": "ok"}
