"""Which function an event may run: only one this bundle registered, never a name the event made up.

An lz event names a function (`{"lz": "task", "name": "app.send_welcome"}`). Whoever can invoke the
function chooses that text, so importing and calling whatever it names would hand every invoker the
whole interpreter (`os.system`, `builtins.exec`). A name is therefore looked up in two places only:

- the runtime registries, filled by the decorators as the bundle's modules are imported
  (`@task`, `@schedule`, `@command`);
- the bundle's declaration: `lz package` reads the decorators statically (and the settings'
  `events`), and the generated `lz_handler.py` calls `declare()` with each name, the module that
  defines it and the kinds it was registered as. A declared module is imported on first use, so a
  task defined in a module the app never imports still runs.

Anything else is refused with `Unregistered`, logged by the caller, and never imported.
"""

from __future__ import annotations

import sys

from . import COMMANDS, SCHEDULED, TASKS, Task

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable

# name -> (module, qualname, kinds); written once, by lz_handler.py, before the app is imported.
DECLARED: dict[str, tuple[str, str, tuple[str, ...]]] = {}

KIND_WORDS = {"task": "@task", "schedule": "@schedule", "event": 'a settings "events" entry',
              "command": "@command", "s3": "@on_s3", "sqs": "@on_sqs", "sns": "@on_sns"}


class Unregistered(LookupError):
    """An event named a function this bundle did not register for that route."""


def declare(entries: dict[str, Any]) -> None:
    """Record what `lz package` found registered in the bundle: {name: [module, qualname, [kinds]]}."""
    for name, (module, qualname, kinds) in entries.items():
        DECLARED[str(name)] = (str(module), str(qualname), tuple(kinds))


def _registered(name: str, kind: str) -> Callable[..., Any] | None:
    if kind == "task":
        found = TASKS.get(name)
        return found.func if found is not None else None
    if kind == "schedule":
        return SCHEDULED.get(name)
    if kind == "command":
        return COMMANDS.get(name)
    return None


def _load(module: str, qualname: str) -> Any:
    """Import a module the bundle declared and fetch the attribute it declared (both from the
    build, neither from the event)."""
    if module not in sys.modules:
        import importlib

        importlib.import_module(module)
    target: Any = sys.modules[module]
    for part in qualname.split("."):
        target = getattr(target, part)
    return target.func if isinstance(target, Task) else target


def resolve(name: Any, kinds: Iterable[str]) -> Callable[..., Any]:
    """The function registered as `name` for one of `kinds`; `Unregistered` for anything else."""
    kinds = tuple(kinds)
    if not isinstance(name, str) or not name:
        raise Unregistered(f"the event names no function (got {name!r}); expected the name of a "
                           f"{' or '.join(KIND_WORDS[k] for k in kinds)} of this bundle")
    for kind in kinds:
        found = _registered(name, kind)
        if found is not None:
            return found
    declared = DECLARED.get(name)
    if declared is not None and set(declared[2]) & set(kinds):
        return _load(declared[0], declared[1])
    what = " or ".join(KIND_WORDS[k] for k in kinds)
    raise Unregistered(
        f"{name!r} is not a {what} of this bundle, so it was not imported or run. Only functions the "
        "bundle registers can be run by an event: decorate it (and redeploy), or check the name"
    )


def import_declared(kind: str) -> None:
    """Import every module that declared a handler of `kind` (S3/SQS/SNS), so that its decorator
    has registered it before the records are handed out."""
    for module, _qualname, kinds in list(DECLARED.values()):
        if kind in kinds and module not in sys.modules:
            import importlib

            importlib.import_module(module)


def names(kind: str) -> list[str]:
    """Every name registered or declared for `kind`, for messages."""
    registry: Any = {"task": TASKS, "schedule": SCHEDULED, "command": COMMANDS}.get(kind, {})
    return sorted(set(registry) | {n for n, (_m, _q, k) in DECLARED.items() if kind in k})
