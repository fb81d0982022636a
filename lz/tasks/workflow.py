"""Workflows: a chain of @task calls written as plain Python, run on AWS Step Functions.

    @workflow
    def process_upload(key: str, sizes: list[int]) -> dict:
        small = resize(key)
        thumbs = [thumbnail(small, s) for s in sizes]
        return {"key": small, "thumbs": thumbs}

    process_upload("a.png", [64])        # plain Python: the tasks run here, inline, in order
    process_upload.start("a.png", [64])  # on Lambda (or LZ_TASKS=remote:STAGE): a Step Functions
                                         # execution; locally: the same call in a thread

`lz package`/`lz deploy` read the body with `ast` (lz/cli/workflow/) and compile it into a state
machine; the body is never run to trace it. Calling the workflow runs the very same body, with each
@task call returning the task's value (not a TaskHandle) and behaving as the compiled Task state
does: arguments and results go through JSON, the task's `retries` and `timeout` apply, its result
must fit a Step Functions state (256 KiB), and a failure surfaces as `StepFailed`, a TaskError that
is also an instance of the task's own exception class, so `except TaskError` and `except
ValueError` catch here what the state machine's Catch catches there.

Runtime code: standard library only, cheap to import; boto3 only inside `start()` on Lambda.
"""

from __future__ import annotations

import os

from . import Task, TaskError, _log, _mode, _name
from .steps import STATE_LIMIT

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

WORKFLOWS: dict[str, "Workflow"] = {}


class WorkflowError(Exception):
    """Raise it in a workflow to fail the run with a message (compiled to a Fail state whose error
    is "WorkflowError" and whose cause is the message)."""

    error = "WorkflowError"

    @property
    def cause(self) -> str:
        return str(self)


class StepFailed(TaskError):
    """A task called by a workflow failed. `error` is the task's exception class name, `cause` its
    message (str()); the object is also an instance of that class. (On Step Functions, a subclass
    caught by a handler of its base reports the base's name as `e.error`: the name the Catch matched.)"""

    error: str = "TaskError"
    cause: str = ""
    task: str = ""

    def __str__(self) -> str:
        return self.cause


_FAILED_CLASSES: dict[type, type] = {}


def step_failed(exc: BaseException, task: str) -> StepFailed:
    """`exc` (raised by a task) as the StepFailed the workflow sees: of a class deriving from both
    StepFailed and type(exc), so handlers for either catch it, with `.error` and `.cause` set."""
    kind = type(exc)
    try:
        cls = _FAILED_CLASSES.get(kind)
        if cls is None:
            cls = _FAILED_CLASSES[kind] = type(kind.__name__, (StepFailed, kind),
                                               {"__module__": kind.__module__})
        try:
            failed = BaseException.__new__(cls)  # no __init__: the class's arguments are unknown
        except TypeError:  # OSError and its kind have a __new__ of their own
            failed = kind.__new__(cls, *exc.args)
        failed.args = exc.args
        failed.__dict__.update(getattr(exc, "__dict__", {}))
    except TypeError:  # a class that cannot be combined (layout, final) or created this way
        failed = StepFailed.__new__(StepFailed)
        failed.args = exc.args
    failed.error = kind.__name__
    failed.cause = str(exc)
    failed.task = task
    return failed


def _json(value: Any, what: str) -> tuple[Any, int]:
    """(`value` as it comes back out of JSON, its size in bytes): what the state machine would
    carry (tuples are lists, keys strings). Not JSON (NaN, Infinity, too deep) is a TaskError."""
    import json

    try:
        text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise TaskError(f"{what} is not JSON ({exc}): Step Functions carries JSON only; pass ids, "
                        "strings, numbers, lists and dicts") from None
    return json.loads(text), len(text.encode())


class _Step:
    """A @task as a workflow's body sees it: called, it runs the task here and returns its value,
    as the compiled Task state would (same checks, same retries, failures as StepFailed)."""

    __slots__ = ("task", "workflow")

    def __init__(self, task: Task, workflow: str) -> None:
        self.task = task
        self.workflow = workflow

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .run import _call
        from .steps import check_result

        task = self.task
        (args, kwargs), _size = _json([list(args), kwargs], f"an argument of task {task.name}")
        error: BaseException | None = None
        for attempt in range(task.retries + 1):
            try:
                return check_result(self.workflow, task.name, _call(task, task.func, args, kwargs))
            except Exception as exc:  # every failure is retried, as Retry on States.ALL does
                error = exc
                _log("workflow %s: task %s failed, attempt %d of %d: %r", self.workflow, task.name,
                     attempt + 1, task.retries + 1, exc)
        assert error is not None
        raise step_failed(error, task.name) from error

    def __repr__(self) -> str:
        return f"<step {self.task.name} of workflow {self.workflow}>"


