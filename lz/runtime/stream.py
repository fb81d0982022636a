"""Streamed responses: what the managed runtime's client cannot send.

A stage with `"stream": true` (env LZ_STREAM=1) gives each HTTP invocation a `context.lz_stream`,
a StreamSlot. The front end that wants to stream calls it with the response's prelude
(`{"statusCode", "headers", "cookies"}`, or `multiValueHeaders` for REST) and gets a ResponseStream:

    POST /runtime/invocation/{id}/response
    Lambda-Runtime-Function-Response-Mode: streaming
    Transfer-Encoding: chunked
    Content-Type: application/vnd.awslambda.http-integration-response

    <prelude JSON> 00 00 00 00 00 00 00 00 <body chunk> <body chunk> ...

`write(data)` sends one chunk at once (TCP_NODELAY); `close()` ends the body; `fail(exc)` ends it
with the error in the trailers (Lambda-Runtime-Function-Error-Type, -Body: the error JSON in
base64), never a second response. A write to a client that went away raises ClientDisconnected,
an OSError, as ASGI servers raise from send().

The streamed body may be up to 200 MB ("Response streaming for Lambda functions", Lambda guide:
https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html); a write past
it raises StreamLimitExceeded and the stream ends with that error in its trailers, logged.
"""

from __future__ import annotations

import json

from .client import ERROR_TYPE, PREFIX, RuntimeAPIError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .client import Connection

CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"
DELIMITER = b"\0" * 8
ERROR_BODY = "Lambda-Runtime-Function-Error-Body"
LIMIT = 200 * 1024 * 1024  # bytes of streamed body Lambda accepts by default
_JOIN = 65536  # chunks smaller than this go out in one send with their framing


class ClientDisconnected(OSError):
    """The stream's reader went away: stop producing the response."""


class StreamLimitExceeded(Exception):
    """The streamed body reached Lambda's limit for streamed responses."""


class ResponseStream:
    """One streamed response on the Runtime API connection."""

    def __init__(self, conn: Connection, request_id: str) -> None:
        self.conn = conn
        self.request_id = request_id
        self.sent = 0
        self.done = False
        self.error: dict[str, Any] | None = None  # what fail() reported

    def start(self, prelude: bytes) -> None:
        """Send the request line, the headers and the prelude (JSON)."""
        request_id, conn = self.request_id, self.conn
        head = (f"POST {PREFIX}/invocation/{request_id}/response HTTP/1.1\r\n"
                "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
                "Transfer-Encoding: chunked\r\n"
                f"Content-Type: {CONTENT_TYPE}\r\n"
                f"Trailer: {ERROR_TYPE}, {ERROR_BODY}\r\n").encode("latin-1")
        first = prelude + DELIMITER
        if conn.sock is None:
            conn.open()
        self._send(head + conn.host_line + b"\r\n" + b"%x\r\n" % len(first) + first + b"\r\n")

    def _send(self, data: bytes) -> None:
        try:
            self.conn.sock.sendall(data)
        except OSError as exc:
            self.done = True
            self.conn.close()
            raise ClientDisconnected(f"the response stream was closed by its reader ({exc})") from None

    def write(self, data: bytes) -> None:
        """Send one chunk of the body now (an empty one is skipped: it would end the body)."""
        if self.done:
            raise ClientDisconnected("the response stream is already closed")
        size = len(data)
        if not size:
            return
        if self.sent + size > LIMIT:
            raise StreamLimitExceeded(
                f"the streamed response reached {self.sent + size:,} bytes, over Lambda's "
                f"{LIMIT // 2**20} MB limit for streamed responses; the rest was not sent")
        self.sent += size
        if size < _JOIN:
            self._send(b"%x\r\n" % size + bytes(data) + b"\r\n")
        else:
            self._send(b"%x\r\n" % size)
            self._send(data)
            self._send(b"\r\n")

    def close(self) -> None:
        """The body is complete."""
        if not self.done:
            self._finish(b"0\r\n\r\n")

    def fail(self, error: dict[str, Any]) -> None:
        """End the body with `error` ({errorMessage, errorType, ...}) in the trailers."""
        if self.done:
            return
        import base64

        self.error = error
        kind = str(error.get("errorType") or "Error").replace("\r", " ").replace("\n", " ")
        encoded = base64.b64encode(json.dumps(error, default=str).encode("utf-8"))
        self._finish(b"0\r\n" + f"{ERROR_TYPE}: {kind}\r\n".encode("latin-1", "replace")
                     + ERROR_BODY.encode() + b": " + encoded + b"\r\n\r\n")

    def _finish(self, ending: bytes) -> None:
        self._send(ending)
        self.done = True
        try:
            status, _, body = self.conn.response()
        except Exception as exc:  # noqa: BLE001 - the reader is gone; the next request reconnects
            self.conn.close()
            raise ClientDisconnected(f"no answer to the streamed response ({exc!r})") from None
        if status != 202:
            raise RuntimeAPIError("the streamed response", status, body)


class StreamSlot:
    """`context.lz_stream`: call it with the prelude to start streaming this invocation's
    response; the loop finishes (or fails) the stream the handler leaves open."""

    __slots__ = ("conn", "request_id", "stream")

    def __init__(self, conn: Connection, request_id: str) -> None:
        self.conn = conn
        self.request_id = request_id
        self.stream: ResponseStream | None = None

    def __call__(self, prelude: dict[str, Any]) -> ResponseStream:
        if self.stream is not None:
            raise RuntimeError("this invocation's response stream was already started")
        encoded = json.dumps(prelude, separators=(",", ":")).encode("utf-8")  # may fail: before
        self.stream = stream = ResponseStream(self.conn, self.request_id)      # anything is sent
        stream.start(encoded)
        return stream


def prelude_of(result: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """A buffered proxy result (statusCode, headers, body...) as a prelude and body bytes, for an
    answer made whole (an error page, a list body) on a stage whose front expects a stream."""
    prelude: dict[str, Any] = {"statusCode": result.get("statusCode", 200)}
    for key in ("headers", "multiValueHeaders", "cookies"):
        if result.get(key):
            prelude[key] = result[key]
    body = result.get("body") or ""
    if result.get("isBase64Encoded"):
        import base64

        data = base64.b64decode(body)
    else:
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    return prelude, data
