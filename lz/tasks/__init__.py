"""Work off the request path: @task, @schedule, and S3/SQS/SNS handlers, all kept in one registry.

Runtime code (ships in every bundle): standard library only, cheap to import (the app imports it at
cold start). boto3 is imported the first time a task is sent to Lambda, never before.

    @task
    def send_welcome(user_id: int): ...

    send_welcome(42)        # on Lambda: async invocation of this function's alias `live`
    send_welcome.run(42)    # always inline, returns the value

Where a task runs is chosen by LZ_TASKS: "inline" (default off Lambda), "thread", or "remote:STAGE"
(send to a deployed stage); on Lambda, tasks are sent to the function itself. Every mode returns a
TaskHandle, so code behaves the same on and off Lambda.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # importing typing costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any, Callable

ASYNC_PAYLOAD_LIMIT = 1_048_576  # Lambda's limit for an asynchronous invocation's payload

TASKS: dict[str, "Task"] = {}
SCHEDULES: list[dict[str, Any]] = []
SCHEDULED: dict[str, Callable[..., Any]] = {}  # name -> function, for the schedule route
SOURCES: list[dict[str, Any]] = []
COMMANDS: dict[str, Callable[..., Any]] = {}  # @command: what `lz invoke STAGE name` may run


class TaskError(Exception):
    """A task cannot be sent as called; the message says why and what to do."""


def _name(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


class TaskHandle:
    """What calling a task returns, in every mode: its id, and its result where it ran here."""

    __slots__ = ("id", "name", "mode", "_result", "_error", "_thread")

    def __init__(self, id: str, name: str, mode: str) -> None:
        self.id = id
        self.name = name
        self.mode = mode
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread: Any = None

    @property
    def result(self) -> Any:
        """The return value (inline: at once; thread: waits). Sent tasks have none here."""
        if self._thread is not None:
            self._thread.join()
        if self.mode.startswith(("lambda", "remote")):
            raise TaskError(f"task {self.name} ({self.id}) ran in Lambda: its result is not returned "
                            "here; store it where the caller can find it")
        if self._error is not None:
            raise self._error
        return self._result

    def __repr__(self) -> str:
        return f"<TaskHandle {self.name} id={self.id} mode={self.mode}>"


class Task:
    """A function that runs in the background when called (see the module docstring).

    retries: how many times lz sends the task again after it raised (same id, attempt + 1), on top
    of whatever Lambda's own MaximumRetryAttempts (settings `tasks.retries`, default 0) does.
    max_age: seconds after which a task still waiting to run is dropped (logged), not run late.
    timeout: seconds one run may take before it is stopped with TaskTimeout (main thread only).
    queue: send through the stage's SQS task queue instead of an async invocation.
    """

    def __init__(self, func: Callable[..., Any], retries: int = 0, max_age: int | None = None,
                 timeout: float | None = None, queue: bool = False) -> None:
        self.func = func
        self.name = _name(func)
        self.retries = retries
        self.max_age = max_age
        self.timeout = timeout
        self.queue = queue
        self.__doc__ = func.__doc__
        self.__wrapped__ = func
        TASKS[self.name] = self

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Run now, here, and return the value."""
        return self.func(*args, **kwargs)

    def payload(self, args: tuple, kwargs: dict, task_id: str, attempt: int = 0) -> bytes:
        """The JSON sent to Lambda; checked here so that every mode fails the same way."""
        import json
        import time

        message = {"lz": "task", "id": task_id, "name": self.name, "args": list(args),
                   "kwargs": kwargs, "sent": round(time.time(), 3)}
        if attempt:
            message["attempt"] = attempt
        try:
            # allow_nan=False: NaN and Infinity are not JSON, and the receiving side would refuse them
            data = json.dumps(message, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TaskError(
                f"task {self.name} was called with an argument that is not JSON ({exc}): pass ids, "
                "strings and numbers (not NaN or Infinity), and load objects inside the task"
            ) from None
        except RecursionError:
            raise TaskError(
                f"task {self.name} was called with arguments nested too deeply (or referring to "
                "themselves) to send as JSON: pass an id and load the data inside the task"
            ) from None
        body = data.encode()
        if len(body) > ASYNC_PAYLOAD_LIMIT and not os.environ.get("LZ_TASK_BUCKET"):
            raise TaskError(
                f"task {self.name}'s arguments are {len(body):,} bytes, over Lambda's "
                f"{ASYNC_PAYLOAD_LIMIT:,}-byte limit for async invocations: put the data in S3 and "
                'pass its key, or set "task_bucket" in lz_settings.json to let lz do it'
            )
        return body

    def __call__(self, *args: Any, **kwargs: Any) -> TaskHandle:
        import uuid

        task_id = uuid.uuid4().hex
        mode = _mode()
        body = self.payload(args, kwargs, task_id)  # same checks in every mode
        handle = TaskHandle(task_id, self.name, mode)
        if mode == "inline":
            _log("task %s %s: start (inline)", self.name, task_id)
            try:
                handle._result = self.func(*args, **kwargs)
            except Exception as exc:
                handle._error = exc
                _log("task %s %s: failed (inline): %r", self.name, task_id, exc)
        elif mode == "thread":
            import threading

            def work() -> None:
                try:
                    handle._result = self.func(*args, **kwargs)
                except Exception as exc:  # kept for .result; logged like a Lambda failure
                    handle._error = exc
                    _log("task %s %s: failed (thread): %r", self.name, task_id, exc)

            handle._thread = threading.Thread(target=work, name=f"lz-task-{task_id}", daemon=True)
            handle._thread.start()
        else:
            from .transport import send

            send(self, task_id, body, mode)
        return handle


def _mode() -> str:
    mode = os.environ.get("LZ_TASKS")
    if mode:
        if mode in ("inline", "thread") or mode.startswith("remote:"):
            return mode
        raise TaskError(f"LZ_TASKS={mode!r}: use inline, thread or remote:STAGE")
    return "lambda" if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") else "inline"


def _log(message: str, *args: Any) -> None:
    from ..adapter.log import log

    log().info(message, *args)


def task(func: Callable[..., Any] | None = None, *, retries: int = 0, max_age: int | None = None,
         timeout: float | None = None, queue: bool = False) -> Any:
    """Make `func` a background task: `@task`, or `@task(retries=1, max_age=3600, queue=True)`."""
    if func is None:
        return lambda f: Task(f, retries, max_age, timeout, queue)
    return Task(func, retries, max_age, timeout, queue)


def schedule(*expressions: str, input: dict | None = None, enabled: bool = True) -> Any:
    """Run the function on a schedule: `@schedule("rate(10 minutes)", "cron(0 3 * * ? *)")`."""
    if not expressions:
        raise TypeError('schedule needs at least one expression, e.g. "rate(10 minutes)"')
    for expression in expressions:
        if not (expression.startswith(("rate(", "cron(")) and expression.endswith(")")):
            raise ValueError(f"{expression!r} is not an EventBridge schedule: use rate(...) or cron(...)")

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        SCHEDULES.append({"function": _name(func), "expressions": list(expressions),
                          "input": input, "enabled": enabled, "callable": func})
        SCHEDULED[_name(func)] = func.func if isinstance(func, Task) else func
        return func

    return register


def _resolve(name: str) -> str:
    """"${VAR}" names the bucket/queue/topic through the stage's environment (one per stage)."""
    if name.startswith("${") and name.endswith("}"):
        return os.environ.get(name[2:-1], name)
    return name


def _source(kind: str, **config: Any) -> Any:
    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        SOURCES.append({"kind": kind, "function": _name(func), "callable": func, **config})
        return func

    return register


def on_s3(bucket: str, events: list[str] | None = None, prefix: str = "", suffix: str = "") -> Any:
    """Handle S3 notifications of `bucket` ("name", or "${VAR}" read from the stage's environment):
    the function gets one record at a time."""
    return _source("s3", bucket=_resolve(bucket), events=events or ["s3:ObjectCreated:*"], prefix=prefix,
                   suffix=suffix)


def on_sqs(queue: str, batch_size: int = 10) -> Any:
    """Handle messages of SQS `queue` one at a time; failures are reported per message."""
    return _source("sqs", queue=_resolve(queue), batch_size=batch_size)


def on_sns(topic: str) -> Any:
    """Handle notifications of SNS `topic`: the function gets one record at a time."""
    return _source("sns", topic=_resolve(topic))


def command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Let operators run `func` with `lz invoke STAGE module.func`: only @task and @command
    functions can be invoked by name (anything else is raw code, behind `allow_raw_invoke`)."""
    COMMANDS[_name(func)] = func.func if isinstance(func, Task) else func
    return func
