"""ASGI front end: Request -> HTTP scope, run the app on one persistent loop, collect its Response.

One event loop lives for the whole execution environment, so clients and pools made during lifespan
startup keep working on every later request. Each request runs as a real asyncio Task, started
eagerly (Python 3.12+): an app that never waits on real I/O finishes inside the Task constructor,
without a trip through the loop's selector, which is most of what an ASGI adapter costs. An app that
does wait simply continues on the loop. On 3.11 every request goes through the loop.
"""

from __future__ import annotations

import _thread
import sys
TYPE_CHECKING = False  # importing typing costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any, Callable

from .codec import CACHEABLE, join_values, unquote_to_bytes
from .deadline import Deadline, budget, run_until
from .events import Request, Response
from .handler import Adapter, AppError
from .log import log

_EAGER = sys.version_info >= (3, 12)
_loop: Any = None
_Task: Any = None
_set_running_loop: Any = None


class LifespanFailure(RuntimeError):
    """The app's lifespan startup failed (or, with lifespan="on", is not supported)."""


def _get_loop() -> Any:
    """The execution environment's loop, made on first use (asyncio costs ~10 ms to import)."""
    global _loop, _Task, _set_running_loop
    if _loop is None:
        import asyncio

        _Task, _set_running_loop = asyncio.Task, asyncio._set_running_loop

        class _LambdaLoop(asyncio.SelectorEventLoop):
            # True while a request's first step runs inside Task(..., eager_start=True): the loop
            # is then running in every sense that matters (it is the running loop of this thread
            # and owns the task), except that no selector iteration is under way.
            _lz_inline = False

            def is_running(self) -> bool:
                return self._lz_inline or super().is_running()

        _loop = _LambdaLoop()
    return _loop


_FOREVER: Any = object()


def run_coroutine(coro: Any, context: Any = _FOREVER) -> Any:
    """Run `coro` to completion on the environment's loop, inline when it never waits.

    With a Lambda `context`, work that waits on the loop is cancelled a little before Lambda's
    own deadline (deadline.Deadline is raised then); without one it runs to its end.
    """
    loop = _loop or _get_loop()
    if _EAGER:
        loop._lz_inline = True
        _set_running_loop(loop)
        try:
            task = _Task(coro, loop=loop, eager_start=True)
        finally:
            loop._lz_inline = False
            _set_running_loop(None)
        if task.done():
            if loop._ready:
                # The app scheduled callbacks (e.g. create_task without awaiting): give them the
                # turn of the loop they would have had under a server.
                loop.run_until_complete(_noop())
            return task.result()
    else:
        task = loop.create_task(coro)
    if context is _FOREVER:
        return loop.run_until_complete(task)
    try:
        return run_until(loop, task, budget(context))
    except BaseException:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved here: the caller answers for it (no "never retrieved")
        raise


async def _noop() -> None:
    return None


_PAIRS: dict[tuple[str, str], tuple[bytes, bytes]] = {}


def _header_pair(item: tuple[str, str]) -> tuple[bytes, bytes]:
    """(lowercase name, value) as ASGI bytes, remembered: most header pairs (Accept, Host, the
    CloudFront and X-Forwarded ones...) recur request after request. Bounded, since some don't.
    TypeError for a pair that is not text (the caller then skips it)."""
    name, value = item
    if type(value) is not str or type(name) is not str:
        raise TypeError
    pair = (name.lower().encode("latin-1", "replace"), _latin1(value))
    if len(name) + len(value) <= CACHEABLE:  # client-chosen: bounded in entries and in bytes
        if len(_PAIRS) >= 2048:
            _PAIRS.clear()
        _PAIRS[item] = pair
    return pair


def _joined(name: str, values: Any) -> tuple[bytes, bytes]:
    """The pair of a header a multi-value event repeats, its values joined (RFC 9110; cookies
    with '; '); ValueError when none of them is text (the careful loop then skips it)."""
    value = join_values(name, values)
    if value is None:
        raise ValueError
    item = (name, value)
    return _PAIRS[item] if item in _PAIRS else _header_pair(item)


def _latin1(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


_SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": None,
    "http_version": "1.1",
    "method": "GET",
    "scheme": "https",
    "path": "/",
    "raw_path": b"/",
    "query_string": b"",
    "root_path": "",
    "headers": None,
    "client": None,
    "server": None,
    "aws.event": None,
    "aws.context": None,
}


