"""`lz serve`: a local HTTP server whose every request goes through the real Lambda event path
(HTTP request -> the front's event -> handler -> proxy result -> HTTP response)."""

from __future__ import annotations

import importlib
import sys
from typing import Any, Callable

from .gateway import build_event, result_to_http


class LocalContext:
    """The parts of Lambda's context object apps and lz read."""

    function_name = "lz-local"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:lz-local"
    memory_limit_in_mb = 512
    log_group_name = "/aws/lambda/lz-local"
    log_stream_name = "local"

    def __init__(self, request_id: str) -> None:
        self.aws_request_id = request_id

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def load_app(spec: str) -> Any:
    """Import "module:attr" (the `app` setting) from the current directory."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"app must look like 'package.module:app', got {spec!r}")
    if "" not in sys.path:
        sys.path.insert(0, "")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ValueError(f"module {module_name!r} has no attribute {attr!r}") from None


def gateway_app(handler: Callable[[dict, Any], Any], front: str, stage: str) -> Callable:
    """A WSGI app (for werkzeug's server) that forwards each request through `handler`."""
    from werkzeug.wrappers import Request as WRequest
    from werkzeug.wrappers import Response as WResponse

    prefix = "" if stage == "$default" else f"/{stage}"

    def app(environ: dict, start_response: Callable) -> Any:
        request = WRequest(environ)
        raw = environ.get("REQUEST_URI") or environ.get("RAW_URI") or request.full_path
        raw_path, _, raw_query = raw.partition("?")
        if prefix:
            if raw_path != prefix and not raw_path.startswith(prefix + "/"):
                response = WResponse(f"Not Found: this stage lives under {prefix}/\n", 404)
                return response(environ, start_response)
            raw_path = raw_path[len(prefix):] or "/"
        event = build_event(
            front,
            request.method,
            raw_path,
            raw_query,
            list(request.headers.items()),
            request.get_data(),
            request.remote_addr or "127.0.0.1",
            stage,
            request.scheme,
            int(environ.get("SERVER_PORT") or 80),
        )
        rid = event["requestContext"]["requestId"]
        status, headers, body = result_to_http(handler(event, LocalContext(rid)))
        response = WResponse(body, status)
        response.headers.clear()
        for name, value in headers:
            response.headers.add(name, value)
        return response(environ, start_response)

    return app


def serve(app_spec: str, front: str, stage: str, host: str, port: int, reload: bool) -> None:
    from werkzeug.serving import run_simple

    from lz.adapter import adapt

    handler = adapt(load_app(app_spec))
    wsgi = gateway_app(handler, front, stage)
    prefix = "" if stage == "$default" else f"/{stage}"
    print(f"lz serve: {app_spec} behind a local {front} on http://{host}:{port}{prefix}/", flush=True)
    run_simple(host, port, wsgi, use_reloader=reload, threaded=True)
