"""In-process `lz serve`: the stage's timeout on every request, and no request waiting for another.

Lambda runs one request per execution environment and scales out for concurrency. A local server is
one process, so here every request runs in a thread of its own: WSGI apps in that thread, ASGI apps
as a task on one event loop that runs for the whole process in a thread of its own (as under uvicorn;
lifespan state and pools made at startup keep working). The Lambda runtime's own ASGIAdapter runs
requests one at a time on the calling thread, which is right on Lambda and wrong here: a request
that never ends would hold every later one.

An ASGI request is cancelled a little before the stage's `timeout`, as lz's adapter does on Lambda:
its response if complete, else a 504. A WSGI request cannot be stopped from outside: past the
timeout the client gets the 502 Lambda's fronts (and `lz serve --bundle`) give when a function times
out, and its thread is left to finish, its result dropped, with a log line that says so. A front
whose integration timeout is shorter than the stage's answers 504 at that point, as on AWS.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from typing import Any, Callable

from lz.adapter import adapt, is_asgi
from lz.adapter.asgi import ASGIAdapter
from lz.adapter.handler import Adapter, error_response

Handler = Callable[[dict, Any], Any]


class LocalContext:
    """The parts of Lambda's context object apps and lz read, with a real deadline."""

    function_version = "$LATEST"
    log_stream_name = "local"

    def __init__(self, request_id: str, timeout: float = 30.0, function_name: str = "lz-local",
                 memory: int = 512) -> None:
        self.aws_request_id = request_id
        self.function_name = function_name
        self.memory_limit_in_mb = memory
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _say(message: str) -> None:
    print(f"lz serve: {message}", file=sys.stderr, flush=True)


def _describe(event: dict) -> str:
    http = (event.get("requestContext") or {}).get("http") or {}
    method = http.get("method") or event.get("httpMethod") or "?"
    return f"{method} {event.get('rawPath') or event.get('path') or '?'}"


def call_with_deadline(handler: Handler, event: dict, context: Any, seconds: float) -> tuple[str, Any]:
    """Run `handler(event, context)` in a thread of its own and wait at most `seconds`.

    ("result", value), ("error", exception) or ("timeout", None); a timed-out call keeps running.
    """
    outcome: list[tuple[str, Any]] = []
    finished = threading.Event()

    def work() -> None:
        try:
            outcome.append(("result", handler(event, context)))
        except BaseException as exc:  # the function failed: Lambda reports it, the process lives
            outcome.append(("error", exc))
        finally:
            finished.set()

    threading.Thread(target=work, daemon=True, name=f"lz-request-{context.aws_request_id[:8]}").start()
    if not finished.wait(seconds):
        return "timeout", None
    return outcome[0]


def timed(handler: Handler, timeout: float, front_timeout: float | None,
          front_name: str) -> Handler:
    """`handler` under the stage's `timeout` and the front's own integration timeout."""
    limit = timeout if front_timeout is None else min(timeout, front_timeout)

    def run(event: dict, context: Any) -> Any:
        kind, value = call_with_deadline(handler, event, context, limit)
        if kind == "result":
            return value
        what = _describe(event)
        if kind == "error":
            _say(f"{what}: the function raised (Lambda reports an error; the front answers 502):\n"
                 + "".join(traceback.format_exception(value)).rstrip())
            return _text(502, f"Bad Gateway: the function raised {type(value).__name__}: {value}")
        if limit < timeout:
            _say(f"{what}: no answer within {front_name}'s {limit:g} s integration timeout: answered "
                 f"504, as the front would (the function itself may run {timeout:g} s)")
            return _text(504, f"Gateway Timeout: {front_name} waits {limit:g} s for the function")
        _say(f"{what}: timed out after {timeout:g} s (the stage's \"timeout\"): answered 502, as "
             "Lambda's fronts do. Lambda would stop the function here: an ASGI request's task is "
             "cancelled, a WSGI request's thread cannot be stopped and runs on, its result dropped. "
             "Raise \"timeout\" in lz_settings.json or find what blocks.")
        return _text(502, f"Bad Gateway: the function timed out after {timeout:g} s")

    return run


def _text(status: int, message: str) -> dict:
    return {"statusCode": status, "headers": {"Content-Type": "text/plain; charset=utf-8"},
            "body": message + "\n"}


