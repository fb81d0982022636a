"""What the project registered with @schedule, found by reading its code, not by running it.

Importing the app at package time would run the user's code (connections, side effects) and need its
dependencies installed on this machine; reading it with `ast` needs neither. The decorator's
arguments must therefore be literals (strings, dicts, booleans), which is what they always are.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class RegistryError(Exception):
    """A @schedule that cannot be read statically; the message points at it."""


@dataclass(frozen=True)
class Schedule:
    function: str  # module.qualname
    expression: str
    input: Any = None
    enabled: bool = True
    origin: str = field(default="", compare=False)  # file:line, for messages


def _module_name(rel: str) -> str:
    parts = rel[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_schedule(decorator: ast.expr) -> bool:
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(func, ast.Name) and func.id == "schedule") or (
        isinstance(func, ast.Attribute) and func.attr == "schedule")


def schedules_in(files: list[tuple[str, Path]]) -> list[Schedule]:
    """Every @schedule on a module-level function (or a method of a module-level class)."""
    found: list[Schedule] = []
    for rel, path in files:
        if not rel.endswith(".py"):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"), rel)
        except SyntaxError:
            continue
        if "schedule" not in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | \
                {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}:
            continue
        module = _module_name(rel)
        scopes: list[tuple[str, list[ast.stmt]]] = [("", tree.body)]
        scopes += [(f"{node.name}.", node.body) for node in tree.body if isinstance(node, ast.ClassDef)]
        for prefix, body in scopes:
            for node in body:
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for decorator in node.decorator_list:
                    if not _is_schedule(decorator) or not isinstance(decorator, ast.Call):
                        continue
                    origin = f"{rel}:{decorator.lineno}"
                    try:
                        expressions = [ast.literal_eval(arg) for arg in decorator.args]
                        options = {kw.arg: ast.literal_eval(kw.value) for kw in decorator.keywords}
                    except ValueError:
                        raise RegistryError(
                            f"{origin}: @schedule arguments must be literal strings/dicts so that lz can "
                            "read them without running your code") from None
                    for expression in expressions:
                        found.append(Schedule(f"{module}.{prefix}{node.name}", expression,
                                              options.get("input"), options.get("enabled", True), origin))
    return found


def from_settings(entries: list[dict[str, Any]]) -> list[Schedule]:
    return [Schedule(e["function"], e["expression"], e.get("input"), e.get("enabled", True),
                     "lz_settings.json") for e in entries]
