"""A workflow's Task state inside Lambda: run one registered @task and answer with its value.

The compiled state machine (lz/cli/workflow/) invokes the stage's function (alias `live`) with

    {"lz": "step", "workflow": "app.flows.process_upload", "name": "app.tasks.resize",
     "args": {"0": "a.png"}, "kwargs": {}, "catch": ["PaymentDeclined"]}

and the Dispatcher's "step" route calls `execute_step`. The answer is the task's return value
itself: the state machine stores it where the workflow's Python assigned it ($.locals.<name>).

- The name is looked up only through `names.resolve(name, ("task",))`: an event can run a @task
  this bundle registered or declared, nothing else (a @command, a workflow or any other dotted name
  is Unregistered, refused before anything is imported).
- `args` is positional (an object of "0", "1", ... as the compiler writes it, or a list), `kwargs`
  an object; both checked, since the event is untrusted.
- The value must be JSON and fit a state: Step Functions caps every state's input and output at
  256 KiB and fails an execution that crosses it with States.DataLimitExceeded, which no Catch can
  catch. A result over the cap is refused here, with an error naming the workflow, the task and the
  size, so the failure says what to change (store the data in S3, return its key).
- A failure is raised (Lambda reports its class name as the error, which the state's Retry and Catch
  match). `catch` lists the exception class names the workflow's handlers name, innermost first: if
  the exception is an instance of one of them (a subclass raised, its base caught), the error is
  reported under that name, so the Catch matches exactly what Python's `except` would.
"""

from __future__ import annotations

from ..adapter.log import log
from . import TASKS, TaskError
from .names import Unregistered, resolve

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

STATE_LIMIT = 262_144  # bytes (256 KiB), UTF-8: Step Functions' cap on a state's input and output
_MAX_CATCH = 64


def check_result(workflow: Any, task: Any, value: Any) -> Any:
    """`value` as the state machine will carry it (through JSON), or a TaskError saying why it
    cannot be carried: not JSON, or over the 256 KiB a state may hold."""
    import json

    try:
        text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise TaskError(f"task {task} (workflow {workflow}) returned a value that is not JSON "
                        f"({exc}): Step Functions carries JSON only; return ids, strings, numbers, "
                        "lists and dicts") from None
    size = len(text.encode())
    if size > STATE_LIMIT:
        raise TaskError(f"task {task} returned {size:,} bytes to workflow {workflow}: a Step "
                        f"Functions state holds at most {STATE_LIMIT:,} bytes (256 KiB); store the "
                        "data in S3 (or the task bucket) and return its key")
    return json.loads(text)


def _arguments(event: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    args, kwargs = event.get("args", []), event.get("kwargs", {})
    if isinstance(args, dict):
        keys = sorted(args, key=lambda k: int(k) if isinstance(k, str) and k.isdigit() else -1)
        if keys != [str(i) for i in range(len(keys))]:
            raise TaskError(f"malformed step: args must be a list or an object of \"0\", \"1\", ... "
                            f"(got keys {sorted(map(str, args))[:10]})")
        args = [args[k] for k in keys]
    if not isinstance(args, list):
        raise TaskError(f"malformed step: args must be a JSON list, got {type(args).__name__}")
    if not isinstance(kwargs, dict):
        raise TaskError(f"malformed step: kwargs must be a JSON object, got {type(kwargs).__name__}")
    return args, kwargs


def _catch(event: dict[str, Any]) -> list[str]:
    catch = event.get("catch", [])
    if not isinstance(catch, list) or len(catch) > _MAX_CATCH or not all(
            isinstance(n, str) and 0 < len(n) <= 256 for n in catch):
        raise TaskError(f"malformed step: catch must be a list of at most {_MAX_CATCH} exception "
                        "class names")
    return catch


def error_name(exc: BaseException, catch: list[str]) -> str:
    """The name a failure is reported under: the first of `catch` that names a class `exc` is an
    instance of (Python's `except` order), else its own class name."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    for name in catch:
        if name in names:
            return name
    return type(exc).__name__


def execute_step(event: dict[str, Any], rid: str) -> Any:
    """Run the task a step event names and return its value (see the module docstring)."""
    from .run import _call

    name, workflow = event.get("name"), event.get("workflow")
    try:
        func = resolve(name, ("task",))  # before anything else: an unknown name touches nothing
        args, kwargs = _arguments(event)
        catch = _catch(event)
    except (Unregistered, TaskError) as exc:
        log().error("lz: step %r of workflow %r refused (request_id=%s): %s", name, workflow, rid, exc)
        raise
    log().info("lz: step %s of workflow %s: start (request_id=%s)", name, workflow, rid)
    try:
        value = check_result(workflow, name, _call(TASKS.get(name), func, args, kwargs))
    except Exception as exc:
        log().exception("lz: step %s of workflow %s: failed (request_id=%s)", name, workflow, rid)
        reported = error_name(exc, catch)
        if reported == type(exc).__name__:
            raise
        # Lambda reports the class name as the error: one named as the workflow's handler is.
        raise type(reported, (Exception,), {"__module__": "lz.step"})(str(exc)) from exc
    log().info("lz: step %s of workflow %s: done (request_id=%s)", name, workflow, rid)
    return value
