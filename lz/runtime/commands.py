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

# Management commands refused in the function. Some need a terminal and would wait for input that
# never comes; the shells also run any code they are given (`shell -c`, `shell_plus`, `runscript`),
# which is raw code, and raw code has its own gate (`allow_raw_invoke`).
INTERACTIVE = {"shell": "it opens an interactive Python shell (and `-c` runs any code)",
               "shell_plus": "it opens an interactive Python shell",
               "dbshell": "it opens a database shell",
               "debugsqlshell": "it opens an interactive Python shell",
               "notebook": "it starts a Jupyter server",
               "runscript": "it runs any Python script",
               "runserver": "it starts a server that never returns",
               "runserver_plus": "it starts a server that never returns",
               "testserver": "it starts a server", "changepassword": "it prompts for the password"}


def manage_refusal(args: list[str]) -> str | None:
    """Why the management command `args` is refused, or None. Used by the function (the gate that
    counts) and by the CLI (to say it before sending)."""
    if not args:
        return "manage needs a command, e.g. lz manage STAGE migrate"
    command = args[0]
    if command.startswith("-"):
        return (f"manage needs the command first, then its options (got {command!r} first), "
                "e.g. lz manage STAGE migrate --noinput")
    # Django looks commands up by exact name; anything shell-like is refused whatever its spelling.
    name = command.lower()
    if name in INTERACTIVE or "shell" in name:
        why = INTERACTIVE.get(name, "it opens a shell")
        return (f"manage {command} is refused in a Lambda function ({why}); run code you "
                "deployed as a @command instead (lz invoke STAGE module.function)")
    if name == "createsuperuser" and not {"--noinput", "--no-input"} & set(args):
        return ("manage createsuperuser prompts for input: pass --noinput with --username/--email "
                "and DJANGO_SUPERUSER_PASSWORD in the environment")
    return None


# What `lz invoke STAGE name` may run by name: code the bundle registered, nothing else.
INVOKABLE = ("command", "task", "schedule", "event")


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


def _arguments(event: dict[str, Any]) -> tuple[list, dict[str, Any]]:
    args, kwargs = event.get("args") or [], event.get("kwargs") or {}
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise CommandRefused("args must be a JSON list and kwargs a JSON object")
    return args, kwargs


def call(event: dict[str, Any]) -> dict[str, Any]:
    """{"lz": "invoke", "function": "module.func", "args": [...], "kwargs": {...}}: a @command,
    @task or scheduled function of this bundle; any other name is refused here, never imported."""
    from ..tasks.names import Unregistered, resolve

    name = event.get("function")
    if not isinstance(name, str) or "." not in name:
        raise CommandRefused(f"invoke needs a function as module.function, got {name!r}")
    try:
        func = resolve(name, INVOKABLE)
    except Unregistered as exc:
        raise CommandRefused(f"{exc}. Mark it with @command (from lz import command) to let "
                             "`lz invoke` run it; other code is raw code (allow_raw_invoke)") from None
    args, kwargs = _arguments(event)
    with _Capture() as out:
        value = func(*args, **kwargs)
    return {"result": _jsonable(value), "output": out.getvalue()}


def _import_any(name: str) -> Any:
    """module.attr, importing the longest module prefix that imports: only behind the raw gate."""
    import importlib

    module, _, qualname = name.rpartition(".")
    while module:
        try:
            target: Any = importlib.import_module(module)
            break
        except ImportError:
            module, _, head = module.rpartition(".")
            qualname = f"{head}.{qualname}"
    else:
        raise CommandRefused(f"no module for {name!r}")
    for part in qualname.split("."):
        target = getattr(target, part)
    from ..tasks import Task

    return target.func if isinstance(target, Task) else target


def raw(event: dict[str, Any]) -> dict[str, Any]:
    """{"lz": "raw", "code": "..."}: refused unless the stage set allow_raw_invoke (deploy passes it
    to the function as LZ_ALLOW_RAW_INVOKE), whatever the caller claims."""
    if os.environ.get("LZ_ALLOW_RAW_INVOKE") != "1":
        raise CommandRefused('raw code is refused: set "allow_raw_invoke": true for this stage in '
                             "lz_settings.json and deploy, if you really want it")
    if isinstance(event.get("call"), str):  # `lz invoke STAGE module.func` of an unregistered name
        func = _import_any(event["call"])
        args, kwargs = _arguments(event)
        with _Capture() as out:
            value = func(*args, **kwargs)
        return {"result": _jsonable(value), "output": out.getvalue()}
    code = event.get("code")
    if not isinstance(code, str):
        raise CommandRefused("raw invoke needs the code as a string")
    namespace: dict[str, Any] = {"__name__": "__lz_raw__"}
    with _Capture() as out:
        exec(compile(code, "<lz invoke --raw>", "exec"), namespace)  # noqa: S102 - the point of --raw
    return {"output": out.getvalue()}


def manage(event: dict[str, Any]) -> dict[str, Any]:
    """{"lz": "manage", "args": ["migrate", "--noinput"]}: a Django management command."""
    raw_args = event.get("args") or []
    if not isinstance(raw_args, list):
        raise CommandRefused("manage needs its arguments as a JSON list")
    args = [str(a) for a in raw_args]
    refusal = manage_refusal(args)
    if refusal:
        raise CommandRefused(refusal)
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
