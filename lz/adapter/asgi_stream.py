"""Streamed responses of ASGI apps: each http.response.body sent with more_body goes out as it
comes (FastAPI/Starlette StreamingResponse, sse-starlette's EventSourceResponse), through the
invocation's stream (see streaming.py). A response sent in one message stays whole. After the
client went away, receive() says http.disconnect and send() raises OSError, as ASGI servers do
(spec 2.4), so that the app stops producing.
"""

from __future__ import annotations

from .asgi import ASGIAdapter, _cut_off, _Cycle, build_scope, run_coroutine
from .deadline import Deadline
from .events import AppError, Request, Response
from .log import log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


class _StreamCycle(_Cycle):
    """A _Cycle whose body goes out through `out` (streaming.Outgoing) as the app sends it: the
    prelude with the first body message that says more is coming; a response sent in one message
    stays whole. After the client went away, receive() says http.disconnect and send() raises
    OSError, as ASGI servers do (spec 2.4)."""

    def __init__(self, body: bytes, out: Any) -> None:
        super().__init__(body)
        self.out = out
        self.gone = False

    async def send(self, message: dict[str, Any]) -> None:
        out = self.out
        if self.gone:
            raise OSError("the client went away")
        if out.stream is None:
            await _Cycle.send(self, message)
            if self.chunks and not self.complete and self.status is not None:
                self._out(out.start, self.status, self.headers)  # more is coming: stream it
                chunks, self.chunks = self.chunks, []
                for chunk in chunks:
                    self._out(out.write, chunk)
            return
        if message.get("type") != "http.response.body":
            return await _Cycle.send(self, message)
        if self.complete:
            self._fail("sent http.response.body after the response was complete")
        body = message.get("body", b"")
        if body:
            self._out(out.write, body)
        if not message.get("more_body", False):
            self.complete = True
            self._wake()

    def _out(self, step: Any, *args: Any) -> None:
        from .streaming import ClientGone

        try:
            step(*args)
        except ClientGone:
            self.gone = True
            self._wake()
            raise OSError("the client went away") from None

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def receive(self) -> dict[str, Any]:
        if self.gone:
            return {"type": "http.disconnect"}
        return await _Cycle.receive(self)


def stream(adapter: ASGIAdapter, request: Request, out: Any,
           execute: Callable[[Any, Request], Any] | None = None) -> Response | None:
    """As ASGIAdapter.run(), but a body sent with more_body goes out through `out` as it comes.
    `execute(coroutine, request)` runs the app (default: on the environment's loop, cancelled
    at the context's deadline with deadline.Deadline)."""
    cycle = _StreamCycle(request.body, out)
    try:
        (execute or _execute)(
            adapter.app(build_scope(request, adapter.state), cycle.receive, cycle.send), request)
    except Deadline as exc:
        if out.stream is None:
            return _cut_off(cycle, request, exc)
        raise  # after the first byte: the error goes into the trailers
    except BaseException:
        if cycle.gone:
            out.left()
            return None
        if out.stream is None and cycle.complete and not cycle.error:
            log().exception("lz: ASGI app raised after its response was complete")
        else:
            raise
    finally:
        if cycle.waiter is not None and not cycle.waiter.done():
            cycle.waiter.cancel()
    if cycle.gone:
        out.left()
        return None
    if out.stream is not None:
        if cycle.error:
            raise AppError(cycle.error)
        if not cycle.complete:
            log().warning("lz: ASGI app returned before finishing its streamed body; ended it")
        out.close()
        return None
    if cycle.error:
        raise AppError(cycle.error)
    if cycle.status is None:
        raise AppError("ASGI app returned without sending http.response.start")
    cycle.body = b"".join(cycle.chunks)
    return cycle


def _execute(coroutine: Any, request: Request) -> Any:
    return run_coroutine(coroutine, request.context)
