"""Python expressions as the values a state machine can compute: JSON literals, JSONPath references
into the execution's own document, States intrinsic functions, and Parameters templates.

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


def _key_path(base: str, key: Any, scope: Scope, node: ast.AST) -> str:
    if isinstance(key, bool) or not isinstance(key, (str, int)):
        raise scope.error(node, f"`{source(node)}`:", "index with a string key, a whole number >= 0 or a "
                          "local name")
    if isinstance(key, int):
        if key < 0:
            raise scope.error(node, f"`{source(node)}`: a negative index", "cannot be written as a "
                              "JSONPath reference; index from the start, or compute it in a task")
        return f"{base}[{key}]"
    if key.isidentifier():
        return f"{base}.{key}"
    if "'" in key or "\\" in key or not key or any(ord(c) < 32 for c in key):
        raise scope.error(node, f"`{source(node)}`: the key {key!r}", "cannot be written in a "
                          "JSONPath reference; use keys without quotes, backslashes or control characters")
    return f"{base}['{key}']"


def _safe(text: str) -> bool:
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
        return f"'{v}'" if _safe(v) else scope.consts.path(v)
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


def _format(parts: list[tuple[str, Value | None]], scope: Scope, node: ast.AST) -> Value:
    """States.Format of literal text and values; text an intrinsic cannot hold goes by reference."""
    if all(v is None for _t, v in parts):
        return Const("".join(t for t, _v in parts))
    template, args = "", []
    for text, value in parts:
        if value is None:
            if _safe(text):
                template += text
            else:
                template += "{}"
                args.append(scope.consts.path(text))
        else:
            template += "{}"
            args.append(arg(value, scope, node))
    return Intrinsic(f"States.Format('{template}', {', '.join(args)})")


def value(node: ast.expr, scope: Scope) -> Value:
    """The value of a pure expression (no task calls), or a CompileError naming what to write."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (bytes, complex)) or node.value is Ellipsis:
            raise scope.error(node, f"`{source(node)}`:", "is not JSON; use strings and numbers")
        return const(node.value, scope, node)
    if isinstance(node, ast.Name):
        return _name(node, scope)
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id in scope.exceptions and node.attr in ("error", "cause"):
            return Path(f"{local_path(node.value.id)}.{node.attr}")
        raise scope.error(node, f"`{source(node)}`: attributes", "are not available in a state "
                          "machine (except e.error and e.cause of a caught error); pass dicts and read "
                          "them with d['key']")
    if isinstance(node, ast.Subscript):
        return _subscript(node, scope)
    if isinstance(node, (ast.List, ast.Tuple)):
        return _list(node, scope)
    if isinstance(node, ast.Dict):
        return _dict(node, scope)
    if isinstance(node, ast.JoinedStr):
        return _fstring(node, scope)
    if isinstance(node, ast.BinOp):
        return _binop(node, scope)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = value(node.operand, scope)
        if isinstance(inner, Const) and isinstance(inner.value, (int, float)) and not isinstance(inner.value, bool):
            return Const(-inner.value)
        raise scope.error(node, f"`{source(node)}`: negating a name", "cannot be written with "
                          "States.MathAdd; compute it in a task")
    if isinstance(node, ast.Call):
        return _call(node, scope)
    raise unsupported(node, scope)


def unsupported(node: ast.expr, scope: Scope) -> Exception:
    kinds = {ast.Compare: "a comparison", ast.BoolOp: "and/or", ast.IfExp: "a conditional expression",
             ast.Lambda: "a lambda", ast.ListComp: "a list comprehension", ast.SetComp: "a set comprehension",
             ast.DictComp: "a dict comprehension", ast.GeneratorExp: "a generator expression",
             ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.NamedExpr: "the := operator",
             ast.Set: "a set", ast.Starred: "unpacking with *", ast.UnaryOp: "this operator"}
    what = kinds.get(type(node), type(node).__name__)
    advice = {
        ast.Compare: "is only for `if` and `while`; assign the outcome with an if statement",
        ast.BoolOp: "is only for `if` and `while` conditions",
        ast.IfExp: "cannot be compiled; write an if statement",
        ast.ListComp: "must be the whole right-hand side of an assignment or a return",
        ast.Lambda: "is only for parallel(lambda: ..., ...)",
    }.get(type(node), "cannot be computed by a state machine; compute it in a task")
    return scope.error(node, f"`{source(node)}`: {what}", advice)


def _name(node: ast.Name, scope: Scope) -> Value:
    found = scope.symbol(node.id)
    if found is None:
        raise scope.error(node, f"`{node.id}`", "is not a parameter, a local, a task or a module-level "
                          "constant of this workflow")
    if found.kind == "local":
        if node.id in scope.exceptions:
            raise scope.error(node, f"`{node.id}` (a caught error)", "is not JSON; use "
                              f"{node.id}.error (its class name) or {node.id}.cause (its message)")
        return Path(local_path(node.id))
    if found.kind == "const":
        return const(found.value, scope, node)
    if found.kind == "task":
        raise scope.error(node, f"`{node.id}`", "is a task: call it as a statement of its own "
                          f"(`x = {node.id}(...)`)")
    raise scope.error(node, f"`{node.id}`", f"is a {found.kind} of the module, not a value the state "
                      "machine holds; only literal module-level constants (X = [1, 2]) can be read")


