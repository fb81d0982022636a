"""ASGI apps that fail in the ways that used to take the execution environment down or hang it
(issue 11 items 7, 9, 17): BaseException from the app, unknown lifespan messages, apps and
lifespan startups that never finish. Every call here runs in a watchdog thread, so a regression
fails the test instead of hanging the suite."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any, Callable

import pytest

from lz.adapter import ASGIAdapter, LifespanFailure, WSGIAdapter
from lz.adapter.deadline import DEFAULT_BUDGET, MARGIN, budget
from tests.builders import Context, make, response_body


class ShortContext(Context):
    """A Lambda context with `ms` milliseconds left, as at the start of a short invocation."""

    def __init__(self, ms: int, request_id: str = "req-short") -> None:
        super().__init__(request_id)
        self.ms = ms

    def get_remaining_time_in_millis(self) -> int:
        return self.ms


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """call() in a daemon thread; fail (rather than hang) if it takes longer than `seconds`."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


async def ok_app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


# 7. BaseException from the app ------------------------------------------------------------------

def _raising(exc: BaseException, waits: bool, after_response: bool = False):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        if waits:
            await asyncio.sleep(0.001)  # through the loop, not only the eager first step
        if after_response:
            await send({"type": "http.response.start", "status": 201, "headers": []})
            await send({"type": "http.response.body", "body": b"made"})
        if scope["query_string"] == b"raise":
            raise exc
        if not after_response:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

    return app


EXCEPTIONS = [asyncio.CancelledError(), SystemExit(3), KeyboardInterrupt(), GeneratorExit()]


@pytest.mark.parametrize("waits", [False, True], ids=["eager", "awaits"])
@pytest.mark.parametrize("exc", EXCEPTIONS, ids=lambda e: type(e).__name__)
def test_base_exception_is_a_500_and_the_environment_keeps_serving(exc: BaseException,
                                                                   waits: bool, caplog) -> None:
    handler = ASGIAdapter(_raising(exc, waits), lifespan="off")
    event = make("http_v2")
    event["rawQueryString"] = "raise"
    result = within(10, lambda: handler(event, Context("req-base")))
    assert result["statusCode"] == 500 and response_body(result) == b"Internal Server Error"
    assert type(exc).__name__ in caplog.text and "req-base" in caplog.text
    for _ in range(2):  # the same loop, the same adapter: the next requests are served
        assert within(10, lambda: handler(make("http_v2"), Context()))["statusCode"] == 200


@pytest.mark.parametrize("exc", EXCEPTIONS, ids=lambda e: type(e).__name__)
def test_base_exception_after_a_complete_response_keeps_the_response(exc: BaseException) -> None:
    handler = ASGIAdapter(_raising(exc, True, after_response=True), lifespan="off")
    event = make("http_v2")
    event["rawQueryString"] = "raise"
    result = within(10, lambda: handler(event, Context()))
    assert result["statusCode"] == 201 and response_body(result) == b"made"


def test_system_exit_from_a_wsgi_app_is_a_500_too() -> None:
    def app(environ, start_response):
        raise SystemExit(1)

    assert WSGIAdapter(app)(make("rest_v1"), Context())["statusCode"] == 500


# 9. Unknown messages during lifespan startup ------------------------------------------------------

def _lifespan_sending(message: dict, then_complete: bool = False):
    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            await receive()
            try:
                await send(message)
            except RuntimeError:
                if not then_complete:
                    raise
            if then_complete:  # an app that swallows the error and waits on: still no hang
                await receive()
            return
        await ok_app(scope, receive, send)

    return app


@pytest.mark.parametrize("message", [{"type": "http.response.start", "status": 200},
                                     {"type": "lifespan.startup.done"}, {"no": "type"}])
@pytest.mark.parametrize("swallows", [False, True])
def test_unknown_startup_message_in_auto_mode_goes_on_without_lifespan(message: dict,
                                                                       swallows: bool,
                                                                       caplog) -> None:
    """ASGI spec, Error Handling: a server must raise out of send() on a message it does not
    expect; lz then takes lifespan as unsupported (auto) instead of waiting forever."""
    handler = ASGIAdapter(_lifespan_sending(message, swallows))
    result = within(10, lambda: handler(make("http_v2"), Context()))
    assert result["statusCode"] == 200
    assert "instead of a lifespan message" in caplog.text
    assert any(r.levelno == logging.WARNING for r in caplog.records)


