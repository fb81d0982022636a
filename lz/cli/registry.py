"""What the project registered (@schedule, @task, @command, @on_s3, @on_sqs, @on_sns), found by
reading its code, not by running it.

What is found here is also what the bundle will let an event run: `declarations()` becomes the
`declare({...})` call of the generated lz_handler.py (see lz/tasks/names.py).

Importing the app at package time would run the user's code (connections, side effects) and need its
dependencies installed on this machine; reading it with `ast` needs neither. The decorators'
arguments must therefore be literals (strings, numbers, lists, dicts, booleans), which is what they
always are; anything else is an error that points at the line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .pysource import parsed

DECORATORS = ("schedule", "task", "command", "on_s3", "on_sqs", "on_sns", "workflow")


class RegistryError(Exception):
    """A decorator that cannot be read statically; the message points at it."""


@dataclass(frozen=True)
class Schedule:
    function: str  # module.qualname
    expression: str
    input: Any = None
    enabled: bool = True
    origin: str = field(default="", compare=False)  # file:line, for messages


@dataclass(frozen=True)
class Source:
    """An event source handler: kind s3 (target = bucket), sqs (queue) or sns (topic); a target
    is a name in the stage's account and region, or an ARN."""

    kind: str
    function: str
    target: str
    events: tuple[str, ...] = ()
    prefix: str = ""
    suffix: str = ""
    batch_size: int = 10
    origin: str = field(default="", compare=False)


@dataclass(frozen=True)
class TaskDecl:
    function: str
    queue: bool = False
    origin: str = field(default="", compare=False)


@dataclass(frozen=True)
class WorkflowDecl:
    """A @workflow: compiled into a state machine by lz/cli/workflow/ (never run to trace it)."""

    function: str
    max_concurrency: int | None = None
    origin: str = field(default="", compare=False)


@dataclass
class Registry:
    schedules: list[Schedule] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    tasks: list[TaskDecl] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)  # module.qualname of each @command
    workflows: list[WorkflowDecl] = field(default_factory=list)
    # module.qualname -> (module, qualname): where each decorated function is defined
    places: dict[str, tuple[str, str]] = field(default_factory=dict)


