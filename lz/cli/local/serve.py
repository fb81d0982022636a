"""`lz serve`: a local HTTP server whose every request goes through the real Lambda event path
(HTTP request -> the front's event -> the bundle's dispatcher -> proxy result -> HTTP response).

In-process (the default) it imports the app here, with the stage's environment, and reloads on code
changes; tasks run in threads (LZ_TASKS=thread unless set); every request runs in a thread of its
own under the stage's timeout (see inprocess.py). `--bundle` builds the stage's zip and runs it under
the target Python through the local Lambda runtime instead: slower to start, but the very code,
dependencies and interpreter that Lambda will run.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

from .appload import AppLoadError, failed_app, load_app
from .front import gateway_app, run
from .hints import websocket_note, websocket_routes
from .inprocess import LocalContext, adapter_for, timed
from .limits import FRONT_NAMES, FRONT_TIMEOUTS

__all__ = ["LocalContext", "ServeError", "front_of", "load_app", "serve_app", "serve_bundle",
           "serve_stage"]


class ServeError(Exception):
    """lz serve cannot start as asked; the message says why."""


def _say(message: str) -> None:
    print(f"lz serve: {message}", file=sys.stderr, flush=True)


def _reloader_child() -> bool:
    return os.environ.get("WERKZEUG_RUN_MAIN") == "true"


def _banner(label: str, front: str, stage: str, host: str, port: int, reload: bool) -> None:
    if reload and _reloader_child():
        return  # the watching parent said it; the child restarts on every save
    prefix = "" if stage == "$default" else f"/{stage}"
    print(f"lz serve: {label} behind a local {front} on http://{host}:{port}{prefix}/", flush=True)


def _app_handler(spec: str, where: str, root: str | None, options: dict[str, Any],
                 reload: bool, static: Callable[[], Any] | None = None) -> Callable:
    """The dispatcher for the imported app; under the reloader, an app that fails to import is
    reported and answered 500 until the next save instead of ending the server."""
    from lz.runtime.dispatch import Dispatcher

    if ":" not in spec or spec.startswith(":") or spec.endswith(":"):
        raise ServeError(f"app must look like 'package.module:app', got {spec!r}")
    if reload and not _reloader_child():
        return failed_app("(the watching process never serves)")  # the reloader's child imports it
    try:
        app = load_app(spec, where, root)
        if static is not None:
            app = _with_static(app, static)
        try:
            adapter = adapter_for(app, options)
        except (TypeError, ValueError) as exc:
            raise AppLoadError(f"the stage's \"adapter\" settings do not fit this app: {exc}") from None
    except AppLoadError as exc:
        if not reload:
            raise ServeError(str(exc)) from None
        _say(f"{exc}\n(watching for changes: save a fix to reload)")
        return failed_app(str(exc))
    routes = websocket_routes(app)
    if routes:
        websocket_note(f"the app declares WebSocket routes ({', '.join(routes)})")
    # werkzeug already logs each request here: no structured request line on top
    return Dispatcher(adapter, request_log=False)


def _with_static(app: Any, collect: Callable[[], Any]) -> Any:
    """The app behind its static files, collected as a build collects them (bundle/static.py), into
    the same folder, and served by the same code as in the bundle (lz/adapter/static.py)."""
    from lz.adapter.static import serve_static

    from ..bundle.errors import BuildError

    try:
        found = collect()
    except BuildError as exc:
        raise AppLoadError(f"the static files could not be collected: {exc}") from None
    if found is None:
        return app
    _say(found.describe())
    return serve_static(app, str(found.folder), found.url, django=found.source == "collectstatic")


def _streams(stream: bool, front: str) -> bool:
    """Whether responses stream: the stage says so and the front can (others buffer, as on AWS)."""
    from ..settings import STREAMING_FRONTS

    if stream and front not in STREAMING_FRONTS:
        _say(f"the stage streams, but {FRONT_NAMES[front]} cannot: responses are buffered here, as "
             "they would be behind it")
    return stream and front in STREAMING_FRONTS


def _serve_in_process(spec: str, where: str, root: str | None, label: str, options: dict[str, Any],
                      front: str, stage: str, host: str, port: int, reload: bool, timeout: float,
                      function_name: str = "lz-local", memory: int = 512,
                      extra_files: list[str] | None = None, stream: bool = False,
                      static: Callable[[], Any] | None = None) -> None:
    dispatcher = _app_handler(spec, where, root, options, reload, static)
    if _streams(stream, front):
        from .streaming import stream_in_process

        def handler(event: dict, context: Any) -> Any:
            return stream_in_process(dispatcher, event, context, timeout, _what(event))

        label += ", responses streamed"
    else:
        handler = timed(dispatcher, timeout, FRONT_TIMEOUTS[front], FRONT_NAMES[front])

    def context_for(request_id: str) -> LocalContext:
        return LocalContext(request_id, timeout, function_name, memory)

    _banner(label, front, stage, host, port, reload)
    run(gateway_app(handler, front, stage, context_for), front, host, port, reload, extra_files)


def serve_app(app_spec: str, front: str, stage: str, host: str, port: int, reload: bool) -> None:
    """`lz serve --app module:attr`: no settings, so lz's default 30 s timeout."""
    _serve_in_process(app_spec, "", None, app_spec, {}, front, stage, host, port, reload, timeout=30)


