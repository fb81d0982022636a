"""A streamed response as the local Runtime API receives it, for a reader to take as it arrives.

A function in streaming mode POSTs its response with `Lambda-Runtime-Function-Response-Mode:
streaming` and a chunked body; with content type application/vnd.awslambda.http-integration-response
the body starts with a JSON prelude (statusCode, headers, cookies / multiValueHeaders) and 8 NUL
bytes, then the HTTP body. An error after the first byte comes in the trailers
(Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body: base64 JSON).

`read_chunked` parses that body off the server's socket and feeds a StreamBody; the reader
iterates the body chunks as they come, or `close()`s it (a client that went away), which cuts the
function's connection so that its next write fails, as it would on Lambda.
"""

from __future__ import annotations

import base64
import json
import queue
import socket
import threading
from typing import Any, BinaryIO, Iterator

HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"
DELIMITER = b"\0" * 8
PRELUDE_LIMIT = 1024 * 1024  # a prelude this long without its delimiter is not one


class StreamBody:
    """One streamed response: its prelude, its body chunks (in order, as they arrived), its end."""

    def __init__(self, content_type: str, connection: socket.socket | None, collect: bool,
                 ready: threading.Event | None = None) -> None:
        self.content_type = content_type
        self.http = content_type.split(";")[0].strip().lower() == HTTP_INTEGRATION
        self.prelude: dict[str, Any] | None = None
        # the prelude is known (or the stream ended without one); `ready` may be the caller's own
        self.ready = ready if ready is not None else threading.Event()
        self.collect = collect  # keep the body whole instead of handing chunks out
        self.collected: list[bytes] = []
        self.chunks: queue.Queue[bytes | None] = queue.Queue()
        self.trailers: dict[str, str] = {}
        self.size = 0
        self.complete = False  # the terminating chunk arrived
        self.disconnected = False  # the reader closed it before its end
        self._connection = connection
        self._head = b""

    # -- the server side ------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        if not data:
            return
        if self.http and self.prelude is None:
            self._head += data
            at = self._head.find(DELIMITER)
            if at < 0:
                if len(self._head) > PRELUDE_LIMIT:
                    raise ValueError("no prelude delimiter (8 NUL bytes) in the first MB of the stream")
                return
            try:
                prelude = json.loads(self._head[:at])
            except ValueError as exc:
                raise ValueError(f"the stream's prelude is not JSON: {exc}") from None
            self.prelude = prelude if isinstance(prelude, dict) else {"statusCode": 500}
            data, self._head = self._head[at + len(DELIMITER):], b""
            self.ready.set()
            if not data:
                return
        self.ready.set()
        self.size += len(data)
        if self.collect:
            self.collected.append(data)
        else:
            self.chunks.put(data)

    def end(self, complete: bool) -> None:
        self.complete = complete
        if self.http and self.prelude is None and self._head:
            self.collected.append(self._head) if self.collect else self.chunks.put(self._head)
        self.ready.set()
        self.chunks.put(None)

    # -- the reader's side ----------------------------------------------------------------------
    def __iter__(self) -> Iterator[bytes]:
        while True:
            chunk = self.chunks.get()
            if chunk is None:
                self.chunks.put(None)  # a second iteration ends at once too
                return
            yield chunk

    def close(self) -> None:
        """The reader is gone: cut the function's connection (its next write fails)."""
        if self.complete:
            return
        self.disconnected = True
        connection = self._connection
        if connection is not None:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @property
    def error(self) -> dict[str, Any] | None:
        """The error the trailers carried, if any: {errorType, errorMessage, ...}."""
        kind = self.trailers.get("lambda-runtime-function-error-type")
        if kind is None:
            return None
        body: Any = self.trailers.get("lambda-runtime-function-error-body", "")
        try:
            body = json.loads(base64.b64decode(body))
        except ValueError:
            body = {"errorMessage": body}
        if not isinstance(body, dict):
            body = {"errorMessage": str(body)}
        body.setdefault("errorType", kind)
        return body

    def as_result(self) -> dict[str, Any]:
        """The whole streamed response as a buffered proxy result (for callers that wait for the
        end): the prelude's fields and the body, base64-encoded."""
        body = b"".join(self.collected)
        if not self.http:
            return {"body": base64.b64encode(body).decode("ascii"), "isBase64Encoded": True}
        result = dict(self.prelude or {})
        result.setdefault("statusCode", 200)
        result["body"] = base64.b64encode(body).decode("ascii")
        result["isBase64Encoded"] = True
        return result


def read_chunked(rfile: BinaryIO, body: StreamBody) -> bool:
    """Feed `body` from a chunked request body; True if it ended with its terminating chunk (and
    trailers), False if the connection ended first."""
    while True:
        line = rfile.readline(65537)
        if not line:
            return False
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ValueError(f"bad chunk size line {line[:40]!r}") from None
        if size == 0:
            while True:
                trailer = rfile.readline(65537)
                if trailer in (b"\r\n", b"\n"):
                    return True
                if not trailer:
                    return False
                name, _, value = trailer.decode("latin-1").partition(":")
                body.trailers[name.strip().lower()] = value.strip()
        data = rfile.read(size)
        if len(data) < size:
            body.feed(data)
            return False
        body.feed(data)
        if rfile.readline(65537) not in (b"\r\n", b"\n"):
            return False
