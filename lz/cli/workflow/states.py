"""The states one Python construct becomes: a task call, a computed value, a wait, a caught error.

A Task state invokes the stage's function (the `${FunctionArn}` placeholder, filled with the ARN of
the alias `live` at deploy) with the step payload lz/tasks/steps.py runs. Its Retry is the task's
own `@task(retries=N)` (any error, 1 s doubling, as lz retries tasks) behind a retrier for Lambda's
transient service errors, as AWS recommends for every Lambda Task state ("Handle Lambda service
exceptions", Step Functions developer guide, best practices). Its TimeoutSeconds is
one second over the task's `timeout`, so the task's own timeout (raised in Lambda as TaskTimeout,
the same error Python raises) fires first and Step Functions' is the backstop.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any

from .errors import source
from .expressions import value
from .symbols import TaskInfo
from .values import Const, Intrinsic, Path, Scope, Template, Value, field, local_path, render

FUNCTION_ARN = "${FunctionArn}"
# "Handle Lambda service exceptions", Step Functions developer guide (bp-lambda-serviceexception):
# the transient errors AWS says to retry, with its interval, attempts and backoff.
LAMBDA_TRANSIENT = ["Lambda.ClientExecutionTimeoutException", "Lambda.ServiceException",
                    "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"]
ERROR_PATH = "$.lz.err"  # where a Catch puts {"Error", "Cause"}
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def link(state: dict[str, Any], nxt: str | None) -> dict[str, Any]:
    """`state` going on to `nxt`, or ending its scope (None)."""
    if nxt is None:
        state["End"] = True
    else:
        state["Next"] = nxt
    return state


def result_path(state: dict[str, Any], path: str | None) -> dict[str, Any]:
    """Where a state writes its result: "$" (replace: the scope's output), a local, or nowhere."""
    if path != "$":
        state["ResultPath"] = path
    return state


def check_call(info: TaskInfo, call: ast.Call, scope: Scope) -> None:
    """The arguments bind to the task's parameters, as Python would bind them."""
    params = info.args
    if params is None:
        return
    positional = [a.arg for a in params.posonlyargs + params.args]
    named = {a.arg for a in params.args + params.kwonlyargs}
    given = len(call.args)
    short = info.name.rsplit(".", 1)[-1]
    if given > len(positional) and params.vararg is None:
        raise scope.error(call, f"`{source(call)}`:", f"{short}() takes {len(positional)} positional "
                          f"arguments but {given} were given ({info.origin})")
    bound = set(positional[:given])
    for keyword in call.keywords:
        if keyword.arg not in named and params.kwarg is None:
            raise scope.error(call, f"`{source(call)}`:", f"{short}() has no parameter {keyword.arg!r} "
                              f"({info.origin})")
        bound.add(keyword.arg)
    required = positional[: len(positional) - len(params.defaults)]
    required += [a.arg for a, d in zip(params.kwonlyargs, params.kw_defaults) if d is None]
    missing = [name for name in required if name not in bound]
    if missing:
        raise scope.error(call, f"`{source(call)}`:", f"{short}() misses {', '.join(missing)} "
                          f"({info.origin})")


def task(info: TaskInfo, call: ast.Call, scope: Scope, catch_names: tuple[str, ...],
         catches: list[dict[str, Any]], rp: str | None, nxt: str | None) -> dict[str, Any]:
    """The Task state of one task call."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        raise scope.error(call, f"`{source(call)}`: * and ** in a task call", "cannot be compiled; "
                          "pass each argument by name")
    check_call(info, call, scope)
    args = dict(field(str(i), value(a, scope)) for i, a in enumerate(call.args))
    kwargs = dict(field(k.arg, value(k.value, scope)) for k in call.keywords)  # type: ignore[arg-type]
    payload: dict[str, Any] = {"lz": "step", "workflow": scope.workflow, "name": info.name,
                               "args": args, "kwargs": kwargs}
    if catch_names:
        payload["catch"] = list(catch_names)
    retry = [{"ErrorEquals": LAMBDA_TRANSIENT, "IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": 2.0}]
    if info.retries:
        retry.append({"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": info.retries,
                      "BackoffRate": 2.0})
    state: dict[str, Any] = {"Type": "Task", "Resource": FUNCTION_ARN, "Parameters": payload, "Retry": retry}
    if info.timeout:
        state["TimeoutSeconds"] = math.ceil(info.timeout) + 1
    result_path(state, rp)
    if catches:
        state["Catch"] = catches
    return link(state, nxt)


def computed(v: Value, rp: str | None, nxt: str | None) -> list[dict[str, Any]]:
    """Pass states that write a computed value to `rp` (the last one links to `nxt`)."""
    if isinstance(v, Const):
        state = {"Type": "Pass", "InputPath": "$.lz.nil"} if v.value is None else {"Type": "Pass", "Result": v.value}
    elif isinstance(v, Path):
        state = {"Type": "Pass", "InputPath": v.path}
    elif isinstance(v, Template):
        state = {"Type": "Pass", "Parameters": render(v)}
    else:
        assert isinstance(v, Intrinsic)
        if rp == "$":
            return [link({"Type": "Pass", "Parameters": {"v.$": v.text}, "OutputPath": "$.v"}, nxt)]
        return [{"Type": "Pass", "Parameters": {"v.$": v.text}, "ResultPath": "$.lz.v"},
                link({"Type": "Pass", "InputPath": "$.lz.v.v", "ResultPath": rp}, nxt)]
    return [link(result_path(state, rp), nxt)]


def landing(bind: str, target: str) -> dict[str, dict[str, Any]]:
    """States that turn a caught error ($.lz.err: {"Error", "Cause"}) into the local `bind`:
    {"error": <name>, "cause": <message>}. A Lambda error's Cause is the function's error JSON,
    whose errorMessage is str() of the exception, as StepFailed.cause is in Python."""
    cause = f"{ERROR_PATH}.Cause"
    has_cause = [{"Variable": cause, "IsPresent": True}, {"Variable": cause, "IsString": True}]
    keep = local_path(bind)
    return {
        "choice": {"Type": "Choice", "Choices": [
            {"And": [*has_cause, {"Variable": cause, "StringMatches": '{"errorMessage"*'}], "Next": "@parse"},
            {"And": has_cause, "Next": "@plain"}], "Default": "@bare"},
        "parse": {"Type": "Pass", "Parameters": {"error.$": f"{ERROR_PATH}.Error",
                                                 "c.$": f"States.StringToJson({cause})"},
                  "ResultPath": "$.lz.e", "Next": "@set"},
        "set": {"Type": "Pass", "Parameters": {"error.$": "$.lz.e.error", "cause.$": "$.lz.e.c.errorMessage"},
                "ResultPath": keep, "Next": target},
        "plain": {"Type": "Pass", "Parameters": {"error.$": f"{ERROR_PATH}.Error", "cause.$": cause},
                  "ResultPath": keep, "Next": target},
        "bare": {"Type": "Pass", "Parameters": {"error.$": f"{ERROR_PATH}.Error", "cause": ""},
                 "ResultPath": keep, "Next": target},
    }


def wait(call: ast.Call, scope: Scope) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(Pass states computing the time first, the Wait state) of a wait(seconds=...|until=...)."""
    given = {k.arg: k.value for k in call.keywords}
    if call.args:
        given.setdefault("seconds", call.args[0])
    if len(call.args) > 1 or set(given) - {"seconds", "until"} or len(given) != 1:
        raise scope.error(call, f"`{source(call)}`:", "write wait(seconds=N) or wait(until=TIMESTAMP)")
    (key, node), = given.items()
    v = value(node, scope)
    field_name = "Seconds" if key == "seconds" else "Timestamp"
    if isinstance(v, Const):
        ok = (type(v.value) is int and v.value >= 0) if key == "seconds" else (
            isinstance(v.value, str) and bool(_TIMESTAMP.match(v.value)))
        if not ok:
            raise scope.error(call, f"`{source(call)}`:", "seconds is a whole number >= 0; until an "
                              "RFC 3339 timestamp with its zone, such as 2030-01-01T00:00:00Z")
        return [], {"Type": "Wait", field_name: v.value}
    if isinstance(v, Path):
        return [], {"Type": "Wait", f"{field_name}Path": v.path}
    if isinstance(v, Intrinsic):
        return [{"Type": "Pass", "Parameters": {"v.$": v.text}, "ResultPath": "$.lz.v"}], \
            {"Type": "Wait", f"{field_name}Path": "$.lz.v.v"}
    raise scope.error(call, f"`{source(call)}`:", "wait for a number of seconds or a timestamp")