def _subscript(node: ast.Subscript, scope: Scope) -> Value:
    base = value(node.value, scope)
    index = node.slice
    if isinstance(index, ast.Slice):
        raise scope.error(node, f"`{source(node)}`: slicing", "cannot be computed by a state machine; "
                          "slice in a task")
    key = value(index, scope)
    if isinstance(base, Const) and isinstance(key, Const):
        try:
            return const(base.value[key.value], scope, node)
        except (KeyError, IndexError, TypeError) as exc:
            raise scope.error(node, f"`{source(node)}`:", f"fails ({exc!r})") from None
    if isinstance(base, Const):
        base = Path(scope.consts.path(base.value))
    if not isinstance(base, Path):
        raise scope.error(node, f"`{source(node)}`:", "index a local, a parameter or a constant")
    if isinstance(key, Const):
        return Path(_key_path(base.path, key.value, scope, node))
    if isinstance(key, (Path, Intrinsic)):
        return Intrinsic(f"States.ArrayGetItem({base.path}, {arg(key, scope, node)})")
    raise scope.error(node, f"`{source(node)}`: a dict as an index", "index with a name or a number")


def _list(node: ast.List | ast.Tuple, scope: Scope) -> Value:
    items = [value(item, scope) for item in node.elts]
    if all(isinstance(i, Const) for i in items):
        return Const([i.value for i in items])
    return Intrinsic(f"States.Array({', '.join(arg(i, scope, node) for i in items)})")


def _dict(node: ast.Dict, scope: Scope) -> Value:
    fields = []
    for key, item in zip(node.keys, node.values):
        if key is None or not isinstance(key, ast.Constant) or not isinstance(key.value, str):
            raise scope.error(node, f"`{source(node)}`:", "dict keys must be literal strings (and no ** "
                              "unpacking)")
        if key.value.endswith(".$"):
            raise scope.error(node, f"`{source(node)}`: the key {key.value!r}", "ends with .$, which "
                              "Step Functions reads as a path; rename it")
        fields.append((key.value, value(item, scope)))
    if all(isinstance(v, Const) for _k, v in fields):
        return Const({k: v.value for k, v in fields})
    return Template(tuple(fields))


def _fstring(node: ast.JoinedStr, scope: Scope) -> Value:
    parts: list[tuple[str, Value | None]] = []
    for part in node.values:
        if isinstance(part, ast.Constant):
            parts.append((part.value, None))
            continue
        assert isinstance(part, ast.FormattedValue)
        if part.conversion != -1 or part.format_spec is not None:
            raise scope.error(node, f"`{source(node)}`: !r/!s conversions and format specs",
                              "cannot be applied by States.Format; format the value in a task")
        inner = value(part.value, scope)
        # a constant is formatted here, as Python formats it (True, None, 1.5)
        parts.append((str(inner.value), None) if isinstance(inner, Const) else ("", inner))
    return _format([(t, v) for t, v in parts if t or v is not None], scope, node)


def _is_text(node: ast.expr, v: Value) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(v, Const) and isinstance(v.value, str))


def _binop(node: ast.BinOp, scope: Scope) -> Value:
    left, right = value(node.left, scope), value(node.right, scope)
    if isinstance(node.op, ast.Add) and (_is_text(node.left, left) or _is_text(node.right, right)):
        if isinstance(left, Const) and isinstance(right, Const):
            if not (isinstance(left.value, str) and isinstance(right.value, str)):
                raise scope.error(node, f"`{source(node)}`:", "adds a string and a non-string")
            return Const(left.value + right.value)
        return _format([("", left), ("", right)], scope, node)
    if not isinstance(node.op, (ast.Add, ast.Sub)):
        raise scope.error(node, f"`{source(node)}`: this operator", "cannot be computed by a state "
                          "machine (States.MathAdd adds whole numbers); compute it in a task")
    for side in (left, right):
        if isinstance(side, Const) and (isinstance(side.value, bool) or not isinstance(side.value, int)):
            raise scope.error(node, f"`{source(node)}`:", "+ and - are whole-number arithmetic "
                              "(States.MathAdd); join strings with an f-string, compute the rest in a task")
        if isinstance(side, Template):
            raise scope.error(node, f"`{source(node)}`:", "cannot add dicts")
    if isinstance(left, Const) and isinstance(right, Const):
        return Const(left.value + right.value if isinstance(node.op, ast.Add) else left.value - right.value)
    if isinstance(node.op, ast.Sub):
        if not isinstance(right, Const):
            raise scope.error(node, f"`{source(node)}`: subtracting a name", "cannot be written with "
                              "States.MathAdd; add a negative literal, or compute it in a task")
        right = Const(-right.value)
    return Intrinsic(f"States.MathAdd({arg(left, scope, node)}, {arg(right, scope, node)})")


def _call(node: ast.Call, scope: Scope) -> Value:
    func = node.func
    name = func.id if isinstance(func, ast.Name) else None
    found = scope.symbol(name) if name else None
    if found is not None and found.kind == "task":
        raise scope.error(node, f"`{source(node)}`: a task call inside an expression", "must be a "
                          f"statement of its own: `x = {name}(...)`, then use x")
    if found is not None and found.kind == "builtin" and name in ("len", "str") and len(node.args) == 1 \
            and not node.keywords:
        target = node.args[0]
        if name == "str" and isinstance(target, ast.Name) and target.id in scope.exceptions:
            return Path(f"{local_path(target.id)}.cause")
        inner = value(target, scope)
        if name == "len":
            if isinstance(inner, Const):
                if not isinstance(inner.value, list):
                    raise scope.error(node, f"`{source(node)}`:", "len() in a workflow is for lists")
                return Const(len(inner.value))
            return Intrinsic(f"States.ArrayLength({arg(inner, scope, node)})")
        if isinstance(inner, Const):
            return Const(str(inner.value))  # as Python writes it: True, None, [1, 2]
        return _format([("", inner)], scope, node)
    raise scope.error(node, f"`{source(node)}`", f"calls {source(func)}, which a state machine cannot "
                      "run (it runs tasks, len(), str(), parallel() and wait()); make it a @task, or move "
                      "the work into one")
