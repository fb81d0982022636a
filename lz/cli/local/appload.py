"""Importing the app for in-process `lz serve`, and saying plainly why it could not be imported.

An app that raises while it is imported is the user's bug, not lz's: the error shows the user's own
traceback (importlib's and lz's frames left out), in one block, instead of a traceback through
click and lz. Under the reloader the server keeps running and answers every request with that same
block, and the next save reloads it, as `flask run --debug` does.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

# Frames under these are lz's or the import machinery's, not the user's
_NOT_USERS = (str(Path(__file__).resolve().parents[2]) + os.sep,
              os.path.dirname(os.path.abspath(importlib.__file__)) + os.sep)


class AppLoadError(Exception):
    """The app could not be imported; str() is the whole block to show the user."""


def _user_traceback(exc: BaseException) -> str:
    """`exc` formatted with only the frames of the user's code (and what it called)."""
    tb = traceback.TracebackException.from_exception(exc)
    tb.stack = traceback.StackSummary.from_list([
        frame for frame in tb.stack
        if not frame.filename.startswith("<frozen ")
        and not os.path.abspath(frame.filename).startswith(_NOT_USERS)
    ])
    lines = list(tb.format())
    if not tb.stack and lines and lines[0].startswith("Traceback"):
        lines = lines[1:]  # nothing of the user's to show but the error itself (a SyntaxError)
    return "".join(lines).rstrip()


def load_app(spec: str, where: str = "", root: str | None = None) -> Any:
    """Import "module:attr" (the `app` setting; attr may be dotted) from `root` (first on sys.path;
    default: the current directory).

    AppLoadError with a message for the user when the spec is malformed, the module is missing,
    the module raises while it is imported, or the attribute is not there.
    """
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise AppLoadError(f"app must look like 'package.module:app', got {spec!r}")
    label = f'the app "{spec}"{where}'
    root = root or os.getcwd()
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise AppLoadError(
                f"cannot import {label}: there is no module {exc.name!r} under {root}; check "
                "the \"app\" setting "
                "(module path relative to the project, then :attribute)") from None
        raise AppLoadError(
            f"cannot import {label}: it imports {exc.name!r}, which is not installed in the Python "
            f"lz serve runs ({sys.executable}). Install the project's requirements there, or run "
            f"the built bundle: lz serve STAGE --bundle\n\n{_user_traceback(exc)}") from None
    except BaseException as exc:  # SyntaxError, a failing import-time connection, SystemExit...
        if isinstance(exc, KeyboardInterrupt):
            raise
        what = "is not valid Python" if isinstance(exc, SyntaxError) else "raised while it was imported"
        raise AppLoadError(f"cannot import {label}: its module {what}\n\n{_user_traceback(exc)}") from None
    app: Any = module
    for part in attr.split("."):
        try:
            app = getattr(app, part)
        except AttributeError:
            raise AppLoadError(f"cannot import {label}: module {module_name!r} has no attribute "
                               f"{attr!r}; check the \"app\" setting") from None
    return app


def failed_app(message: str) -> Callable[[dict, Any], Any]:
    """A handler that answers every request 500 with `message` (the app could not be imported),
    while the reloader waits for the next save."""
    body = f"lz serve: the app could not be imported; save a fix to reload.\n\n{message}\n"

    def handler(event: dict, context: Any) -> dict:
        return {"statusCode": 500, "headers": {"Content-Type": "text/plain; charset=utf-8"},
                "body": body}

    return handler
