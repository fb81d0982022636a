"""Operator commands sent by `lz invoke` and `lz manage` to the deployed function: call a function,
run raw Python (only where the stage allows it), run a Django management command.

Each answers with a JSON-able dict whose "output" holds what the command printed, so the CLI can
show it whether the function ran in AWS or in the local runtime.
"""

from __future__ import annotations

import io
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Management commands that need a terminal: they would wait for input that never comes.
INTERACTIVE = {"shell": "it opens an interactive Python shell", "dbshell": "it opens a database shell",
               "runserver": "it starts a server that never returns", "testserver": "it starts a server",
               "changepassword": "it prompts for the password"}


class CommandRefused(Exception):
    """A command this function will not run; the message says why and what to do instead."""


def _jsonable(value: Any) -> Any:
    import json

    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


class _Capture:
    """stdout and stderr of the command, into one buffer (and still to the real ones, for CloudWatch)."""

    def __enter__(self) -> io.StringIO:
        self.buffer = io.StringIO()
        self.saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = self.buffer
        return self.buffer

    def __exit__(self, *exc: Any) -> None:
        sys.stdout, sys.stderr = self.saved
        sys.stdout.write(self.buffer.getvalue())


def call(event: dict[str, Any]) -> dict[str, Any]:
    """{"lz": "invoke", "function": "module.func", "args": [...], "kwargs": {...}}."""
    from ..tasks import find

    name = event.get("function")
    if not isinstance(name, str) or "." not in name:
        raise CommandRefused(f"invoke needs a function as module.function, got {name!r}")
    func = find(name)
    with _Capture() as out:
        value = func(*(event.get("args") or []), **(event.get("kwargs") or {}))
    return {"result": _jsonable(value), "output": out.getvalue()}


def raw(event: dict[str, Any]) -> dict[str, Any]:
    """{"lz": "raw", "code": "..."}: refused unless the stage set allow_raw_invoke (deploy passes it
    to the function as LZ_ALLOW_RAW_INVOKE), whatever the caller claims."""
    if os.environ.get("LZ_ALLOW_RAW_INVOKE") != "1":
        raise CommandRefused('raw code is refused: set "allow_raw_invoke": true for this stage in '
                             "lz_settings.json and deploy, if you really want it")
    code = event.get("code")
    if not isinstance(code, str):
        raise CommandRefused("raw invoke needs the code as a string")
    namespace: dict[str, Any] = {"__name__": "__lz_raw__"}
    with _Capture() as out:
        exec(compile(code, "<lz invoke --raw>", "exec"), namespace)  # noqa: S102 - the point of --raw
    return {"output": out.getvalue()}


def manage(event: dict[str, Any]) -> dict[str, Any]:
    """{"lz": "manage", "args": ["migrate", "--noinput"]}: a Django management command."""
    args = [str(a) for a in event.get("args") or []]
    if not args:
        raise CommandRefused("manage needs a command, e.g. lz manage STAGE migrate")
    command = args[0]
    if command in INTERACTIVE:
        raise CommandRefused(f"manage {command} needs a terminal ({INTERACTIVE[command]}); a Lambda "
                             "invocation has none: use lz invoke --raw, or a command that takes arguments")
    if command == "createsuperuser" and not {"--noinput", "--no-input"} & set(args):
        raise CommandRefused("manage createsuperuser prompts for input: pass --noinput with "
                             "--username/--email and DJANGO_SUPERUSER_PASSWORD in the environment")
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        raise CommandRefused("DJANGO_SETTINGS_MODULE is not set in the function: is this a Django app? "
                             "(set it in the stage's environment)")
    from django.core.management import execute_from_command_line

    code = 0
    with _Capture() as out:
        try:
            execute_from_command_line(["manage.py", *args])
        except SystemExit as exc:  # Django's way of failing a command
            code = exc.code if isinstance(exc.code, int) else 1
    return {"output": out.getvalue(), "exit": code}


def answer(handler: Any, event: dict[str, Any]) -> dict[str, Any]:
    """Run a command; a refusal is an answer (with "error"), anything else is raised to Lambda."""
    try:
        return handler(event)
    except CommandRefused as exc:
        return {"error": str(exc)}
