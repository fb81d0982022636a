"""The ASGI front end's lifecycle: one loop per environment, lifespan once, state, disconnect (item 10)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from lz.adapter import ASGIAdapter, LifespanFailure, adapt
from tests.builders import Context, make, response_body


class LifespanApp:
    """A raw ASGI app with lifespan: startup makes loop-bound objects, requests use them."""

    def __init__(self, fail: str | None = None) -> None:
        self.startups = 0
        self.shutdowns = 0
        self.fail = fail

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.startups += 1
                    if self.fail == "message":
                        await send({"type": "lifespan.startup.failed", "message": "no database"})
                        return
                    if self.fail == "raise":
                        raise ConnectionError("no database")
                    scope["state"]["lock"] = asyncio.Lock()
                    scope["state"]["loop"] = asyncio.get_running_loop()
                    scope["state"]["hits"] = 0
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    self.shutdowns += 1
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        state = scope["state"]
        async with state["lock"]:  # a primitive bound to the startup loop
            await asyncio.sleep(0.001)  # real waiting, not just a coroutine call
        same_loop = asyncio.get_running_loop() is state["loop"]
        state["hits"] += 1  # per-request copy: must not leak into the next request
        body = json.dumps({"same_loop": same_loop, "hits": state["hits"]}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


def call(handler: Any, **kw: Any) -> dict:
    return handler(make("http_v2", **kw), Context())


def test_loop_and_startup_objects_are_reused_across_invocations() -> None:
    app = LifespanApp()
    handler = ASGIAdapter(app)
    for _ in range(5):
        result = call(handler)
        assert result["statusCode"] == 200, result
        assert json.loads(result["body"]) == {"same_loop": True, "hits": 1}
    assert app.startups == 1


def test_startup_runs_once_even_across_adapters_sharing_the_environment() -> None:
    app = LifespanApp()
    handler = adapt(app)
    assert app.startups == 0  # not at construction: at the first invocation (or startup())
    handler.startup()
    handler.startup()
    call(handler)
    assert app.startups == 1


def test_shutdown_runs_the_apps_shutdown() -> None:
    app = LifespanApp()
    handler = ASGIAdapter(app)
    call(handler)
    handler.shutdown()
    assert app.shutdowns == 1
    handler.shutdown()
    assert app.shutdowns == 1


@pytest.mark.parametrize("mode", ["on", "auto"])
@pytest.mark.parametrize("fail", ["message", "raise"])
def test_failing_startup_fails_loudly(mode: str, fail: str) -> None:
    handler = ASGIAdapter(LifespanApp(fail=fail), lifespan=mode)
    if mode == "auto" and fail == "raise":
        # auto: an app that raises instead of answering lifespan is taken as not supporting it
        result = call(handler)
        assert result["statusCode"] == 500  # and the request itself then fails (no state)
        return
    with pytest.raises(LifespanFailure, match="no database"):
        call(handler)


def test_lifespan_on_requires_support() -> None:
    from tests.apps import asgi_echo

    with pytest.raises(LifespanFailure, match="does not support lifespan"):
        call(ASGIAdapter(asgi_echo, lifespan="on"))


def test_lifespan_auto_tolerates_apps_without_lifespan() -> None:
    async def strict(scope, receive, send):
        assert scope["type"] == "http", "this app only speaks http"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    assert call(ASGIAdapter(strict))["statusCode"] == 200
    assert call(ASGIAdapter(strict, lifespan="off"))["statusCode"] == 200


def test_lifespan_off_never_calls_lifespan() -> None:
    app = LifespanApp()
    handler = ASGIAdapter(app, lifespan="off")
    assert call(handler)["statusCode"] == 500  # no state: the app needs its startup
    assert app.startups == 0


def test_invalid_lifespan_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="lifespan must be"):
        ASGIAdapter(LifespanApp(), lifespan="yes")


def test_disconnect_is_delivered_only_after_the_response_is_complete() -> None:
    order: list[str] = []

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        first = await receive()
        order.append(first["type"])

        async def listen():
            message = await receive()
            order.append(message["type"])

        listener = asyncio.get_running_loop().create_task(listen())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part1,", "more_body": True})
        for _ in range(3):
            await asyncio.sleep(0)
        order.append("listener done" if listener.done() else "listener waiting")
        await send({"type": "http.response.body", "body": b"part2"})
        await listener

    result = call(ASGIAdapter(app), method="POST", body=b"payload")
    assert result["body"] == "part1,part2" or response_body(result) == b"part1,part2"
    assert order == ["http.request", "listener waiting", "http.disconnect"]


def test_background_tasks_created_by_a_request_get_their_turn() -> None:
    ran: list[str] = []

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return

        async def later():
            ran.append("background")

        asyncio.get_running_loop().create_task(later())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    assert call(ASGIAdapter(app))["statusCode"] == 204
    assert ran == ["background"]


def test_exception_after_a_complete_response_keeps_the_response(caplog) -> None:
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"made"})
        raise RuntimeError("cleanup failed")

    result = call(ASGIAdapter(app))
    assert result["statusCode"] == 201 and response_body(result) == b"made"
    assert "raised after its response was complete" in caplog.text


def test_current_task_is_available_to_the_app() -> None:
    """Libraries (anyio, sniffio) need a real Task around every request, even when it never waits."""

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        task = asyncio.current_task()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"task" if task else b"none"})

    assert response_body(call(ASGIAdapter(app))) == b"task"


def test_adapt_detects_asgi_and_wsgi_callables() -> None:
    from functools import partial

    from lz.adapter import WSGIAdapter
    from tests.apps import asgi_echo, wsgi_echo

    class AsyncCallable:
        async def __call__(self, scope, receive, send): ...

    assert isinstance(adapt(asgi_echo), ASGIAdapter)
    assert isinstance(adapt(AsyncCallable()), ASGIAdapter)
    assert isinstance(adapt(partial(asgi_echo)), ASGIAdapter)
    assert isinstance(adapt(wsgi_echo), WSGIAdapter)
    assert isinstance(adapt(wsgi_echo, interface="asgi"), ASGIAdapter)
    with pytest.raises(TypeError, match="lifespan= applies to ASGI apps only"):
        adapt(wsgi_echo, lifespan="on")
    with pytest.raises(ValueError, match="interface must be"):
        adapt(wsgi_echo, interface="rsgi")


def test_response_header_pairs_may_be_any_iterable_of_byte_pairs() -> None:
    # Pairs seen before take a remembered decoding; lists and generators are read as they come.
    async def app(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        n = scope["query_string"].decode()
        shapes = {
            "1": [(b"content-type", b"text/plain"), (b"x-n", n.encode())],
            "2": ([b"content-type", b"text/plain"], [b"x-n", n.encode()]),
            "3": ((name, value) for name, value in [(b"content-type", b"text/plain"),
                                                     (b"x-n", n.encode())]),
        }
        await send({"type": "http.response.start", "status": 200, "headers": shapes[n]})
        await send({"type": "http.response.body", "body": b"ok"})

    handler = ASGIAdapter(app, lifespan="off")
    for n in ("1", "1", "2", "3", "3"):
        event = make("http_v2")
        event["rawQueryString"] = n
        result = handler(event, Context())
        assert result["statusCode"] == 200, result
        assert result["headers"] == {"content-type": "text/plain", "x-n": n}
        assert response_body(result) == b"ok"