def test_unknown_startup_message_in_on_mode_fails_loudly() -> None:
    handler = ASGIAdapter(_lifespan_sending({"type": "http.response.start"}), lifespan="on")
    with pytest.raises(LifespanFailure, match="http.response.start"):
        within(10, lambda: handler(make("http_v2"), Context()))


def test_startup_that_raises_in_auto_mode_is_a_warning_with_its_traceback(caplog) -> None:
    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            raise ConnectionError("no database")
        await ok_app(scope, receive, send)

    assert within(10, lambda: ASGIAdapter(app)(make("http_v2"), Context()))["statusCode"] == 200
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.exc_info]
    assert warnings and "no database" in str(warnings[0].exc_info[1])


# 17. Deadlines ----------------------------------------------------------------------------------

def test_budget_is_lambdas_remaining_time_less_a_margin() -> None:
    assert budget(ShortContext(30_000)) == pytest.approx(30 - MARGIN)
    assert budget(ShortContext(800)) == pytest.approx(0.6)  # short: a quarter kept back
    assert budget(ShortContext(0)) == 0
    assert budget(None) == DEFAULT_BUDGET
    assert budget(object()) == DEFAULT_BUDGET


def test_app_still_running_after_its_response_returns_the_response_at_the_deadline(
        caplog) -> None:
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})
        await asyncio.sleep(3600)  # background work that never ends

    handler = ASGIAdapter(app, lifespan="off")
    started = time.monotonic()
    result = within(10, lambda: handler(make("http_v2"), ShortContext(800)))
    assert time.monotonic() - started < 5
    assert result["statusCode"] == 200 and response_body(result) == b"done"
    assert "after its response was complete" in caplog.text and "req-short" in caplog.text
    assert within(10, lambda: ASGIAdapter(ok_app)(make("http_v2"), Context()))["statusCode"] == 200


@pytest.mark.parametrize("sends", [0, 1, 2], ids=["nothing", "start", "part-of-body"])
def test_app_that_never_answers_gets_a_504_before_lambdas_timeout(sends: int, caplog) -> None:
    messages = [{"type": "http.response.start", "status": 200, "headers": []},
                {"type": "http.response.body", "body": b"part", "more_body": True}][:sends]
    cleaned: list[str] = []

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        for message in messages:
            await send(message)
        try:
            await asyncio.sleep(3600)
        finally:
            cleaned.append("finally ran")

    handler = ASGIAdapter(app, lifespan="off")
    result = within(10, lambda: handler(make("rest_v1"), ShortContext(800)))
    assert result["statusCode"] == 504
    assert b"did not answer in time" in response_body(result)
    assert "did not finish its response within 0.6 s" in caplog.text
    assert cleaned == ["finally ran"]  # cancelled, and given the chance to clean up


def test_the_loop_serves_the_next_request_after_a_deadline() -> None:
    async def slow(scope, receive, send):
        if scope["type"] != "http":
            return
        if scope["query_string"] == b"hang":
            await asyncio.sleep(3600)
        await asyncio.sleep(0.001)
        await ok_app(scope, receive, send)

    handler = ASGIAdapter(slow, lifespan="off")
    event = make("http_v2")
    event["rawQueryString"] = "hang"
    assert within(10, lambda: handler(event, ShortContext(400)))["statusCode"] == 504
    assert within(10, lambda: handler(make("http_v2"), Context()))["statusCode"] == 200


def test_lifespan_startup_that_never_completes_fails_before_lambdas_timeout(caplog) -> None:
    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            await receive()
            await asyncio.sleep(3600)  # waiting for a database that never answers
        await ok_app(scope, receive, send)

    handler = ASGIAdapter(app)
    with pytest.raises(LifespanFailure, match="did not complete within 0.6 s"):
        within(10, lambda: handler(make("http_v2"), ShortContext(800)))
    assert "lifespan startup" in caplog.text
