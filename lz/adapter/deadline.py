"""Deadlines for ASGI work that waits on the loop: a request, and lifespan startup.

Lambda stops an invocation that runs past its timeout and answers the front with an error of its
own, and whatever the app had already finished is lost. So work that has to wait on the loop gets a
deadline a little short of Lambda's (context.get_remaining_time_in_millis(), less a margin to
answer in): at the deadline it is cancelled and the caller answers with what it has, a finished
response or a 504, and a log line that says what was cut off.

Only the slow path comes here: a request whose app never waits on real I/O finishes inside the
Task constructor (asgi.run_coroutine) and costs nothing extra.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Seconds kept back from Lambda's own deadline to cancel the app, encode and return the answer
# (at most a quarter of what is left, for very short timeouts).
MARGIN = 0.5
# The budget when there is no Lambda context (a direct call, a local runner without one).
DEFAULT_BUDGET = 60.0
# How long a cancelled task gets to run its finally blocks before it is left behind.
UNWIND = 0.1


class Deadline(Exception):
    """The work was still running at its deadline and has been cancelled."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"still running after {seconds:.1f} s; cancelled before Lambda's timeout")
        self.seconds = seconds


def budget(context: Any) -> float:
    """Seconds the work may take: Lambda's remaining time less the margin, or DEFAULT_BUDGET
    when there is no usable context."""
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if remaining_ms is None:
        return DEFAULT_BUDGET
    try:
        remaining = remaining_ms() / 1000
    except Exception:  # a context object that is not Lambda's: do not fail the request on it
        return DEFAULT_BUDGET
    if remaining != remaining or remaining < 0:  # NaN, or already past
        return 0.0
    return max(0.0, remaining - min(MARGIN, remaining / 4))


def run_until(loop: Any, task: Any, seconds: float) -> Any:
    """Run the loop until `task` is done or `seconds` have passed; then its result, or Deadline
    after cancelling it (it gets UNWIND seconds to run its finally blocks)."""
    if not task.done():
        waiter = loop.create_future()

        def wake(_: Any = None) -> None:
            if not waiter.done():
                waiter.set_result(None)

        task.add_done_callback(wake)
        timer = loop.call_later(seconds, wake)
        try:
            loop.run_until_complete(waiter)
        finally:
            timer.cancel()
            task.remove_done_callback(wake)
        if not task.done():
            task.cancel()
            import asyncio

            loop.run_until_complete(asyncio.wait([task], timeout=UNWIND))
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: it was cut off, which the caller logs
            raise Deadline(seconds)
    return task.result()
