"""The front ends' streaming path, in this process, with a stream that records what it is given
(the protocol of `context.lz_stream`: call with the prelude, then write / close / fail).

What goes out is what a Function URL in RESPONSE_STREAM mode or a REST API in STREAM mode takes: a
prelude of statusCode plus headers (Function URL: `headers` and `cookies`; REST: `multiValueHeaders`;
"Set up a Lambda proxy integration with payload response streaming in API Gateway",
https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html),
then the body as the app produces it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from lz.adapter import ASGIAdapter, WSGIAdapter
from tests.builders import Context, make


class Recorder:
    """A stream: keeps the prelude, each chunk, how it ended; goes away after `gone_after` chunks."""

    def __init__(self, gone_after: int | None = None) -> None:
        self.prelude: dict | None = None
        self.chunks: list[bytes] = []
        self.closed = False
        self.error: dict | None = None
        self.gone_after = gone_after

    def __call__(self, prelude: dict) -> "Recorder":
        assert self.prelude is None, "one stream per invocation"
        self.prelude = prelude
        return self

    def write(self, data: bytes) -> None:
        if self.gone_after is not None and len(self.chunks) >= self.gone_after:
            raise BrokenPipeError("the client went away")
        assert type(data) is bytes and data
        self.chunks.append(data)

    def close(self) -> None:
        self.closed = True

    def fail(self, error: dict) -> None:
        self.error = error


def _context(stream: Recorder | None = None, rid: str = "req-stream-1") -> Context:
    context = Context(rid)
    context.lz_stream = stream
    return context


def _event(kind: str = "function_url", method: str = "GET", path: str = "/") -> dict:
    return make(kind, method=method, path=path)


def test_a_wsgi_generator_goes_out_item_by_item() -> None:
    stream = Recorder()
    seen_before_next: list[list[bytes]] = []

    def app(environ: dict, start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("X-A", "1")])

        def body():
            for part in (b"one ", b"", b"two ", b"three"):
                yield part
                seen_before_next.append(list(stream.chunks))  # what had gone out by then
        return body()

    result = WSGIAdapter(app)(_event(), _context(stream))
    assert stream.prelude == {"statusCode": 200, "headers": {"Content-Type": "text/plain", "X-A": "1"},
                              "cookies": ["a=1"]}
    assert stream.chunks == [b"one ", b"two ", b"three"] and stream.closed and stream.error is None
    assert seen_before_next[0] == [b"one "]  # the first item was out before the app went on
    assert result == {"statusCode": 200, "streamed": 13}


def test_a_rest_api_prelude_keeps_every_header() -> None:
    stream = Recorder()

    def app(environ: dict, start_response: Any) -> Any:
        start_response("201 Created", [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        yield b"x"

    WSGIAdapter(app)(_event("rest_v1"), _context(stream))
    assert stream.prelude == {"statusCode": 201, "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}}


@pytest.mark.parametrize("kind", ["http_v2", "alb_multi"])
def test_fronts_that_cannot_stream_answer_buffered(kind: str) -> None:
    stream = Recorder()
    result = WSGIAdapter(lambda e, s: (s("200 OK", [("Content-Type", "text/plain")]), iter([b"a", b"b"]))[1])(_event(kind), _context(stream))
    assert stream.prelude is None and result["body"] == "ab"


def test_without_a_stream_the_answer_is_buffered_as_before() -> None:
    result = WSGIAdapter(lambda e, s: (s("200 OK", [("Content-Type", "text/plain")]), iter([b"a", b"b"]))[1])(_event(), _context(None))
    assert result["body"] == "ab" and result["statusCode"] == 200


def test_a_whole_answer_is_streamed_in_one_piece() -> None:
    stream = Recorder()
    WSGIAdapter(lambda e, s: (s("404 Not Found", [("Content-Type", "text/plain")]), [b"nope"])[1])(
        _event(), _context(stream))
    assert stream.prelude["statusCode"] == 404 and stream.chunks == [b"nope"] and stream.closed


def test_head_sends_no_body() -> None:
    stream = Recorder()
    WSGIAdapter(lambda e, s: (s("200 OK", []), iter([b"body"]))[1])(_event(method="HEAD"), _context(stream))
    assert stream.prelude["statusCode"] == 200 and stream.chunks == [] and stream.closed


def test_an_error_before_the_first_byte_is_a_whole_500(caplog) -> None:
    stream = Recorder()

    def app(environ: dict, start_response: Any) -> Any:
        start_response("200 OK", [])
        raise RuntimeError("before anything")
        yield b"never"

    with caplog.at_level(logging.ERROR, logger="lz"):
        WSGIAdapter(app)(_event(), _context(stream))
    assert stream.prelude["statusCode"] == 500 and stream.chunks == [b"Internal Server Error"]
    assert stream.error is None and "req-stream-1" in caplog.text


def test_a_bad_header_before_the_first_byte_is_a_whole_500() -> None:
    stream = Recorder()
    WSGIAdapter(lambda e, s: (s("200 OK", [("X-Bad", "a\r\nb")]), iter([b"x"]))[1])(_event(), _context(stream))
    assert stream.prelude["statusCode"] == 500 and stream.error is None


def test_an_error_after_the_first_byte_goes_into_the_trailers(caplog) -> None:
    stream = Recorder()
    closed = []

    class Body:
        def __iter__(self):
            yield b"first"
            raise ValueError("the database went away")

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict, start_response: Any) -> Any:
        start_response("200 OK", [])
        return Body()

    with caplog.at_level(logging.ERROR, logger="lz"):
        result = WSGIAdapter(app)(_event(), _context(stream))
    assert stream.chunks == [b"first"] and not stream.closed
    assert stream.error == {"errorType": "ValueError", "errorMessage": "the database went away",
                            "requestId": "req-stream-1"}
    assert closed == [True] and result["statusCode"] == 200
    assert "req-stream-1" in caplog.text and "trailers" in caplog.text


def test_a_client_that_goes_away_closes_the_iterable(caplog) -> None:
    stream = Recorder(gone_after=2)
    produced, closed = [], []

    class Body:
        def __iter__(self):
            for i in range(1000):
                produced.append(i)
                yield b"event %d\n" % i

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict, start_response: Any) -> Any:
        start_response("200 OK", [])
        return Body()

    with caplog.at_level(logging.WARNING, logger="lz"):
        WSGIAdapter(app)(_event(), _context(stream))
    assert closed == [True] and len(produced) == 3 and stream.error is None
    assert "went away" in caplog.text and "req-stream-1" in caplog.text


def test_flask_stream_with_context_generator() -> None:
    pytest.importorskip("flask")  # not in the target Pythons' test environments
    from flask import Flask, Response, request, stream_with_context

    app = Flask(__name__)

    @app.get("/count")
    def count():
        def generate():
            for i in range(int(request.args["n"])):
                yield f"{i}\n"
        return Response(stream_with_context(generate()), mimetype="text/plain")

    stream = Recorder()
    event = make("function_url", path="/count", query=[("n", "3")])
    WSGIAdapter(app)(event, _context(stream))
    assert stream.chunks == [b"0\n", b"1\n", b"2\n"] and stream.closed
    assert stream.prelude["headers"]["Content-Type"].startswith("text/plain")


def _asgi_streamer(parts: list[bytes], fail: bool = False) -> Any:
    async def app(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream"), (b"set-cookie", b"s=1")]})
        for part in parts:
            await send({"type": "http.response.body", "body": part, "more_body": True})
            await asyncio.sleep(0)
        if fail:
            raise RuntimeError("the model stopped answering")
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    return app


def test_asgi_bodies_with_more_body_go_out_as_sent() -> None:
    stream = Recorder()
    result = ASGIAdapter(_asgi_streamer([b"data: 1\n\n", b"data: 2\n\n"]), lifespan="off")(
        _event(), _context(stream))
    assert stream.prelude == {"statusCode": 200, "headers": {"content-type": "text/event-stream"},
                              "cookies": ["s=1"]}
    assert stream.chunks == [b"data: 1\n\n", b"data: 2\n\n"] and stream.closed
    assert result["statusCode"] == 200


def test_an_asgi_response_in_one_message_stays_whole() -> None:
    from tests.apps import asgi_answer

    stream = Recorder()
    ASGIAdapter(asgi_answer(200, [("content-type", "text/plain")], b"all"), lifespan="off")(
        _event(), _context(stream))
    assert stream.chunks == [b"all"] and stream.closed


def test_an_asgi_error_mid_stream_goes_into_the_trailers() -> None:
    stream = Recorder()
    ASGIAdapter(_asgi_streamer([b"a"], fail=True), lifespan="off")(_event(), _context(stream))
    assert stream.chunks == [b"a"] and stream.error["errorType"] == "RuntimeError"


def test_an_asgi_app_sees_http_disconnect_when_the_client_goes_away() -> None:
    seen: list[Any] = []

    async def app(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await receive()  # the request body

        async def listen() -> None:
            seen.append((await receive())["type"])

        listener = asyncio.ensure_future(listen())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            for i in range(100):
                await send({"type": "http.response.body", "body": b"%d" % i, "more_body": True})
                await asyncio.sleep(0.001)
        except OSError as exc:
            seen.append(type(exc).__name__)
            await listener
            raise

    stream = Recorder(gone_after=3)
    result = ASGIAdapter(app, lifespan="off")(_event(), _context(stream))
    assert seen == ["OSError", "http.disconnect"] and stream.error is None
    assert len(stream.chunks) == 3 and result["statusCode"] == 200


def test_fastapi_streaming_response() -> None:
    pytest.importorskip("fastapi")
    from fastapi import FastAPI
    from fastapi.responses import StreamingResponse

    app = FastAPI()

    @app.get("/tokens")
    async def tokens():
        async def generate():
            for word in ("lz ", "streams ", "tokens"):
                yield word
        return StreamingResponse(generate(), media_type="text/plain")

    stream = Recorder()
    ASGIAdapter(app, lifespan="off")(make("function_url", path="/tokens"), _context(stream))
    assert b"".join(stream.chunks) == b"lz streams tokens" and len(stream.chunks) >= 3
    assert stream.prelude["statusCode"] == 200 and stream.closed