class ConcurrentASGI(ASGIAdapter):
    """ASGIAdapter whose requests run side by side on one event loop in a thread of its own.

    Lifespan startup runs on that loop first, through the runtime adapter's own code, so state and
    pools made there belong to the loop every request then uses.
    """

    def __init__(self, app: Callable[..., Any], **options: Any) -> None:
        super().__init__(app, **options)
        self._loop: Any = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def _main(self) -> None:
        from lz.adapter import asgi

        loop = self._loop = asgi._loop or asgi._get_loop()
        try:
            self.startup()  # runs the loop here, until lifespan startup is over
        except BaseException as exc:
            self._startup_error = exc
        finally:
            self._ready.set()
        loop.run_forever()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._main, daemon=True, name="lz-asgi-loop")
                self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise self._startup_error

    def __call__(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        self._start()
        return Adapter.__call__(self, event, context)

    def run(self, request: Any) -> Any:
        """As ASGIAdapter.run, but on the loop's thread, waiting only for this request's task.

        Like the Lambda path (lz.adapter.deadline), the task is cancelled a little before the
        context's deadline: a complete response is still sent, an incomplete one becomes a 504.
        """
        import asyncio
        import concurrent.futures

        from lz.adapter.asgi import AppError, _Cycle, build_scope
        from lz.adapter.deadline import budget
        from lz.adapter.log import log

        cycle = _Cycle(request.body)
        scope = build_scope(request, self.state)
        timed_out: list[bool] = []

        async def exchange() -> None:
            try:
                await self.app(scope, cycle.receive, cycle.send)
            except (asyncio.CancelledError, KeyboardInterrupt, SystemExit) as exc:
                if timed_out:
                    raise
                # raised by the app itself: a 500 for this request; the loop and server go on
                raise RuntimeError(f"the ASGI app raised {type(exc).__name__}") from exc
            finally:
                if cycle.waiter is not None and not cycle.waiter.done():
                    cycle.waiter.cancel()

        future = asyncio.run_coroutine_threadsafe(exchange(), self._loop)
        seconds = budget(request.context)
        try:
            future.result(timeout=seconds)
        except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
            timed_out.append(True)
            future.cancel()  # the task gets CancelledError at its next await
            where = f"{request.method} {request.path}"
            if cycle.complete and not cycle.error and cycle.status is not None:
                log().warning("lz: ASGI app still running %.1f s into %s, after its response was "
                              "complete; cancelled it, sent the response", seconds, where)
                cycle.body = b"".join(cycle.chunks)
                return cycle
            log().error("lz: ASGI app did not finish its response to %s within %.1f s; cancelled "
                        "it and answered 504 before Lambda's timeout", where, seconds)
            return error_response(504, "Gateway Timeout: the app did not answer in time")
        except Exception:
            if not cycle.complete or cycle.error:
                raise
            log().exception("lz: ASGI app raised after its response was complete")
        if cycle.error:
            raise AppError(cycle.error)
        if cycle.status is None:
            raise AppError("ASGI app returned without sending http.response.start")
        if not cycle.complete:
            log().warning("lz: ASGI app returned before finishing its response body; sent what it had")
        cycle.body = b"".join(cycle.chunks)
        return cycle

    def stream(self, request: Any, out: Any) -> Any:
        """As ASGIAdapter.stream (a streamed body goes out as the app sends it), the app running
        on the loop's thread; cancelled at the context's deadline like run()."""
        from lz.adapter.asgi_stream import stream

        return stream(self, request, out, self._on_loop)

    def _on_loop(self, coroutine: Any, request: Any) -> Any:
        import asyncio
        import concurrent.futures

        from lz.adapter.deadline import Deadline, budget

        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        seconds = budget(request.context)
        try:
            return future.result(timeout=seconds)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise Deadline(seconds) from None

    def shutdown(self) -> None:
        """Lifespan shutdown on the loop's own thread (at exit)."""
        import asyncio

        lifespan, self.lifespan = self.lifespan, None
        loop = self._loop
        if lifespan is None or loop is None or not loop.is_running():
            return
        lifespan.shutdown(lambda coro: asyncio.run_coroutine_threadsafe(coro, loop).result(15))


def adapter_for(app: Any, options: dict[str, Any]) -> Handler:
    """The runtime adapter for `app` with the stage's `adapter` options; ASGI apps concurrent."""
    options = dict(options)
    interface = options.pop("interface", "auto")
    if interface == "asgi" or (interface == "auto" and is_asgi(app)):
        return ConcurrentASGI(app, **options)
    return adapt(app, interface=interface, **options)