def front_of(settings: Any, front: str | None, api_stage: str | None) -> tuple[str, str]:
    """The front to emulate and its API stage, as deploy would make them for this stage."""
    front = front or (settings.http if settings.http else "http_api")
    if api_stage is None:
        api_stage = settings.name if front == "rest_api" else "$default"
    return front, api_stage


def serve_stage(settings: Any, app_spec: str | None, front: str | None, api_stage: str | None,
                host: str, port: int, reload: bool, env_file: Any = None) -> None:
    from ..bundle.static import collect_in_process
    from ..invoke import local_environment

    os.environ.update(local_environment(settings))
    os.environ.update(_secrets(settings, env_file))
    os.environ.setdefault("LZ_TASKS", "thread")  # tasks run off the request, as on Lambda
    front, api_stage = front_of(settings, front, api_stage)
    spec = app_spec or settings.app
    _serve_in_process(spec, f" (stage {settings.name})", str(settings.root), f"{settings.name} ({spec})",
                      dict(settings.adapter or {}), front, api_stage, host, port, reload,
                      settings.timeout, settings.function_name, settings.memory,
                      [str(settings.root / "lz_settings.json")], settings.stream,
                      lambda: collect_in_process(settings))


def _what(event: dict) -> str:
    from .inprocess import _describe

    return _describe(event)


def _secrets(settings: Any, env_file: Any) -> dict[str, str]:
    """The stage's secrets, read as the function reads them (local/secrets.py)."""
    from .secrets import LocalSecretsError, local_secrets

    try:
        return local_secrets(settings, env_file)
    except LocalSecretsError as exc:
        raise ServeError(str(exc)) from None