class _Globals(dict):
    """The globals a workflow's body runs with: its module's own, looked up on every use (so names
    defined after the workflow, or changed later, are seen), except that each @task is a _Step."""

    def __init__(self, module: dict[str, Any], workflow: str) -> None:
        super().__init__(__builtins__=module.get("__builtins__", __builtins__), __name__=module.get("__name__"))
        self.module = module
        self.workflow = workflow
        self.steps: dict[int, _Step] = {}

    def __missing__(self, key: str) -> Any:
        value = self.module[key]  # a KeyError here sends the lookup on to the builtins
        if isinstance(value, Task):
            step = self.steps.get(id(value))
            if step is None or step.task is not value:
                step = self.steps[id(value)] = _Step(value, self.workflow)
            return step
        return value


class WorkflowHandle:
    """What `start()` returns: the execution's name and ARN (on Step Functions), or, locally, the
    thread running it; `result` waits for a local run and returns its value or raises its error."""

    __slots__ = ("name", "workflow", "mode", "arn", "_result", "_error", "_thread")

    def __init__(self, name: str, workflow: str, mode: str, arn: str | None = None) -> None:
        self.name = name
        self.workflow = workflow
        self.mode = mode
        self.arn = arn
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread: Any = None

    @property
    def result(self) -> Any:
        if self.arn is not None:
            raise TaskError(f"workflow {self.workflow} runs on Step Functions ({self.arn}): its "
                            "output is there (lz workflow show STAGE EXECUTION), not here")
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result

    def __repr__(self) -> str:
        return f"<WorkflowHandle {self.workflow} {self.arn or self.name} mode={self.mode}>"


