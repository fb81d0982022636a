"""Streamed responses, the front ends' side.

Where the response may stream (the invocation's context has `lz_stream`, which lz's runtime loop
gives HTTP invocations of a streaming stage, and the event's front can stream: a Function URL, a
REST API), the front ends do not collect the body: the status and headers go out as the prelude
with the first non-empty chunk, and each later chunk as the app produces it. `lz_stream` is called
with the prelude and returns a stream with write(bytes), close() and fail(error); a write to a
client that went away raises OSError.

Errors keep the adapter's rule (every failure is an answer, never an exception out of the handler):
before the first byte as in a buffered response (a 500, 502 or 504 the front can pass on, itself
sent as a stream); after it, in the stream's trailers, since the status has gone, with a log line
naming the request id. A client that went away is one log line.
"""

from __future__ import annotations

from .events import Response
from .log import log, request_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .events import Options, Request, Source


class ClientGone(Exception):
    """The stream's reader went away: the app's iteration stops here (raised by Outgoing.write
    in place of the stream's OSError, so that an OSError of the app's own is not taken for it)."""


class Outgoing:
    """One response on its way out as a stream."""

    __slots__ = ("opener", "source", "request", "options", "stream", "status", "sent", "gone")

    def __init__(self, opener: Any, source: Source, request: Request, options: Options) -> None:
        self.opener = opener
        self.source = source
        self.request = request
        self.options = options
        self.stream: Any = None
        self.status = 0
        self.sent = 0
        self.gone = False

    def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        """Send the prelude: the header pairs are checked as a buffered response's are (AppError)."""
        prelude = self.source.prelude(Response(status, headers, b""), self.request, self.options)
        self.status = status
        self.stream = self.opener(prelude)

    def write(self, data: Any) -> None:
        if type(data) is not bytes:
            if not isinstance(data, (bytearray, memoryview)):
                from .events import AppError

                raise AppError(f"the app yielded {type(data).__name__}, expected bytes")
            data = bytes(data)
        if not data:
            return
        try:
            self.stream.write(data)
        except OSError as exc:
            self.gone = True
            raise ClientGone(str(exc)) from None
        self.sent += len(data)

    def close(self) -> None:
        try:
            self.stream.close()
        except OSError:
            self.gone = True

    def whole(self, response: Response) -> None:
        """A response the app made whole (or an error page): streamed in one piece."""
        self.start(response.status, response.headers)
        if response.body and self.request.method != "HEAD":
            self.write(response.body)
        self.close()

    def failed(self, exc: BaseException) -> None:
        """The app failed after the first byte: log it, end the stream with it in the trailers."""
        request = self.request
        if isinstance(exc, ClientGone) or self.gone:
            return self.left()
        log().error(
            "lz: the app failed after its streamed response began (request_id=%s, %s %s, %d "
            "bytes sent); the error goes into the stream's trailers", request_id(request.context),
            request.method, request.path, self.sent, exc_info=exc,
        )
        try:
            self.stream.fail({"errorType": type(exc).__name__, "errorMessage": str(exc),
                              "requestId": request_id(request.context)})
        except OSError:
            self.gone = True

    def left(self) -> None:
        request = self.request
        log().warning("lz: the client went away during the streamed response (request_id=%s, "
                      "%s %s, %d bytes sent); the app was stopped", request_id(request.context),
                      request.method, request.path, self.sent)

    def result(self) -> dict[str, Any]:
        """What the handler returns once the response went out as a stream (the request log
        reads its status; the runtime loop sends nothing more)."""
        return {"statusCode": self.status, "streamed": self.sent}
