"""A local Lambda Runtime API (the 2018-06-01 interface awslambdaric speaks) on 127.0.0.1.

The function process long-polls /runtime/invocation/next; `invoke()` queues an event and waits for
the process to post its /response or /error, or for /init/error, or for the deadline. Nothing here
knows about lz: any Lambda Python bundle runs against it.
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

PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{name}"


@dataclass
class Outcome:
    """How one invocation ended: kind is "response", "error", "init_error" or "timeout"."""

    kind: str
    request_id: str
    payload: Any = None  # the JSON the function returned, or the error object it posted
    error_type: str | None = None

    @property
    def ok(self) -> bool:
        return self.kind == "response"


class _Pending:
    def __init__(self, request_id: str, event: Any, deadline_ms: int) -> None:
        self.request_id = request_id
        self.body = json.dumps(event).encode()
        self.deadline_ms = deadline_ms
        self.done = threading.Event()
        self.outcome: Outcome | None = None

    def finish(self, outcome: Outcome) -> None:
        if not self.done.is_set():
            self.outcome = outcome
            self.done.set()


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
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._pending: dict[str, _Pending] = {}
        self._current: _Pending | None = None
        self.init_error: Outcome | None = None
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

    def invoke(self, event: Any, timeout: float, ready: threading.Event | None = None) -> Outcome:
        """Queue `event`, wait for its outcome; "timeout" after `timeout` seconds."""
        request_id = str(uuid.uuid4())
        pending = _Pending(request_id, event, int((time.time() + timeout) * 1000))
        self._pending[request_id] = pending
        self._queue.put(pending)
        finished = pending.done.wait(timeout)
        self._pending.pop(request_id, None)
        if not finished:
            if self.init_error is not None:
                return Outcome("init_error", request_id, self.init_error.payload, self.init_error.error_type)
            return Outcome("timeout", request_id)
        assert pending.outcome is not None
        return pending.outcome

    def fail_pending(self, outcome_kind: str, payload: Any) -> None:
        """End every waiting invocation (the process died or failed to start)."""
        for pending in list(self._pending.values()):
            pending.finish(Outcome(outcome_kind, pending.request_id, payload))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave in two writes

            def log_message(self, *args: Any) -> None:  # the function's own log is what matters
                pass

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
                })

            def do_POST(self) -> None:
                body = self._body()
                try:
                    payload = json.loads(body) if body else None
                except ValueError:
                    payload = body.decode("utf-8", "replace")
                if self.path == f"{PREFIX}/init/error":
                    api.init_error = Outcome("init_error", "-", payload,
                                             self.headers.get("Lambda-Runtime-Function-Error-Type"))
                    api.fail_pending("init_error", payload)
                    return self._reply(202, b'{"status": "OK"}')
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    pending = api._pending.get(parts[1])
                    if pending is None:
                        return self._reply(400, b'{"errorMessage": "unknown request id"}')
                    kind = "response" if parts[2] == "response" else "error"
                    pending.finish(Outcome(kind, parts[1], payload,
                                           self.headers.get("Lambda-Runtime-Function-Error-Type")))
                    return self._reply(202, b'{"status": "OK"}')
                self._reply(404, b'{"errorMessage": "unknown path"}')

        return Handler