def build_scope(request: Request, state: dict[str, Any] | None) -> dict[str, Any]:
    scope = _SCOPE.copy()
    scope["asgi"] = {"version": "3.0", "spec_version": "2.4"}  # the app's own: it may change it
    raw = request.path
    path = raw
    if "%" in raw or not raw.isascii():
        path = unquote_to_bytes(raw).decode("utf-8", "replace")
    root = request.script_name
    pairs = _PAIRS
    items = request.headers.items()
    try:  # the common case: every pair already known, one comprehension of subscripts
        if request.multi:  # a list per name, nearly always of one; a repeated header is joined
            headers = [pairs[name, values[0]] if len(values) == 1 else _joined(name, values)
                       for name, values in items]
        else:
            headers = [pairs[item] for item in items]
    except (KeyError, TypeError, ValueError):  # a pair not seen yet, a repeated header, not text
        headers = []
        for name, value in items:
            if type(value) is list:
                if len(value) == 1:
                    value = value[0]
                else:  # repeated: joined (RFC 9110; cookies with '; ')
                    value = join_values(name, value)
                    if value is None:
                        continue
            try:
                item = (name, value)
                headers.append(pairs[item] if item in pairs else _header_pair(item))
            except TypeError:
                continue
    if request.cookie is not None:
        headers.append((b"cookie", _latin1(request.cookie)))
    scope["headers"] = headers
    scope["method"] = request.method
    if request.scheme != "https":
        scope["scheme"] = request.scheme
    # `path` includes `root_path`, as the ASGI spec now says and Starlette/Django expect.
    if root:
        scope["root_path"] = root
        scope["path"] = root + path
        scope["raw_path"] = (root + raw).encode("utf-8", "surrogatepass")
    else:
        scope["path"] = path
        scope["raw_path"] = raw.encode("utf-8", "surrogatepass")
    query = request.query
    if query:
        scope["query_string"] = query.encode("latin-1") if query.isascii() else _latin1(query)
    client = request.client
    if client:
        scope["client"] = (client, 0)
    scope["server"] = (request.host, request.port)
    scope["aws.event"] = request.event
    scope["aws.context"] = request.context
    if state is not None:
        scope["state"] = state.copy()
    return scope


# A response header pair as the app sent it -> the same pair as text. Apps send the same pairs
# (content-type, server...) on every response; bounded, since some (content-length) vary.
_DECODED: dict[tuple[bytes, bytes], tuple[str, str]] = {}


def _decoded(pair: tuple[bytes, bytes]) -> tuple[str, str]:
    name, value = pair
    text = (name.decode("latin-1"), value.decode("latin-1"))
    if len(name) + len(value) <= CACHEABLE:  # an app may reflect a client's values: bounded
        if len(_DECODED) >= 1024:
            _DECODED.clear()
        _DECODED[pair] = text
    return text


class _Cycle(Response):
    """One request/response exchange, and the Response it ends as: what receive() hands out, what
    send() collected (one object per request instead of two)."""

    def __init__(self, body: bytes) -> None:
        self.pending: bytes | None = body  # the request body, until receive() hands it out
        self.status: int | None = None  # type: ignore[assignment]
        self.chunks: list[bytes] = []
        self.complete = False
        self.waiter: Any = None
        self.error: str | None = None

    async def receive(self) -> dict[str, Any]:
        body = self.pending
        if body is not None:
            self.pending = None
            return {"type": "http.request", "body": body, "more_body": False}
        if not self.complete:
            # The client is still "connected" until the response is complete (a streaming
            # response may be listening for disconnect meanwhile).
            if self.waiter is None:
                self.waiter = (_loop or _get_loop()).create_future()
            await self.waiter
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        try:
            kind = message["type"]
        except (KeyError, TypeError, IndexError):  # not a message at all: said below
            kind = None
        if kind == "http.response.body":
            if self.status is None:
                self._fail("sent http.response.body before http.response.start")
            if self.complete:
                self._fail("sent http.response.body after the response was complete")
            body = message.get("body", b"")
            if type(body) is not bytes:
                if not isinstance(body, (bytearray, memoryview)):
                    self._fail(f"sent a body of type {type(body).__name__}, expected bytes")
                body = bytes(body)
            if body:
                self.chunks.append(body)
            if not message.get("more_body", False):
                self.complete = True
                if self.waiter is not None and not self.waiter.done():
                    self.waiter.set_result(None)
        elif kind == "http.response.start":
            if self.status is not None:
                self._fail("sent http.response.start twice")
            status = message.get("status")
            if type(status) is not int or not 100 <= status <= 599:
                self._fail(f"sent status {status!r}, expected an int from 100 to 599")
            headers = message.get("headers") or ()
            decoded = _DECODED
            try:
                if type(headers) is not list:
                    headers = list(headers)  # it is read twice when a pair is new
                try:  # the common case: every pair seen before
                    self.headers = [decoded[pair] for pair in headers]
                except KeyError:
                    self.headers = [
                        decoded[pair] if pair in decoded else _decoded(pair) for pair in headers
                    ]
            except (TypeError, ValueError, AttributeError):  # lists, say: decoded one by one
                try:
                    self.headers = [
                        (name.decode("latin-1"), value.decode("latin-1")) for name, value in headers
                    ]
                except (TypeError, ValueError, AttributeError):
                    self._fail(f"sent headers {headers!r}, expected (bytes, bytes) pairs")
            self.status = status
        elif kind not in ("http.response.trailers", "http.response.debug"):
            self._fail(f"sent an unexpected message {kind!r}")

    def _fail(self, what: str) -> None:
        self.error = f"ASGI app {what}"
        raise AppError(self.error)


