"""A local Lambda Runtime API (the 2018-06-01 interface awslambdaric and lz's loop speak) on
127.0.0.1.

The function process long-polls /runtime/invocation/next; `invoke()` queues an event and waits for
the process to post its /response or /error, or for /init/error, or for the deadline. A response
posted in streaming mode (Lambda-Runtime-Function-Response-Mode: streaming, chunked) is taken as it
arrives: `submit()` returns the Call at once, and its `stream` (streamed.StreamBody) hands out the
prelude and each chunk as the function sends them; `invoke()` waits for the end and gives the whole
stream as a buffered proxy result. Nothing here knows about lz: any Lambda bundle runs against it.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .streamed import StreamBody, read_chunked

PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{name}"


@dataclass
class Outcome:
    """How one invocation ended: kind is "response", "error", "init_error" or "timeout"."""

    kind: str
    request_id: str
    payload: Any = None  # the JSON the function returned, or the error object it posted
    error_type: str | None = None
    stream: StreamBody | None = None  # set when the response was streamed

    @property
    def streamed(self) -> bool:
        return self.stream is not None

    @property
    def ok(self) -> bool:
        return self.kind == "response"


class Call:
    """One invocation under way: `stream` once a streamed response starts, `outcome` at its end."""

    def __init__(self, request_id: str, event: Any, deadline_ms: int, collect: bool = True,
                 headers: dict[str, str] | None = None) -> None:
        self.request_id = request_id
        self.body = json.dumps(event).encode()
        self.headers = headers or {}  # more /next headers: Lambda-Runtime-Client-Context, ...
        self.deadline_ms = deadline_ms
        self.collect = collect  # keep a streamed body whole (invoke) or hand it out (submit)
        self.done = threading.Event()
        self.started = threading.Event()  # a streamed response has its prelude, or the call ended
        self.outcome: Outcome | None = None
        self.stream: StreamBody | None = None

    def finish(self, outcome: Outcome) -> None:
        if not self.done.is_set():
            self.outcome = outcome
            self.done.set()
        self.started.set()
        if self.stream is not None and outcome.stream is None:  # ended by a death or a timeout
            self.stream.end(False)

    def wait_started(self, timeout: float | None) -> bool:
        """Wait until a streamed response has its prelude, or the invocation ended; False if
        neither happened within `timeout`."""
        return self.started.wait(timeout)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A function process killed mid-poll (timeout, close) leaves a broken connection behind:
        # expected, not worth a traceback.
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class RuntimeAPI:
    def __init__(self, function_name: str = "lz-local") -> None:
        self.function_name = function_name
        self._queue: queue.Queue[Call | None] = queue.Queue()
        self._pending: dict[str, Call] = {}
        self._current: Call | None = None
        self.init_error: Outcome | None = None
        self.connections = 0  # connections the function opened, over its whole life
        self.late_posts: list[str] = []  # request ids answered again after their end (last 100)
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> "RuntimeAPI":
        self._thread.start()
        return self

    def close(self) -> None:
        self._queue.put(None)
        self._server.shutdown()
        self._server.server_close()

    def submit(self, event: Any, timeout: float, collect: bool = False,
               headers: dict[str, str] | None = None) -> Call:
        """Queue `event` and return its Call at once (a streamed response is readable as it comes).
        `headers` go with the event (Lambda-Runtime-Client-Context, -Cognito-Identity, ...)."""
        request_id = str(uuid.uuid4())
        call = Call(request_id, event, int((time.time() + timeout) * 1000), collect, headers)
        self._pending[request_id] = call
        self._queue.put(call)
        return call

    def outcome(self, call: Call, timeout: float) -> Outcome:
        """Wait for `call` to end; "timeout" (or the init error) after `timeout` seconds."""
        finished = call.done.wait(timeout)
        self._pending.pop(call.request_id, None)
        if not finished:
            if self.init_error is not None:
                outcome = Outcome("init_error", call.request_id, self.init_error.payload,
                                  self.init_error.error_type)
            else:
                outcome = Outcome("timeout", call.request_id)
            call.finish(outcome)
            return outcome
        assert call.outcome is not None
        return call.outcome

    def invoke(self, event: Any, timeout: float, ready: threading.Event | None = None,
               headers: dict[str, str] | None = None) -> Outcome:
        """Queue `event`, wait for its outcome; "timeout" after `timeout` seconds. A streamed
        response comes back whole, as a buffered proxy result (body in base64)."""
        return self.outcome(self.submit(event, timeout, collect=True, headers=headers), timeout)

    def fail_pending(self, outcome_kind: str, payload: Any, error_type: str | None = None) -> None:
        """End every waiting invocation (the process died or failed to start)."""
        for pending in list(self._pending.values()):
            pending.finish(Outcome(outcome_kind, pending.request_id, payload, error_type))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave in two writes

            def log_message(self, *args: Any) -> None:  # the function's own log is what matters
                pass

            def setup(self) -> None:
                super().setup()
                api.connections += 1

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path != f"{PREFIX}/invocation/next":
                    return self._reply(404, b'{"errorMessage": "unknown path"}')
                pending = api._queue.get()
                if pending is None:  # shutting down
                    api._queue.put(None)
                    return self._reply(500, b'{"errorMessage": "runtime API closing"}')
                api._current = pending
                self._reply(200, pending.body, {
                    "Lambda-Runtime-Aws-Request-Id": pending.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(pending.deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN.format(name=api.function_name),
                    "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0",
                    **pending.headers,
                })

            def _unknown(self, request_id: str) -> None:
                """A post for an invocation that is not waiting (any more): refused and noted."""
                api.late_posts = (api.late_posts + [request_id])[-100:]
                self.close_connection = True
                self._reply(400, b'{"errorMessage": "unknown request id"}')

            def _stream(self, call: Call) -> None:
                """A streamed response: feed it to its reader chunk by chunk as it arrives."""
                stream = StreamBody(self.headers.get("Content-Type", ""), self.connection,
                                    call.collect, call.started)
                call.stream = stream
                try:
                    complete = read_chunked(self.rfile, stream)
                except (OSError, ValueError) as exc:
                    complete = False
                    if not stream.disconnected:
                        stream.trailers.setdefault("lambda-runtime-function-error-type",
                                                   "Runtime.StreamError")
                        stream.trailers.setdefault("lambda-runtime-function-error-body", "")
                        stream.collected.append(f"\n[stream broken: {exc}]".encode())
                stream.end(complete)
                if not complete:
                    self.close_connection = True
                    if stream.disconnected:  # the reader went away: the invocation ends here
                        call.finish(Outcome("response", call.request_id, None, None, stream))
                    return  # else the function died or timed out: the runner says which
                error = stream.error
                if error is not None:
                    call.finish(Outcome("error", call.request_id, error, error.get("errorType"), stream))
                else:
                    payload = stream.as_result() if call.collect else None
                    call.finish(Outcome("response", call.request_id, payload, None, stream))
                self._reply(202, b'{"status": "OK"}')

            def do_POST(self) -> None:
                mode = (self.headers.get("Lambda-Runtime-Function-Response-Mode") or "").lower()
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if mode == "streaming" and len(parts) == 3 and parts[2] == "response":
                    call = api._pending.get(parts[1])
                    if call is None or call.done.is_set():
                        return self._unknown(parts[1])
                    return self._stream(call)
                body = self._body()
                try:
                    payload = json.loads(body) if body else None
                except ValueError:
                    payload = body.decode("utf-8", "replace")
                if self.path == f"{PREFIX}/init/error":
                    api.init_error = Outcome("init_error", "-", payload,
                                             self.headers.get("Lambda-Runtime-Function-Error-Type"))
                    api.fail_pending("init_error", payload, api.init_error.error_type)
                    return self._reply(202, b'{"status": "OK"}')
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    pending = api._pending.get(parts[1])
                    if pending is None or pending.done.is_set():
                        return self._unknown(parts[1])
                    kind = "response" if parts[2] == "response" else "error"
                    pending.finish(Outcome(kind, parts[1], payload,
                                           self.headers.get("Lambda-Runtime-Function-Error-Type")))
                    return self._reply(202, b'{"status": "OK"}')
                self._reply(404, b'{"errorMessage": "unknown path"}')

        return Handler