def serve_bundle(settings: Any, front: str | None, api_stage: str | None, host: str, port: int,
                 env_file: Any = None) -> None:
    import signal

    from ..bundle import BuildError, DependencyError, build
    from ..deploy.models import stream_environment
    from ..invoke import local_environment
    from .bundlefiles import LAMBDA_NAMES, host_machine
    from .runner import LocalFunction, LocalRuntimeError

    mine = LAMBDA_NAMES.get(host_machine(), host_machine())
    if settings.architecture != mine:
        _say(f"stage {settings.name} is built for {settings.architecture} and this machine is {mine}: "
             "pure Python runs either way, native code only on its own CPU (checked after the build)")
    front, api_stage = front_of(settings, front, api_stage)
    streaming = _streams(settings.stream, front)
    try:
        bundle = build(*served_locally(settings))
        # tasks run per LZ_TASKS (in a thread by default), not sent to a Lambda that is not there
        environment = {**local_environment(settings), **stream_environment(streaming),
                       "LZ_TASKS": os.environ.get("LZ_TASKS", "thread"), **_secrets(settings, env_file)}
        if streaming:
            _loop_shipped(bundle.path)
        function = LocalFunction(bundle.path, settings.python_version, timeout=settings.timeout,
                                 environment=environment, name=settings.function_name,
                                 architecture=settings.architecture)
    except (BuildError, DependencyError, LocalRuntimeError) as exc:
        raise ServeError(str(exc)) from None
    handler: Callable = bundle_handler(function, streaming)
    front_timeout = FRONT_TIMEOUTS[front]
    if not streaming and front_timeout is not None and front_timeout < settings.timeout:
        # the function's own timeout is the local runtime's; the front gives up sooner (504)
        handler = timed(handler, settings.timeout, front_timeout, FRONT_NAMES[front])

    def context_for(request_id: str) -> LocalContext:
        return LocalContext(request_id, settings.timeout, settings.function_name, settings.memory)

    streamed = ", responses streamed" if streaming else ""
    _banner(f"{settings.name} (bundle {bundle.path.name}, Python {settings.python_version}{streamed})",
            front, api_stage, host, port, reload=False)
    # SIGTERM (a terminal closed, a supervisor stopping it) ends the server like Ctrl-C does, so
    # the function process and its unzipped bundle go with it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        run(gateway_app(handler, front, api_stage, context_for), front, host, port, reload=False)
    finally:
        function.close()


def served_locally(settings: Any) -> tuple[Any, Any]:
    """(settings, output) of the bundle `lz serve --bundle` runs: a stage whose static files go to
    S3 at deploy ships them here instead (no bucket locally, LZ_STATIC_URL unset, so the app links
    its own STATIC_URL), in a zip of its own so that the deploy's bundle is never this one."""
    import dataclasses

    static = settings.static
    if not (isinstance(static, dict) and "bucket" in static):
        return settings, None
    local = {k: v for k, v in static.items() if k != "bucket"} or True
    _say("the stage's static files go to S3 at deploy; here the bundle ships and serves them")
    output = settings.root / ".lz" / f"{settings.project}-{settings.name}-serve.zip"
    return dataclasses.replace(settings, static=local), output


def _loop_shipped(bundle: Any) -> None:
    """A streaming stage runs lz's loop through the bundle's exec wrapper: say so if it is not in
    the bundle (as lz deploy refuses it), rather than fail every request."""
    from ..deploy.limits import missing_loop

    missing = missing_loop(bundle)
    if missing:
        raise ServeError(f'the stage streams ("stream": true), which runs lz\'s runtime loop through '
                         f"the bundle's exec wrapper, and {bundle.name} {missing}: rebuild it with "
                         'this version of lz, or serve with "stream": false')


def bundle_handler(function: Any, streaming: bool) -> Callable:
    """The gateway's handler for a local function (runner.LocalFunction): one invocation at a
    time, as one execution environment takes them; a streamed response goes to the client as the
    function sends it, and the next invocation waits for its end."""
    import threading

    lock = threading.Lock()

    def answer(invocation: Any) -> Any:
        for line in invocation.log:
            print(line, file=sys.stderr, flush=True)
        if not invocation.ok:
            return {"statusCode": 502, "headers": {"Content-Type": "text/plain"},
                    "body": f"lz serve --bundle: the function {invocation.describe()}\n"}
        return invocation.result

    def invoke(event: dict, context: Any) -> Any:
        if not streaming:
            with lock:
                return answer(function.invoke(event))
        from .streaming import stream_from_bundle

        lock.acquire()
        try:
            started = function.invoke_stream(event)
            streamed = stream_from_bundle(started, _what(event), lock.release)
        except BaseException:
            lock.release()
            raise
        if streamed is not None:
            return streamed  # the lock goes when the stream ends
        try:
            return answer(started.finish())
        finally:
            lock.release()

    return invoke
