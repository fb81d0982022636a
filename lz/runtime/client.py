"""A client of the Lambda Runtime API (2018-06-01): one kept-alive HTTP/1.1 connection, spoken
over a plain socket.

Not http.client: it costs a cold start the import of the email package (~10 ms) and every
invocation a header parse through email.parser; the Runtime API is one well-behaved server on the
loopback, so a status line, header lines and a Content-Length (or chunked) body are all it takes.
Not even the socket module: it imports selectors and enum (~6 ms); the C module _socket has all
this needs, and a buffered reader over the socket's descriptor gives C-speed readline.
TCP_NODELAY is set so that a streamed chunk leaves when it is written, not after a delayed ACK.
"""

from __future__ import annotations

import _socket
import io

TYPE_CHECKING = False  # importing typing costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any

PREFIX = "/2018-06-01/runtime"
ERROR_TYPE = "Lambda-Runtime-Function-Error-Type"
XRAY_CAUSE = "Lambda-Runtime-Function-XRay-Error-Cause"
_XRAY_LIMIT = 1024 * 1024  # header bytes; a bigger cause is left out, as awslambdaric does


class RuntimeAPIError(Exception):
    """The Runtime API answered with a status the protocol does not expect (or not at all)."""

    def __init__(self, what: str, status: int, body: bytes) -> None:
        super().__init__(f"the Lambda Runtime API answered {what} with {status}: "
                         f"{body[:500].decode('utf-8', 'replace')}")
        self.status = status
        self.body = body


class _Closed(Exception):
    """The server closed the connection before answering (an idle keep-alive it dropped)."""


class Invocation:
    """What /invocation/next delivered: the event's bytes and the invocation's headers."""

    def __init__(self, headers: dict[str, str], body: bytes) -> None:
        self.request_id = headers.get("lambda-runtime-aws-request-id", "")
        self.deadline_ms = int(headers.get("lambda-runtime-deadline-ms") or 0)
        self.function_arn = headers.get("lambda-runtime-invoked-function-arn")
        self.trace_id = headers.get("lambda-runtime-trace-id")
        self.client_context = headers.get("lambda-runtime-client-context")
        self.identity = headers.get("lambda-runtime-cognito-identity")
        self.tenant_id = headers.get("lambda-runtime-aws-tenant-id")
        self.content_type = headers.get("content-type", "application/json")
        self.body = body


def _header_value(text: str) -> str:
    """A value safe to put in a header line: no CR/LF, latin-1 only."""
    return text.replace("\r", " ").replace("\n", " ").encode("latin-1", "replace").decode("latin-1")


class Connection:
    """One HTTP/1.1 connection to the Runtime API, reopened (once per request) if the server
    dropped it while it was idle."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.host = host or "127.0.0.1"
        self.port = int(port)
        self.host_line = f"Host: {address}\r\n".encode("latin-1")
        self.sock: Any = None
        self.reader: Any = None
        self.opened = 0  # connections made so far: 1 for a whole healthy life

    def open(self) -> None:
        error: OSError | None = None
        for family, kind, proto, _, address in _socket.getaddrinfo(
                self.host, self.port, 0, _socket.SOCK_STREAM):
            sock = _socket.socket(family, kind, proto)
            try:
                sock.connect(address)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            self.sock = sock
            self.reader = io.open(sock.fileno(), "rb", buffering=65536, closefd=False)
            self.opened += 1
            return
        raise error or OSError(f"cannot connect to the Runtime API at {self.host}:{self.port}")

    def close(self) -> None:
        sock, reader = self.sock, self.reader
        self.sock = self.reader = None
        for thing in (reader, sock):
            if thing is not None:
                try:
                    thing.close()
                except OSError:
                    pass

    def exchange(self, request: bytes) -> tuple[int, dict[str, str], bytes]:
        """Send a whole request, read its response; a connection found closed is reopened and the
        request sent again, once (the server never saw it)."""
        for attempt in (0, 1):
            if self.sock is None:
                self.open()
            try:
                self.sock.sendall(request)
                return self.response()
            except (_Closed, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def response(self) -> tuple[int, dict[str, str], bytes]:
        reader = self.reader
        line = reader.readline(65537)
        if not line:
            raise _Closed()
        try:
            status = int(line.split(None, 2)[1])
        except (IndexError, ValueError):
            self.close()
            raise RuntimeAPIError("a request", 0, line) from None
        headers: dict[str, str] = {}
        while True:
            line = reader.readline(65537)
            if line == b"\r\n" or line == b"\n" or not line:
                break
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        length = headers.get("content-length")
        if length is not None:
            body = reader.read(int(length))
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._chunked()
        elif status in (204, 304) or status < 200:
            body = b""
        else:  # the body runs to the end of the connection
            body = reader.read()
            self.close()
            return status, headers, body
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def _chunked(self) -> bytes:
        reader = self.reader
        parts = []
        while True:
            size = int(reader.readline(65537).split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while reader.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers: none that this client needs
                return b"".join(parts)
            parts.append(reader.read(size))
            reader.readline(65537)


class RuntimeClient:
    """The Runtime API's calls, as lz's loop makes them."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.conn = Connection(address)
        self._next = (f"GET {PREFIX}/invocation/next HTTP/1.1\r\n".encode("latin-1")
                      + self.conn.host_line + b"\r\n")

    def next(self) -> Invocation:
        status, headers, body = self.conn.exchange(self._next)
        if status != 200:
            raise RuntimeAPIError("/invocation/next", status, body)
        return Invocation(headers, body)

    def _post(self, path: str, body: bytes, content_type: str, extra: str = "") -> tuple[int, bytes]:
        head = (f"POST {PREFIX}{path} HTTP/1.1\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\n{extra}").encode("latin-1")
        status, _, answer = self.conn.exchange(head + self.conn.host_line + b"\r\n" + body)
        return status, answer

    def respond(self, request_id: str, body: bytes, content_type: str = "application/json") -> None:
        status, answer = self._post(f"/invocation/{request_id}/response", body, content_type)
        if status != 202:
            raise RuntimeAPIError("the response", status, answer)

    def error(self, request_id: str, body: bytes, error_type: str, xray_cause: str | None = None) -> None:
        extra = f"{ERROR_TYPE}: {_header_value(error_type)}\r\n"
        if xray_cause and len(xray_cause) < _XRAY_LIMIT:
            extra += f"{XRAY_CAUSE}: {_header_value(xray_cause)}\r\n"
        status, answer = self._post(f"/invocation/{request_id}/error", body, "application/json", extra)
        if status != 202:
            raise RuntimeAPIError("the error report", status, answer)

    def init_error(self, body: bytes, error_type: str) -> None:
        status, answer = self._post("/init/error", body, "application/json",
                                    f"{ERROR_TYPE}: {_header_value(error_type)}\r\n")
        if status != 202:
            raise RuntimeAPIError("the init error", status, answer)

    def restore_next(self) -> None:
        """SnapStart: the snapshot is taken during this call; it returns after a restore."""
        status, _, body = self.conn.exchange(
            f"GET {PREFIX}/restore/next HTTP/1.1\r\n".encode("latin-1") + self.conn.host_line + b"\r\n")
        if status != 200:
            raise RuntimeAPIError("/restore/next", status, body)

    def restore_error(self, body: bytes, error_type: str) -> None:
        status, answer = self._post("/restore/error", body, "application/json",
                                    f"{ERROR_TYPE}: {_header_value(error_type)}\r\n")
        if status != 202:
            raise RuntimeAPIError("the restore error", status, answer)
