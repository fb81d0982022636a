"""The local front door of `lz serve`: a werkzeug server that turns each HTTP request into the event
the emulated AWS front would send, and refuses what that front refuses before the function runs.

Two layers, as on AWS: the HTTP layer (a werkzeug request handler) refuses a request whose framing
is ambiguous (400) or whose declared body is over the front's limit (413) before reading the body,
so `Expect: 100-continue` clients never send it; the event layer (a WSGI app) builds the event,
refuses a chunked body over the limit or an event over Lambda's payload limit (413), and hands the
event to the handler.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from .gateway import build_event, result_to_http
from .hints import websocket_note
from .limits import FRONT_NAMES, body_too_large, declared_length, event_too_large, framing_error
from .streaming import StreamedResult

DRAIN_CAP = 64 * 1024 * 1024  # a refused body is read (and dropped) up to this much


def _say(message: str) -> None:
    print(f"lz serve: {message}", file=sys.stderr, flush=True)


def request_handler(front: str) -> type:
    """werkzeug's request handler, refusing at the HTTP layer what `front` refuses there."""
    from werkzeug.serving import WSGIRequestHandler

    class FrontRequestHandler(WSGIRequestHandler):
        def _refusal(self) -> tuple[int, str, int] | None:
            """(status, message, bytes to drain) when the front refuses this request's head."""
            lengths = self.headers.get_all("Content-Length") or []
            error = framing_error(lengths, self.headers.get_all("Transfer-Encoding") or [])
            if error:  # the body's length is unknown: drop what has arrived
                return 400, f"Bad Request: {error}", -1
            declared = declared_length(lengths)
            too_large = body_too_large(front, declared) if declared is not None else None
            if too_large:
                return 413, too_large, declared or 0
            return None

        def handle_expect_100(self) -> bool:
            """Answer an `Expect: 100-continue` head that will be refused before its body comes."""
            refusal = self._refusal()
            if refusal is None:
                return super().handle_expect_100()
            self._refuse(refusal[0], refusal[1], drain=0)
            return False

        def run_wsgi(self) -> None:
            refusal = self._refusal()
            if refusal is not None:
                return self._refuse(*refusal)
            super().run_wsgi()

        def make_environ(self) -> dict:
            environ = super().make_environ()
            declared = declared_length(self.headers.get_all("Content-Length") or [])
            if declared is not None:  # "5, 5" is the one length 5 (RFC 9110 section 8.6)
                environ["CONTENT_LENGTH"] = str(declared)
            return environ

        def _refuse(self, status: int, message: str, drain: int) -> None:
            _say(f"{self.command} {self.path}: {message}")
            body = (message + "\n").encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            if drain:
                self._drain(DRAIN_CAP if drain < 0 else min(drain, DRAIN_CAP), drain < 0)

        def _drain(self, size: int, unknown: bool) -> None:
            """Read what the client is still sending (its declared body, or what arrives while it
            keeps coming), so it sees the answer rather than a connection reset."""
            self.connection.settimeout(0.2 if unknown else 2)
            try:
                while size > 0:
                    chunk = self.rfile.read1(min(size, 1 << 20))
                    if not chunk:
                        break
                    size -= len(chunk)
            except OSError:  # a timeout included: the client stopped sending
                pass

    return FrontRequestHandler


def gateway_app(handler: Callable[[dict, Any], Any], front: str, stage: str,
                context_for: Callable[[str], Any]) -> Callable:
    """A WSGI app (for werkzeug's server) that forwards each request through `handler` as the
    event `front` would send; `context_for(request_id)` makes the Lambda context."""
    from werkzeug.wrappers import Request as WRequest
    from werkzeug.wrappers import Response as WResponse

    from .limits import BODY_LIMITS

    from .claims import authorize, current

    prefix = "" if stage == "$default" else f"/{stage}"
    claims = current()  # lz serve --auth-token-claims: the JWT authorizer, emulated

    def refuse(environ: dict, start_response: Callable, status: int, message: str) -> Any:
        _say(f"{environ.get('REQUEST_METHOD')} {environ.get('REQUEST_URI', '')}: {message}")
        response = WResponse(message + "\n", status, content_type="text/plain; charset=utf-8")
        return response(environ, start_response)

    def app(environ: dict, start_response: Callable) -> Any:
        request = WRequest(environ)
        raw = environ.get("REQUEST_URI") or environ.get("RAW_URI") or request.full_path
        raw_path, _, raw_query = raw.partition("?")
        if request.headers.get("Upgrade", "").lower() == "websocket":
            websocket_note(f"{request.method} {raw_path} asked for a WebSocket upgrade")
            if front == "alb":  # "Upgrade requests are rejected with an HTTP 400 code"
                return refuse(environ, start_response, 400,
                              f"Bad Request: {FRONT_NAMES[front]} rejects WebSocket upgrades")
        if prefix:
            if raw_path != prefix and not raw_path.startswith(prefix + "/"):
                response = WResponse(f"Not Found: this stage lives under {prefix}/\n", 404)
                return response(environ, start_response)
            raw_path = raw_path[len(prefix):] or "/"
        if environ.get("wsgi.input_terminated"):  # chunked: no Content-Length was checked
            body = _read_at_most(environ["wsgi.input"], BODY_LIMITS[front])
            if body is None:
                return refuse(environ, start_response, 413, body_too_large(front, None) or "")
        else:
            body = request.get_data()
        event = build_event(
            front,
            request.method,
            raw_path,
            raw_query,
            list(request.headers.items()),
            body,
            request.remote_addr or "127.0.0.1",
            stage,
            request.scheme,
            int(environ.get("SERVER_PORT") or 80),
        )
        if claims is not None and not authorize(event, front, claims):
            response = WResponse('{"message":"Unauthorized"}', 401, content_type="application/json")
            return response(environ, start_response)
        too_large = event_too_large(event)
        if too_large:
            return refuse(environ, start_response, 413, too_large)
        rid = event["requestContext"].get("requestId") or _request_id()
        result = handler(event, context_for(rid))
        if isinstance(result, StreamedResult):  # chunked, each chunk as the function sends it
            status, headers = result.http()
            response = WResponse(result.body(), status, direct_passthrough=True)
            response.headers.clear()
            for name, value in headers:
                response.headers.add(name, value)
            return response(environ, start_response)
        status, headers, data = result_to_http(result)
        response = WResponse(data, status)
        response.headers.clear()
        for name, value in headers:
            response.headers.add(name, value)
        return response(environ, start_response)

    return app


def _read_at_most(stream: Any, limit: int) -> bytes | None:
    """The whole of `stream`, or None as soon as it is longer than `limit` bytes."""
    chunks, size = [], 0
    while True:
        chunk = stream.read(min(1 << 20, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return None


def _request_id() -> str:
    import uuid

    return str(uuid.uuid4())


def run(app: Callable, front: str, host: str, port: int, reload: bool,
        extra_files: list[str] | None = None) -> None:
    """Serve `app` (from gateway_app) until interrupted; restart on code changes with `reload`."""
    from werkzeug.serving import run_simple

    run_simple(host, port, app, use_reloader=reload, threaded=True, extra_files=extra_files,
               request_handler=request_handler(front))
