"""Python expressions translated into the values of values.py: literals, names, subscripts, lists,
dicts, f-strings, `+` and the calls a state machine can compute (States intrinsic functions), or a
CompileError that names what to write instead."""

from __future__ import annotations

import ast
from typing import Any

from .errors import source
from .values import Const, Intrinsic, Path, Scope, Template, Value, arg, const, local_path, safe


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


def _format(parts: list[tuple[str, Value | None]], scope: Scope, node: ast.AST) -> Value:
    """States.Format of literal text and values; text an intrinsic cannot hold goes by reference."""
    if all(v is None for _t, v in parts):
        return Const("".join(t for t, _v in parts))
    template, args = "", []
    for text, value in parts:
        if value is None:
            if safe(text):
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
