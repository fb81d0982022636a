"""Running a task payload inside Lambda: find the task, skip what already ran or is too old, run it
under its timeout, and on failure either send it again (its own `retries`) or raise, so that
Lambda's retries and on-failure destination see it.

Async invocations are delivered at least once: a payload seen again in the same execution
environment (same id and attempt) is skipped and logged, which stops the common case of a duplicate
run. Tasks that must never run twice across environments still need to be idempotent.
"""

from __future__ import annotations

import os
import time

from ..adapter.log import log
from . import TASKS, Task, TaskError
from .names import Unregistered, resolve

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_DONE: dict[tuple[str, int], None] = {}  # insertion-ordered: the oldest entries go first
_REMEMBER = 1000


class TaskTimeout(TaskError):
    """A task ran longer than its `timeout`."""


def _remember(key: tuple[str, int]) -> None:
    _DONE[key] = None
    if len(_DONE) > _REMEMBER:
        del _DONE[next(iter(_DONE))]


def _call(task: Task | None, func: Any, args: list, kwargs: dict) -> Any:
    timeout = task.timeout if task is not None else None
    import threading

    if not timeout or threading.current_thread() is not threading.main_thread():
        return func(*args, **kwargs)
    import signal

    def expire(signum: int, frame: Any) -> None:
        raise TaskTimeout(f"task {task.name} ran longer than its timeout of {timeout} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return func(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _arguments(event: dict[str, Any]) -> tuple[list, dict[str, Any], int]:
    """args, kwargs and attempt of a task payload, checked: the event is untrusted input."""
    args, kwargs, attempt = event.get("args", []), event.get("kwargs", {}), event.get("attempt", 0)
    if not isinstance(args, list):
        raise TaskError(f"malformed task payload: args must be a JSON list, got {type(args).__name__}")
    if not isinstance(kwargs, dict):
        raise TaskError(f"malformed task payload: kwargs must be a JSON object, got {type(kwargs).__name__}")
    if type(attempt) is not int or attempt < 0:
        raise TaskError(f"malformed task payload: attempt must be a whole number >= 0, got {attempt!r}")
    return args, kwargs, attempt


def execute(event: dict[str, Any], rid: str) -> dict[str, Any]:
    """Run the task an lz task payload names; the result says what happened."""
    from .transport import forget, receive, send

    name, task_id = event.get("name"), str(event.get("id"))
    try:
        func = resolve(name, ("task",))  # before anything else: an unknown name touches nothing
        event = receive(event)
        args, kwargs, attempt = _arguments(event)
    except (Unregistered, TaskError) as exc:
        # Raised after logging: Lambda's on-failure destination (or the task queue's DLQ) keeps the
        # payload, so nothing is lost.
        log().error("lz: task %r %s refused (request_id=%s): %s", name, task_id, rid, exc)
        raise
    task = TASKS.get(name)
    done = {"task": name, "id": task_id}
    if (task_id, attempt) in _DONE:
        log().warning("lz: task %s %s: attempt %d already ran here, duplicate delivery skipped "
                      "(request_id=%s)", name, task_id, attempt, rid)
        return {**done, "skipped": "duplicate"}
    sent = event.get("sent")
    if task is not None and task.max_age and isinstance(sent, (int, float)) \
            and time.time() - sent > task.max_age:
        log().warning("lz: task %s %s: dropped, waited %.0f s, over its max_age of %s s (request_id=%s)",
                      name, task_id, time.time() - sent, task.max_age, rid)
        forget(event)
        return {**done, "skipped": "max_age"}
    log().info("lz: task %s %s: start (request_id=%s)", name, task_id, rid)
    try:
        _call(task, func, args, kwargs)
    except Exception:
        # Logged with the id; then sent again (the task's own retries) or raised, so that Lambda's
        # retries and the on-failure destination see it.
        log().exception("lz: task %s %s: failed, attempt %d (request_id=%s)", name, task_id, attempt, rid)
        if task is not None and attempt < task.retries and os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
            body = task.payload(tuple(args), kwargs, task_id, attempt + 1)
            send(task, task_id, body, "lambda")
            _remember((task_id, attempt))  # handed on: a duplicate of this attempt must not resend
            log().info("lz: task %s %s: sent again, attempt %d of %d", name, task_id, attempt + 1,
                       task.retries)
            return {**done, "retry": attempt + 1}
        raise  # not remembered: Lambda's (or SQS's) own retry of this attempt must run it again
    _remember((task_id, attempt))
    forget(event)
    log().info("lz: task %s %s: done (request_id=%s)", name, task_id, rid)
    return done
