"""The values a state machine can compute, and how each is written: JSON literals, JSONPath
references into the execution's own document, States intrinsic functions, and Parameters templates
(expressions.py turns Python expressions into them).

The execution's document is {"locals": {<name>: value, ...}, "lz": {"nil": null, "k": {...}}}:
every Python local lives at `$.locals.<name>`; `$.lz` is the compiler's scratch space, and
`$.lz.k` holds string and JSON constants that cannot be written inside an intrinsic's arguments
(moto's engine, the one the tests run, keeps the backslash of an escaped ' { } \\ in a literal,
where AWS removes it: passing such text by reference reads the same on both).
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass
from typing import Any, Union

from .errors import refuse, source
from .symbols import Project, Symbol

_UNSAFE = set("'{}\\")


@dataclass(frozen=True)
class Const:
    value: Any


@dataclass(frozen=True)
class Path:
    path: str  # a JSONPath reference: $.locals.x, $.locals.x.key, $.locals.x[0]


@dataclass(frozen=True)
class Intrinsic:
    text: str  # States.Format('...', $.locals.x)


@dataclass(frozen=True)
class Template:
    fields: tuple[tuple[str, "Value"], ...]  # an object whose values may be paths or intrinsics


Value = Union[Const, Path, Intrinsic, Template]


class Consts:
    """Constants referenced by path ($.lz.k.cN), written once into the document by the first state."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self._keys: dict[str, str] = {}

    def path(self, value: Any) -> str:
        text = json.dumps(value, sort_keys=True)
        key = self._keys.get(text)
        if key is None:
            key = self._keys[text] = f"c{len(self._keys)}"
            self.values[key] = value
        return f"$.lz.k.{key}"


class Scope:
    """The names of one workflow: its locals (parameters and every name its body assigns), the
    names bound by `except ... as e`, and what any other name means in its module."""

    def __init__(self, project: Project, module: str, rel: str, workflow: str, params: list[str],
                 assigned: set[str], exceptions: set[str]) -> None:
        self.project = project
        self.module = module
        self.rel = rel
        self.workflow = workflow
        self.params = params
        self.locals = set(params) | assigned
        self.exceptions = exceptions
        self.consts = Consts()
        self._symbols: dict[str, Symbol | None] = {}

    def symbol(self, name: str) -> Symbol | None:
        if name in self.locals:
            return Symbol("local", name)
        if name not in self._symbols:
            self._symbols[name] = self.project.symbol(self.module, name)
        found = self._symbols[name]
        if found is None:
            import builtins

            return Symbol("builtin", name) if hasattr(builtins, name) else None
        return found

    def lz(self, node: ast.expr) -> str | None:
        """The lz name `node` refers to (`parallel`, `lz.wait`, ...), if it refers to one."""
        if isinstance(node, ast.Name):
            found = self.symbol(node.id)
            return found.name if found is not None and found.kind == "lz" else None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            found = self.symbol(node.value.id)
            if found is not None and found.kind == "module" and (found.name == "lz" or found.name.startswith("lz.")):
                return node.attr
        return None

    def error(self, node: ast.AST, construct: str, advice: str) -> Exception:
        return refuse(self.rel, node, construct, advice)


def local_path(name: str) -> str:
    return f"$.locals.{name}"


def safe(text: str) -> bool:
    """Whether `text` can stand inside an intrinsic's quoted argument as it is."""
    return not any(c in _UNSAFE or ord(c) < 32 or 127 <= ord(c) < 160 for c in text)


def arg(value: Value, scope: Scope, node: ast.AST) -> str:
    """`value` written as an argument of a States intrinsic function."""
    if isinstance(value, Path):
        return value.path
    if isinstance(value, Intrinsic):
        return value.text
    if isinstance(value, Template):
        raise scope.error(node, f"`{source(node)}`: a dict holding names", "cannot be built inside a "
                          "list or a string; build it in a task, or keep it at the top level of a "
                          "task's argument or a return value")
    v = value.value
    if isinstance(v, str):
        return f"'{v}'" if safe(v) else scope.consts.path(v)
    if v is None or isinstance(v, (bool, int, float)):
        return json.dumps(v)
    return scope.consts.path(v)


def render(value: Value) -> Any:
    """A Template (or a literal) as the JSON of a Parameters object."""
    if isinstance(value, Const):
        return value.value
    assert isinstance(value, Template)
    out: dict[str, Any] = {}
    for key, item in value.fields:
        if isinstance(item, (Path, Intrinsic)):
            out[f"{key}.$"] = item.path if isinstance(item, Path) else item.text
        else:
            out[key] = render(item)
    return out


def field(key: str, value: Value) -> tuple[str, Any]:
    """One Parameters field holding `value`."""
    if isinstance(value, Path):
        return f"{key}.$", value.path
    if isinstance(value, Intrinsic):
        return f"{key}.$", value.text
    return key, render(value)


def _check_literal(value: Any, scope: Scope, node: ast.AST) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise scope.error(node, f"`{source(node)}`:", "NaN and Infinity are not JSON")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise scope.error(node, f"`{source(node)}`: the key {key!r}", "is not a string; JSON "
                                  "objects have string keys")
            if key.endswith(".$"):
                raise scope.error(node, f"`{source(node)}`: the key {key!r}", "ends with .$, which "
                                  "Step Functions reads as a path; rename it")
            _check_literal(item, scope, node)
    elif isinstance(value, (list, tuple)):
        return [_check_literal(item, scope, node) for item in value]
    elif not (value is None or isinstance(value, (str, int, float, bool))):
        raise scope.error(node, f"`{source(node)}`: {type(value).__name__}", "is not JSON")
    return value


def const(value: Any, scope: Scope, node: ast.AST) -> Const:
    return Const(json.loads(json.dumps(_check_literal(value, scope, node))))