def _module_name(rel: str) -> str:
    parts = rel[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _decorator_name(decorator: ast.expr) -> str | None:
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    return name if name in DECORATORS else None


def _arguments(decorator: ast.expr, name: str, origin: str) -> tuple[list[Any], dict[str, Any]]:
    if not isinstance(decorator, ast.Call):
        return [], {}
    try:
        return ([ast.literal_eval(arg) for arg in decorator.args],
                {kw.arg: ast.literal_eval(kw.value) for kw in decorator.keywords if kw.arg})
    except ValueError:
        raise RegistryError(f"{origin}: @{name} arguments must be literal strings/numbers/lists/dicts "
                            "so that lz can read them without running your code") from None


def _add(found: Registry, name: str, function: str, args: list[Any], kw: dict[str, Any],
         origin: str) -> None:
    if name == "schedule":
        for expression in args:
            found.schedules.append(Schedule(function, expression, kw.get("input"), kw.get("enabled", True),
                                            origin))
    elif name == "task":
        found.tasks.append(TaskDecl(function, bool(kw.get("queue", False)), origin))
    elif name == "command":
        found.commands.append(function)
    elif name == "workflow":
        found.workflows.append(WorkflowDecl(function, kw.get("max_concurrency"), origin))
    else:
        target = (args[0] if args else kw.get({"on_s3": "bucket", "on_sqs": "queue", "on_sns": "topic"}[name]))
        if not isinstance(target, str) or not target:
            raise RegistryError(f"{origin}: @{name} needs its {name[3:]} name as a literal string")
        found.sources.append(Source(
            name[3:], function, target, tuple(kw.get("events") or (["s3:ObjectCreated:*"] if name == "on_s3" else [])),
            kw.get("prefix", ""), kw.get("suffix", ""), int(kw.get("batch_size", 10)), origin))


def _mentions_a_decorator(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if (isinstance(node, ast.Name) and node.id in DECORATORS) or (
                isinstance(node, ast.Attribute) and node.attr in DECORATORS):
            return True
    return False


def scan(files: list[tuple[str, Path]]) -> Registry:
    """Every lz decorator on a module-level function (or a method of a module-level class)."""
    found = Registry()
    for rel, path in files:
        if not rel.endswith(".py"):
            continue
        tree = parsed(rel, path)
        if tree is None or not _mentions_a_decorator(tree):
            continue
        module = _module_name(rel)
        scopes: list[tuple[str, list[ast.stmt]]] = [("", tree.body)]
        scopes += [(f"{node.name}.", node.body) for node in tree.body if isinstance(node, ast.ClassDef)]
        for prefix, body in scopes:
            for node in body:
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for decorator in node.decorator_list:
                    name = _decorator_name(decorator)
                    if name is None or (name == "schedule" and not isinstance(decorator, ast.Call)):
                        continue
                    origin = f"{rel}:{decorator.lineno}"
                    args, kw = _arguments(decorator, name, origin)
                    _add(found, name, f"{module}.{prefix}{node.name}", args, kw, origin)
                    found.places[f"{module}.{prefix}{node.name}"] = (module, f"{prefix}{node.name}")
    return found


def _place(function: str, modules: set[str]) -> tuple[str, str]:
    """(module, qualname) of a dotted name from the settings: the longest project module that
    prefixes it, else (a dependency's function) everything before the last dot."""
    parts = function.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        if ".".join(parts[:cut]) in modules:
            return ".".join(parts[:cut]), ".".join(parts[cut:])
    module, _, qualname = function.rpartition(".")
    return module, qualname


def declarations(found: Registry, settings_events: list[dict[str, Any]],
                 files: list[tuple[str, Path]]) -> dict[str, list[Any]]:
    """{name: [module, qualname, [kinds]]} of everything an event may run in this bundle: @task,
    @schedule, @command, @on_s3/@on_sqs/@on_sns, and the functions the settings' `events` name.
    Sorted, so the bundle stays byte-identical for the same code."""
    kinds: dict[str, set[str]] = {}
    for decl in found.tasks:
        kinds.setdefault(decl.function, set()).add("task")
    for item in found.schedules:
        kinds.setdefault(item.function, set()).add("schedule")
    for function in found.commands:
        kinds.setdefault(function, set()).add("command")
    for source in found.sources:
        kinds.setdefault(source.function, set()).add(source.kind)
    modules = {_module_name(rel) for rel, _ in files if rel.endswith(".py")}
    places = dict(found.places)
    for entry in settings_events:
        function = entry["function"]
        kinds.setdefault(function, set()).add("event")
        places.setdefault(function, _place(function, modules))
    return {name: [*places[name], sorted(kinds[name])] for name in sorted(kinds)}


def resolve_targets(sources: list[Source], environment: dict[str, str], stage: str) -> list[Source]:
    """Sources with "${VAR}" targets replaced by the stage's environment value (as the runtime does)."""
    out = []
    for source in sources:
        target = source.target
        if target.startswith("${") and target.endswith("}"):
            var = target[2:-1]
            if var not in environment:
                raise RegistryError(f"{source.origin}: @on_{source.kind} names {target}, but stage "
                                    f'"{stage}" has no {var} in its "environment"; add it to lz_settings.json')
            target = environment[var]
        out.append(Source(source.kind, source.function, target, source.events, source.prefix,
                          source.suffix, source.batch_size, source.origin))
    return out


def schedules_in(files: list[tuple[str, Path]]) -> list[Schedule]:
    return scan(files).schedules


def from_settings(entries: list[dict[str, Any]]) -> list[Schedule]:
    return [Schedule(e["function"], e["expression"], e.get("input"), e.get("enabled", True),
                     "lz_settings.json") for e in entries]