class ASGIAdapter(Adapter):
    """Serve an ASGI app from Lambda HTTP events: `handler = ASGIAdapter(app, lifespan="auto")`."""

    def __init__(self, app: Callable[..., Any], *, lifespan: str = "auto", **options: Any) -> None:
        if lifespan not in ("auto", "on", "off"):
            raise ValueError(f"lifespan must be 'auto', 'on' or 'off', not {lifespan!r}")
        super().__init__(app, **options)
        self.lifespan_mode = lifespan
        self.lifespan: Any = None
        self.state: dict[str, Any] | None = None
        self._started = lifespan == "off"
        self._lock = _thread.allocate_lock()

    def startup(self, context: Any = None) -> None:
        """Run lifespan startup now (it otherwise runs at the first invocation); idempotent.

        It must finish before Lambda's deadline (from `context`, else deadline.DEFAULT_BUDGET):
        a startup that never completes is cancelled and raises LifespanFailure."""
        if self._started:
            return
        from .lifespan import Lifespan

        lifespan = Lifespan(self.app, self.lifespan_mode == "on")
        supported = lifespan.startup(run_coroutine, budget(context))
        if supported:
            self.lifespan = lifespan
            self.state = lifespan.state
            import atexit

            atexit.register(self.shutdown)
        self._started = True

    def shutdown(self) -> None:
        """Run lifespan shutdown (registered with atexit; Lambda may freeze before it runs)."""
        lifespan, self.lifespan = self.lifespan, None
        if lifespan is not None:
            lifespan.shutdown(run_coroutine)

    def __call__(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        with self._lock:  # one loop: requests from several threads (lz serve) take turns
            if not self._started:
                self.startup(context)
            return Adapter.__call__(self, event, context)  # cheaper than super() per request

    def run(self, request: Request) -> Response:
        cycle = _Cycle(request.body)
        try:
            run_coroutine(
                self.app(build_scope(request, self.state), cycle.receive, cycle.send),
                request.context,
            )
        except Deadline as exc:
            return _cut_off(cycle, request, exc)
        except BaseException:  # CancelledError, SystemExit too: answered, never fatal
            if not cycle.complete or cycle.error:
                raise
            # The whole response was out before the app failed, as a server would have sent it.
            log().exception("lz: ASGI app raised after its response was complete")
        finally:
            if cycle.waiter is not None and not cycle.waiter.done():
                cycle.waiter.cancel()
        if cycle.error:
            raise AppError(cycle.error)
        if cycle.status is None:
            raise AppError("ASGI app returned without sending http.response.start")
        if not cycle.complete:
            log().warning("lz: ASGI app returned before finishing its response body; sent what it had")
        chunks = cycle.chunks
        cycle.body = b"".join(chunks)  # one chunk: join returns it, no copy
        return cycle


    def stream(self, request: Request, out: Any) -> Response | None:
        """As run(), but a body sent with more_body goes out as the app sends it (asgi_stream)."""
        from .asgi_stream import stream

        return stream(self, request, out)


def _cut_off(cycle: _Cycle, request: Request, exc: Deadline) -> Response:
    """The answer when the app was cancelled at its deadline: its response if that was complete
    (a server would have sent it already), else a 504 before Lambda's own timeout."""
    from .handler import error_response
    from .log import request_id

    where = f"request_id={request_id(request.context)}, {request.method} {request.path}"
    if cycle.complete and not cycle.error and cycle.status is not None:
        log().warning(
            "lz: ASGI app was still running %.1f s into the request, after its response was "
            "complete (%s); cancelled it to return before Lambda's timeout. Work it did after "
            "the response (background tasks) was cut off.", exc.seconds, where,
        )
        cycle.body = b"".join(cycle.chunks)
        return cycle
    log().error(
        "lz: ASGI app did not finish its response within %.1f s (%s); cancelled it and answered "
        "504 before Lambda's timeout. Give the function a longer timeout, or make it answer "
        "sooner.", exc.seconds, where,
    )
    return error_response(504, "Gateway Timeout: the app did not answer in time")
