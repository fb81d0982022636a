"""The process's start: set up the log, import the handler (an import failure goes to
/runtime/init/error, as the managed runtime reports it), SnapStart's hooks, then the loop.

Started by the bundle's exec wrapper (wrapper.py) with the managed runtime's own interpreter:
`python -c '<put the task root first on sys.path>; main()' <the runtime's original arguments>`.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    from .client import RuntimeClient


def load_handler(spec: str) -> Callable[[Any, Any], Any]:
    """The callable `module.attr` names, or a Fault typed as awslambdaric types it."""
    import importlib

    from .errors import (BUILT_IN_CONFLICT, HANDLER_NOT_FOUND, IMPORT_MODULE, MALFORMED_HANDLER,
                         SYNTAX, Fault)

    try:
        module_name, attr = spec.rsplit(".", 1)
    except ValueError as exc:
        raise Fault(MALFORMED_HANDLER, f"Bad handler '{spec}': {exc}") from None
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise Fault(BUILT_IN_CONFLICT, f"Cannot use built-in module {module_name} as a handler module")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise Fault(IMPORT_MODULE, f"Unable to import module '{module_name}': {exc}") from None
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise Fault(SYNTAX, f"Syntax error in module '{module_name}': {exc}", trace) from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise Fault(HANDLER_NOT_FOUND, f"Handler '{attr}' missing on module '{module_name}'") from None


def _runtime_dirs(argv: list[str]) -> None:
    """The managed runtime's own script folder (where it keeps its modules, e.g. SnapStart's
    hooks) stays importable, as it was for the command this process replaces."""
    for arg in argv[1:]:
        if arg.endswith(".py"):
            folder = os.path.dirname(os.path.abspath(arg))
            if folder not in sys.path:
                sys.path.append(folder)


def _fail_init(client: RuntimeClient, exc: BaseException, error_type: str | None = None) -> None:
    from . import logs
    from .errors import describe, encode, log_lines

    body, _ = describe(exc)
    logs.error(log_lines(body))
    client.init_error(encode(body), error_type or body["errorType"])


def _snap_start(client: RuntimeClient) -> None:
    """SnapStart: before-snapshot hooks, /restore/next (the snapshot), after-restore hooks; the
    hooks are those registered with the managed runtime's snapshot_restore_py, if it has one."""
    from .errors import AFTER_RESTORE, BEFORE_SNAPSHOT, describe, encode

    try:
        from snapshot_restore_py import get_after_restore, get_before_snapshot
    except ImportError:
        get_before_snapshot = get_after_restore = list
    try:
        before = get_before_snapshot()
        while before:  # the reverse order of registration
            func, args, kwargs = before.pop()
            func(*args, **kwargs)
        client.restore_next()
    except Exception as exc:  # noqa: BLE001
        _fail_init(client, exc, BEFORE_SNAPSHOT)
        sys.exit(64)
    try:
        for func, args, kwargs in get_after_restore():
            func(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        body, _ = describe(exc)
        client.restore_error(encode(body), AFTER_RESTORE)
        sys.exit(65)


def main() -> None:
    from . import logs, loop
    from .client import RuntimeClient

    _runtime_dirs(sys.argv)
    client = RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    logs.setup()
    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except Exception as exc:  # noqa: BLE001 - whatever the import raised is the init error
        _fail_init(client, exc)
        sys.exit(1)
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
        _snap_start(client)
    loop.run(client, handler, streaming=os.environ.get("LZ_STREAM") == "1")


if __name__ == "__main__":
    main()
