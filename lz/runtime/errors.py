"""Errors in the shape Lambda shows them: {errorMessage, errorType, requestId, stackTrace}, the
X-Ray cause beside it, and the runtime's own fault types (Runtime.ImportModuleError, ...), named as
awslambdaric names them so that alarms and log searches written for the managed runtime still match.

Imported only when something failed: traceback and json are not a cold start's cost.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

IMPORT_MODULE = "Runtime.ImportModuleError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
MALFORMED_HANDLER = "Runtime.MalformedHandlerName"
BUILT_IN_CONFLICT = "Runtime.BuiltInModuleConflict"
SYNTAX = "Runtime.UserCodeSyntaxError"
UNMARSHAL = "Runtime.UnmarshalError"
MARSHAL = "Runtime.MarshalError"
CONTEXT_UNMARSHAL = "Runtime.LambdaContextUnmarshalError"
BEFORE_SNAPSHOT = "Runtime.BeforeSnapshotError"
AFTER_RESTORE = "Runtime.AfterRestoreError"

_HERE = os.path.dirname(os.path.abspath(__file__))
# the loop's own frames, left out of a handler's stack trace as awslambdaric leaves out its bootstrap's
_OWN = tuple(os.path.join(_HERE, name) for name in ("loop.py", "bootstrap.py", "stream.py"))


class Fault(Exception):
    """A failure of the runtime's own making (not the handler's): reported under `error_type`."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


def payload(message: str, error_type: str, stack: list[str], request_id: str | None = None) -> dict[str, Any]:
    return {"errorMessage": message or "", "errorType": error_type or "",
            "requestId": request_id or "", "stackTrace": stack}


def _frames(tb: Any) -> list[tuple[str, int, str, str]]:
    """The traceback's frames from the first one outside the loop's own modules, as
    (file, line, function, text) tuples: formatted from tuples, Python 3.11+ adds no ^^^ marks,
    which is how the managed runtime's traces look."""
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for i, frame in enumerate(frames):
        if not frame[0].startswith(_OWN):
            return frames[i:]
    return frames


def describe(exc: BaseException, request_id: str | None = None) -> tuple[dict[str, Any], str]:
    """(the error payload, the X-Ray cause as JSON) of an exception being handled."""
    if isinstance(exc, Fault):
        body = payload(exc.message, exc.error_type, exc.trace, request_id)
        return body, _xray("LambdaValidationError", exc.message, [])
    frames = _frames(exc.__traceback__)
    name = type(exc).__name__
    body = payload(str(exc), name, traceback.format_list(frames), request_id)
    return body, _xray(name, str(exc), frames)


def _xray(error_type: str, message: str, frames: list[tuple[str, int, str, str]]) -> str:
    stack = [{"label": name, "path": path, "line": line} for path, line, name, _ in frames]
    return json.dumps({"working_directory": os.getcwd(),
                       "exceptions": [{"message": message, "type": error_type, "stack": stack}],
                       "paths": sorted({f[0] for f in frames})})


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")


def log_lines(body: dict[str, Any]) -> list[str]:
    """The error as awslambdaric logs it: '[ERROR] Type: message', then the traceback, each line's
    leading spaces made no-break so CloudWatch keeps the indentation."""
    head = "[ERROR]"
    if body.get("errorType"):
        head += " " + body["errorType"] + (":" if body.get("errorMessage") else "")
    if body.get("errorMessage"):
        head += " " + body["errorMessage"]
    lines = [head, "Traceback (most recent call last):"]
    for element in body.get("stackTrace") or []:
        for line in str(element).splitlines() or [""]:
            stripped = line.lstrip(" ")
            lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    return lines


def current() -> BaseException:
    exc = sys.exc_info()[1]
    assert exc is not None
    return exc
