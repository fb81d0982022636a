"""ASGI lifespan as a small state machine: idle -> starting -> started | unsupported | failed,
then started -> stopping -> stopped. Startup runs once per execution environment.

The app's lifespan coroutine stays suspended on the environment's loop between invocations, waiting
for the shutdown message, exactly as it would under a server that never restarts.
"""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any, Callable

from .log import log


class Lifespan:
    def __init__(self, app: Callable[..., Any], required: bool) -> None:
        self.app = app
        self.required = required
        self.state: dict[str, Any] = {}
        self.phase = "idle"
        self.failure: str | None = None
        self._inbox: Any = None
        self._started: Any = None
        self._stopped: Any = None
        self._task: Any = None

    async def _receive(self) -> dict[str, Any]:
        return await self._inbox.get()

    async def _send(self, message: dict[str, Any]) -> None:
        kind = message.get("type") if type(message) is dict else None
        if kind in ("lifespan.startup.complete", "lifespan.startup.failed"):
            if kind.endswith("failed"):
                self.failure = message.get("message") or "no message given"
                self.phase = "failed"
            else:
                self.phase = "started"
            if not self._started.done():
                self._started.set_result(None)
        elif kind in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
            if kind.endswith("failed"):
                log().error("lz: lifespan shutdown failed: %s", message.get("message", ""))
            self.phase = "stopped"
            if not self._stopped.done():
                self._stopped.set_result(None)
        else:
            # ASGI spec (Error Handling): a message the server does not expect raises out of
            # send. During startup it also ends the wait for startup, which would otherwise
            # hang every invocation: "auto" takes lifespan as unsupported, "on" fails.
            what = f"the app sent {kind!r} instead of a lifespan message"
            if self.phase == "starting":
                self.phase = "unsupported"
                self.failure = what
                if not self.required:
                    log().warning("lz: ASGI lifespan startup: %s; continuing without lifespan "
                                  "(lifespan='auto')", what)
                if not self._started.done():
                    self._started.set_result(None)
            raise RuntimeError(f"lz: unexpected ASGI lifespan message: {what}")

    async def _main(self) -> None:
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        try:
            await self.app(scope, self._receive, self._send)
        except BaseException as exc:
            if self.phase == "starting":
                self.phase = "unsupported"
                self.failure = f"{type(exc).__name__}: {exc}"
                if self.required:
                    log().exception("lz: the app's lifespan raised during startup")
                else:  # often an app that does not speak lifespan; but it may be a real failure
                    log().warning("lz: the app's lifespan raised during startup; continuing "
                                  "without lifespan (lifespan='auto')", exc_info=True)
            elif self.phase == "started":
                log().exception("lz: the app's lifespan raised")
            if not isinstance(exc, Exception):
                raise
        finally:
            if self.phase == "starting":
                self.phase = "unsupported"
                self.failure = self.failure or "the app returned without answering lifespan.startup"
            for future in (self._started, self._stopped):
                if future is not None and not future.done():
                    future.set_result(None)

    async def _startup(self, seconds: float | None) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        self._inbox = asyncio.Queue()
        self._started = loop.create_future()
        self._stopped = loop.create_future()
        self.phase = "starting"
        self._task = loop.create_task(self._main())
        await self._inbox.put({"type": "lifespan.startup"})
        try:
            await asyncio.wait_for(asyncio.shield(self._started), seconds)
        except asyncio.TimeoutError:
            self.phase = "failed"
            self.failure = (f"it did not complete within {seconds:.1f} s (cancelled before "
                            "Lambda's timeout)")
            log().error("lz: ASGI lifespan startup %s", self.failure)
            self._task.cancel()

    def startup(self, run: Callable[[Any], Any], seconds: float | None = None) -> bool:
        """Run startup to its end, or for at most `seconds`; True when the app speaks lifespan,
        raise where it failed (or did not finish in time)."""
        from .asgi import LifespanFailure

        run(self._startup(seconds))
        if self.phase == "started":
            return True
        if self.phase == "failed":
            raise LifespanFailure(f"ASGI lifespan startup failed: {self.failure}")
        if self.required:
            raise LifespanFailure(
                f"lifespan='on' but the app does not support lifespan ({self.failure}); "
                "use lifespan='auto' or 'off'"
            )
        log().debug("lz: app does not support ASGI lifespan (%s); continuing", self.failure)
        return False

    async def _shutdown(self) -> None:
        import asyncio

        if self.phase != "started" or self._task.done():
            return
        self.phase = "stopping"
        await self._inbox.put({"type": "lifespan.shutdown"})
        try:
            await asyncio.wait_for(asyncio.shield(self._stopped), 10)
        except asyncio.TimeoutError:
            log().error("lz: lifespan shutdown did not finish within 10 s")

    def shutdown(self, run: Callable[[Any], Any]) -> None:
        run(self._shutdown())