class Workflow:
    """A function compiled into a state machine (see the module docstring).

    max_concurrency: how many iterations of each of its loops (Map states) run at once on Step
    Functions (default: as many as Step Functions allows); run as Python, loops run in order.
    """

    def __init__(self, func: Callable[..., Any], max_concurrency: int | None = None) -> None:
        if max_concurrency is not None and (type(max_concurrency) is not int or max_concurrency < 0):
            raise TypeError(f"@workflow(max_concurrency={max_concurrency!r}): a whole number >= 0")
        self.func = func
        self.name = _name(func)
        self.short_name = func.__name__
        self.max_concurrency = max_concurrency
        self.__doc__ = func.__doc__
        self.__wrapped__ = func
        self._body: Callable[..., Any] | None = None
        WORKFLOWS[self.name] = self

    def _inline(self) -> Callable[..., Any]:
        body = self._body
        if body is None:
            from types import FunctionType

            func = self.func
            body = FunctionType(func.__code__, _Globals(func.__globals__, self.name), func.__name__,
                                func.__defaults__, func.__closure__)
            body.__kwdefaults__ = func.__kwdefaults__
            self._body = body
        return body

    def execution_input(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The arguments bound to the parameters' names, defaults filled in, as JSON: the input of
        a Step Functions execution (and what the body gets when run as Python)."""
        import inspect

        try:
            bound = inspect.signature(self.func).bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"workflow {self.name}: {exc}") from None
        bound.apply_defaults()
        value, size = _json(dict(bound.arguments), f"an argument of workflow {self.name}")
        if size > STATE_LIMIT:
            raise TaskError(f"workflow {self.name}'s input is {size:,} bytes, over Step Functions' "
                            f"{STATE_LIMIT:,}-byte limit for an execution's input: put the data in "
                            "S3 and pass its key")
        return value

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the workflow here as plain Python; the tasks run inline. Returns its value as JSON
        gives it back (what the execution's output would be)."""
        arguments = self.execution_input(*args, **kwargs)
        value, size = _json(self._inline()(**arguments), f"the value workflow {self.name} returned")
        if size > STATE_LIMIT:
            raise TaskError(f"workflow {self.name} returned {size:,} bytes, over Step Functions' "
                            f"{STATE_LIMIT:,}-byte limit for an execution's output: return a key")
        return value

    def start(self, *args: Any, **kwargs: Any) -> WorkflowHandle:
        """Start a run: on Lambda (or with LZ_TASKS=remote:STAGE) an execution of the stage's state
        machine; elsewhere the same call in a thread. Returns at once with a WorkflowHandle."""
        import uuid

        arguments = self.execution_input(*args, **kwargs)
        mode = _mode()
        name = uuid.uuid4().hex
        if mode in ("inline", "thread"):
            return self._start_thread(name, arguments)
        import json

        from .transport import _client

        arn = machine_arn(self.short_name, mode)
        started = _client("stepfunctions").start_execution(
            stateMachineArn=arn, name=name, input=json.dumps(arguments, separators=(",", ":")))
        _log("workflow %s: started %s", self.name, started["executionArn"])
        return WorkflowHandle(name, self.name, mode, started["executionArn"])

    def _start_thread(self, name: str, arguments: dict[str, Any]) -> WorkflowHandle:
        import threading

        handle = WorkflowHandle(name, self.name, "thread")

        def work() -> None:
            try:
                handle._result = self(**arguments)
            except Exception as exc:  # kept for .result; logged as a failed execution would be
                handle._error = exc
                _log("workflow %s %s: failed (thread): %r", self.name, name, exc)

        handle._thread = threading.Thread(target=work, name=f"lz-workflow-{name}", daemon=True)
        handle._thread.start()
        return handle

    def __repr__(self) -> str:
        return f"<workflow {self.name}>"


_ARN_PREFIX: dict[str, str] = {}


def machine_arn(workflow: str, mode: str) -> str:
    """The ARN of the stage's state machine for `workflow`: LZ_WORKFLOW_ARN_PREFIX + name when the
    deploy set it, else built from the function's name, the region and the account (one STS call,
    remembered): arn:<partition>:states:<region>:<account>:stateMachine:<function>-<workflow>."""
    prefix = os.environ.get("LZ_WORKFLOW_ARN_PREFIX")
    if prefix:
        return prefix + workflow
    from .transport import _client, _function

    function = _function(mode)
    prefix = _ARN_PREFIX.get(function)
    if prefix is None:
        sts = _client("sts")
        account = sts.get_caller_identity()["Account"]
        region = sts.meta.region_name
        partition = sts.meta.partition
        prefix = _ARN_PREFIX[function] = f"arn:{partition}:states:{region}:{account}:stateMachine:{function}-"
    return prefix + workflow


def workflow(func: Callable[..., Any] | None = None, *, max_concurrency: int | None = None) -> Any:
    """Make `func` a workflow: `@workflow`, or `@workflow(max_concurrency=10)`."""
    if func is None:
        return lambda f: Workflow(f, max_concurrency)
    return Workflow(func, max_concurrency)


def parallel(*branches: Callable[[], Any]) -> list[Any]:
    """Run each branch (a `lambda:` calling one task) and return their values in order: a Parallel
    state on Step Functions, where they run at once; here, one after the other."""
    for branch in branches:
        if not callable(branch):
            raise TypeError(f"parallel() takes functions (write `lambda: task(...)`), got {branch!r}")
    return [branch() for branch in branches]


def wait(seconds: int | None = None, until: str | None = None) -> None:
    """Pause the workflow: `wait(seconds=3600)` or `wait(until="2030-01-01T00:00:00Z")` (a Wait
    state). Run as Python it sleeps, unless LZ_WORKFLOW_WAITS=skip (for tests)."""
    import time

    if (seconds is None) == (until is None):
        raise TypeError("wait() takes seconds=N or until=TIMESTAMP, one of the two")
    if seconds is not None:
        if type(seconds) is not int or seconds < 0:
            raise TypeError(f"wait(seconds={seconds!r}): a whole number of seconds >= 0")
        delay = float(seconds)
    else:
        from datetime import datetime, timezone

        try:
            moment = datetime.fromisoformat(str(until).replace("Z", "+00:00"))
        except ValueError:
            raise TypeError(f"wait(until={until!r}): an ISO 8601 timestamp such as "
                            '"2030-01-01T00:00:00Z"') from None
        if moment.tzinfo is None:
            raise TypeError(f"wait(until={until!r}): give the time zone (e.g. a final Z for UTC), "
                            "as Step Functions requires")
        delay = max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())
    if os.environ.get("LZ_WORKFLOW_WAITS") != "skip" and delay:
        time.sleep(delay)
