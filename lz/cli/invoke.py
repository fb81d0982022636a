"""Sending a command or an event to a stage's function, deployed (Lambda Invoke, RequestResponse,
with the tail of its log) or built (the local runtime), and reading the answer the same way."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..runtime.commands import INVOKABLE, manage_refusal
from .aws import Aws
from .settings import Stage


class InvokeError(Exception):
    """The command cannot be sent as asked; the message says why."""


@dataclass
class Answer:
    ok: bool
    result: Any
    log: list[str] = field(default_factory=list)
    error: str | None = None


def invokable(stage: Stage) -> set[str]:
    """The names `lz invoke STAGE name` may send as such: what the stage's code registers (read
    statically, as `lz package` does for the bundle's declaration) and its settings' `events`."""
    from .bundle.collect import collect
    from .registry import RegistryError, declarations, scan

    files = collect(stage.root, stage.include, stage.exclude).files
    try:
        declared = declarations(scan(files), stage.events, files)
    except RegistryError as exc:
        raise InvokeError(str(exc)) from None
    return {name for name, (_m, _q, kinds) in declared.items() if set(kinds) & set(INVOKABLE)}


def function_payload(stage: Stage, function: str, args: str | None, kwargs: str | None,
                     registered: set[str] | None = None) -> dict[str, Any]:
    """An invoke of a registered function; any other name is raw code, so it goes out as such
    only where the stage allows raw code (and the function checks that again)."""
    def parse(text: str | None, kind: type, flag: str) -> Any:
        if text is None:
            return kind()
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise InvokeError(f"{flag} is not JSON: {exc}") from None
        if not isinstance(value, kind):
            raise InvokeError(f"{flag} must be a JSON {'list' if kind is list else 'object'}, got {text}")
        return value

    if "." not in function:
        raise InvokeError(f"name the function as module.function (e.g. app.cleanup), got {function!r}")
    arguments = {"args": parse(args, list, "--args"), "kwargs": parse(kwargs, dict, "--kwargs")}
    registered = invokable(stage) if registered is None else registered
    if function in registered:
        return {"lz": "invoke", "function": function, **arguments}
    if stage.allow_raw_invoke:
        return {"lz": "raw", "call": function, **arguments}
    import difflib

    near = difflib.get_close_matches(function, sorted(registered), n=3)
    known = ", ".join(near or sorted(registered)[:8]) or "none"
    raise InvokeError(
        f"{function} is not a @command, @task or scheduled function of stage \"{stage.name}\" "
        f"(registered: {known}). Mark it with @command (from lz import command) and deploy; running "
        'any other function is raw code, refused unless the stage sets "allow_raw_invoke": true')


def raw_payload(stage: Stage, code: str) -> dict[str, Any]:
    if not stage.allow_raw_invoke:
        raise InvokeError(f'--raw is refused for stage "{stage.name}": it runs any Python in the function. '
                          'Set "allow_raw_invoke": true for the stage in lz_settings.json (and deploy) to allow it')
    return {"lz": "raw", "code": code}


def manage_payload(args: list[str]) -> dict[str, Any]:
    refusal = manage_refusal(list(args))
    if refusal:
        raise InvokeError(refusal)
    return {"lz": "manage", "args": list(args)}


def _failed(result: Any) -> str | None:
    """The error an answer carries: a refusal ({"error"}) or a Lambda function error, with the
    function's traceback where Lambda sent one."""
    if isinstance(result, dict):
        if "errorMessage" in result:
            trace = result.get("stackTrace")
            lines = "".join(f"\n  {line.rstrip()}" for line in trace if isinstance(line, str)) \
                if isinstance(trace, list) else ""
            return f"{result.get('errorType', 'Error')}: {result['errorMessage']}" + (
                f"\nTraceback (in the function):{lines}" if lines else "")
        if isinstance(result.get("error"), str):
            return result["error"]
    return None


def _function_error(result: Any, kind: str) -> str:
    """What a failed invocation says, whatever its payload's shape: nothing is dropped."""
    said = _failed(result)
    if said:
        return said
    shown = json.dumps(result, ensure_ascii=False)[:4000] if result is not None else "no payload"
    return f"the function failed ({kind}): {shown}"


def remote(aws: Aws, stage: Stage, payload: dict[str, Any]) -> Answer:
    name = stage.function_name
    with aws.explain(f"invoking {name}:live (is the stage deployed? lz status {stage.name})"):
        response = aws.client("lambda").invoke(
            FunctionName=name, Qualifier="live", InvocationType="RequestResponse", LogType="Tail",
            Payload=json.dumps(payload).encode())
    raw = response["Payload"].read()
    try:
        result = json.loads(raw) if raw else None
    except ValueError:
        result = raw.decode("utf-8", "replace")
    log = base64.b64decode(response.get("LogResult") or "").decode("utf-8", "replace").splitlines()
    error = (_function_error(result, response["FunctionError"]) if response.get("FunctionError")
             else _failed(result))
    return Answer(error is None, result, log, error)


def local(stage: Stage, bundle: Path, payload: dict[str, Any]) -> Answer:
    from .local.runner import LocalFunction, LocalRuntimeError
    from .local.secrets import LocalSecretsError, local_secrets

    try:  # the stage's secrets, read with this machine's credentials as `lz serve` reads them
        secrets = local_secrets(stage)
    except LocalSecretsError as exc:
        raise LocalRuntimeError(str(exc)) from None
    with LocalFunction(bundle, stage.python_version, timeout=stage.timeout,
                       environment={**local_environment(stage), **secrets},
                       name=stage.function_name, architecture=stage.architecture) as function:
        invocation = function.invoke(payload)
    result = invocation.result
    error = None if invocation.ok else f"the function {invocation.describe()}"
    return Answer(error is None and _failed(result) is None, result, invocation.log, error or _failed(result))


def local_environment(stage: Stage) -> dict[str, str]:
    """The stage's environment as deploy sets it (what the runtime reads included)."""
    from .deploy.models import runtime_environment

    return runtime_environment(stage.environment, task_bucket=stage.task_bucket,
                               allow_raw_invoke=stage.allow_raw_invoke, stream=stage.stream)
