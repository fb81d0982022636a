"""`lz serve`: a local HTTP server whose every request goes through the real Lambda event path
(HTTP request -> the front's event -> the bundle's dispatcher -> proxy result -> HTTP response).

In-process (the default) it imports the app here, with the stage's environment, and reloads on code
changes; tasks run in threads (LZ_TASKS=thread unless set). `--bundle` builds the stage's zip and
runs it under the target Python through the local Lambda runtime instead: slower to start, but the
very code, dependencies and interpreter that Lambda will run.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Callable

from .gateway import build_event, result_to_http


class ServeError(Exception):
    """lz serve cannot start as asked; the message says why."""


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


def _run(handler: Callable[[dict, Any], Any], label: str, front: str, stage: str, host: str, port: int,
         reload: bool, extra_files: list[str] | None = None) -> None:
    from werkzeug.serving import run_simple

    prefix = "" if stage == "$default" else f"/{stage}"
    print(f"lz serve: {label} behind a local {front} on http://{host}:{port}{prefix}/", flush=True)
    run_simple(host, port, gateway_app(handler, front, stage), use_reloader=reload, threaded=True,
               extra_files=extra_files)


def _handler(app: Any) -> Callable[[dict, Any], Any]:
    from lz.adapter import adapt
    from lz.adapter.dispatch import Dispatcher

    # werkzeug already logs each request here: no structured request line on top
    return Dispatcher(adapt(app), request_log=False)


def serve_app(app_spec: str, front: str, stage: str, host: str, port: int, reload: bool) -> None:
    try:
        app = load_app(app_spec)
    except (ImportError, ValueError) as exc:
        raise ServeError(str(exc)) from None
    _run(_handler(app), app_spec, front, stage, host, port, reload)


def front_of(settings: Any, front: str | None, api_stage: str | None) -> tuple[str, str]:
    """The front to emulate and its API stage, as deploy would make them for this stage."""
    front = front or (settings.http if settings.http else "http_api")
    if api_stage is None:
        api_stage = settings.name if front == "rest_api" else "$default"
    return front, api_stage


def serve_stage(settings: Any, app_spec: str | None, front: str | None, api_stage: str | None,
                host: str, port: int, reload: bool) -> None:
    import os

    from ..invoke import local_environment

    os.environ.update(local_environment(settings))
    os.environ.setdefault("LZ_TASKS", "thread")  # tasks run off the request, as on Lambda
    sys.path.insert(0, str(settings.root))
    front, api_stage = front_of(settings, front, api_stage)
    spec = app_spec or settings.app
    try:
        app = load_app(spec)
    except (ImportError, ValueError) as exc:
        raise ServeError(f"cannot import {spec}: {exc}") from None
    _run(_handler(app), f"{settings.name} ({spec})", front, api_stage, host, port, reload,
         [str(settings.root / "lz_settings.json")])


def serve_bundle(settings: Any, front: str | None, api_stage: str | None, host: str, port: int) -> None:
    import threading

    from ..bundle import BuildError, DependencyError, build
    from ..invoke import local_environment
    from .runner import LocalFunction, LocalRuntimeError

    import os

    try:
        bundle = build(settings)
        # tasks run per LZ_TASKS (in a thread by default), not sent to a Lambda that is not there
        environment = {**local_environment(settings), "LZ_TASKS": os.environ.get("LZ_TASKS", "thread")}
        function = LocalFunction(bundle.path, settings.python_version, timeout=settings.timeout,
                                 environment=environment,
                                 name=settings.function_name)
    except (BuildError, DependencyError, LocalRuntimeError) as exc:
        raise ServeError(str(exc)) from None
    lock = threading.Lock()  # one execution environment: one invocation at a time, as on Lambda

    def handler(event: dict, context: Any) -> Any:
        with lock:
            invocation = function.invoke(event)
        for line in invocation.log:
            print(line, file=sys.stderr, flush=True)
        if not invocation.ok:
            return {"statusCode": 502, "headers": {"Content-Type": "text/plain"},
                    "body": f"lz serve --bundle: the function {invocation.describe()}\n"}
        return invocation.result

    front, api_stage = front_of(settings, front, api_stage)
    try:
        _run(handler, f"{settings.name} (bundle {bundle.path.name}, Python {settings.python_version})",
             front, api_stage, host, port, reload=False)
    finally:
        function.close()
