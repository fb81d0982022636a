"""`if` and `while` conditions as Choice states.

A Choice rule compares a path with a literal or another path; what it cannot read directly
(`len(x)`, the truthiness of a list, `x in y`) is computed first by one Pass state into
$.lz.c.tN with an intrinsic. Python's short circuit is kept: `x is not None and len(x) > 0` is
split into two Choices, so len() is only computed when x is not None, as in Python.

Comparisons check the JSON type on both sides (IsNumeric, IsString, ...), so `x == 3` is false for
the string "3" as in Python, instead of depending on how an engine treats mismatched types.
"""

from __future__ import annotations

import ast
import json
import operator
from typing import Any

from .errors import source
from .expressions import value
from .graph import Graph
from .values import Const, Intrinsic, Path, Scope, Template, arg

Rule = Any  # a Choice rule dict, or True/False when the outcome is known at compile time

FALSY = ["null", "false", "0", "0.0", "-0", "-0.0", '""', "[]", "{}"]  # JSON of Python's falsy values
_ORDER = {ast.Lt: "LessThan", ast.LtE: "LessThanEquals", ast.Gt: "GreaterThan", ast.GtE: "GreaterThanEquals"}
_FLIP = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}
_STATIC = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
           ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
           ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not}


class Temps:
    """Values a rule needs computed first: intrinsic text -> the path it is stored at. All are
    computed by one Pass state, so one may not read another's path: `json()` nests instead."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def path(self, text: str) -> str:
        if text not in self.items:
            self.items[text] = f"$.lz.c.t{len(self.items)}"
        return self.items[text]

    def json(self, path: str) -> str:
        """The path of States.JsonToString of the value at `path` (a local or a temporary)."""
        source = next((text for text, p in self.items.items() if p == path), path)
        return self.path(f"States.JsonToString({source})")


def _is(path: str, kind: str, expected: bool = True) -> dict[str, Any]:
    return {"Variable": path, kind: expected}


def _and(*rules: Rule) -> Rule:
    if any(r is False for r in rules):
        return False
    rest = [r for r in rules if r is not True]
    return True if not rest else rest[0] if len(rest) == 1 else {"And": rest}


def _or(*rules: Rule) -> Rule:
    if any(r is True for r in rules):
        return True
    rest = [r for r in rules if r is not False]
    return False if not rest else rest[0] if len(rest) == 1 else {"Or": rest}


def _not(rule: Rule) -> Rule:
    return (not rule) if isinstance(rule, bool) else {"Not": rule}


class Conditions:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def operand(self, node: ast.expr, temps: Temps) -> tuple[str, Any]:
        """("path", $.x) or ("const", value) for one side of a comparison."""
        v = value(node, self.scope)
        if isinstance(v, Const):
            return "const", v.value
        if isinstance(v, Path):
            return "path", v.path
        if isinstance(v, Intrinsic):
            return "path", temps.path(v.text)
        raise self.scope.error(node, f"`{source(node)}`:", "a dict with names cannot be compared")

    def truthy(self, node: ast.expr, temps: Temps) -> Rule:
        kind, v = self.operand(node, temps)
        if kind == "const":
            return bool(v)
        text = temps.json(v)
        return _not(_or(*[{"Variable": text, "StringEquals": s} for s in FALSY]))

    def equals(self, a: str, kind: str, b: Any, temps: Temps) -> Rule:
        if kind == "path":
            ta, tb = temps.json(a), temps.json(b)
            container = _and(*[_is(a, k, False) for k in ("IsString", "IsNumeric", "IsBoolean", "IsNull")],
                             {"Variable": ta, "StringEqualsPath": tb})
            return _or(_and(_is(a, "IsString"), _is(b, "IsString"), {"Variable": a, "StringEqualsPath": b}),
                       _and(_is(a, "IsNumeric"), _is(b, "IsNumeric"), {"Variable": a, "NumericEqualsPath": b}),
                       _and(_is(a, "IsBoolean"), _is(b, "IsBoolean"), {"Variable": a, "BooleanEqualsPath": b}),
                       _and(_is(a, "IsNull"), _is(b, "IsNull")), container)
        if b is None:
            return _is(a, "IsNull")
        if isinstance(b, bool):
            return _and(_is(a, "IsBoolean"), {"Variable": a, "BooleanEquals": b})
        if isinstance(b, (int, float)):
            return _and(_is(a, "IsNumeric"), {"Variable": a, "NumericEquals": b})
        if isinstance(b, str):
            return _and(_is(a, "IsString"), {"Variable": a, "StringEquals": b})
        return {"Variable": temps.json(a), "StringEquals": json.dumps(b, separators=(",", ":"))}

    def order(self, a: str, op: type, kind: str, b: Any, node: ast.AST) -> Rule:
        word = _ORDER[op]
        if kind == "path":
            return _or(_and(_is(a, "IsNumeric"), _is(b, "IsNumeric"), {"Variable": a, f"Numeric{word}Path": b}),
                       _and(_is(a, "IsString"), _is(b, "IsString"), {"Variable": a, f"String{word}Path": b}))
        if isinstance(b, (int, float)) and not isinstance(b, bool):
            return _and(_is(a, "IsNumeric"), {"Variable": a, f"Numeric{word}": b})
        if isinstance(b, str):
            return _and(_is(a, "IsString"), {"Variable": a, f"String{word}": b})
        raise self.scope.error(node, f"`{source(node)}`:", "< <= > >= compare numbers or strings")

    def compare(self, node: ast.Compare, temps: Temps) -> Rule:
        rules, left = [], node.left
        for op, right in zip(node.ops, node.comparators):
            rules.append(self.pair(left, type(op), right, node, temps))
            left = right
        return _and(*rules)

    def pair(self, left: ast.expr, op: type, right: ast.expr, node: ast.AST, temps: Temps) -> Rule:
        if op in (ast.In, ast.NotIn):
            rule = self.membership(left, right, node, temps)
            return _not(rule) if op is ast.NotIn else rule
        lk, lv = self.operand(left, temps)
        rk, rv = self.operand(right, temps)
        if lk == rk == "const":
            return bool(_STATIC[op](lv, rv))
        if lk == "const":
            (lk, lv), (rk, rv), op = (rk, rv), (lk, lv), _FLIP.get(op, op)
        if op in (ast.Is, ast.IsNot):
            if rk != "const" or not (rv is None or isinstance(rv, bool)):
                raise self.scope.error(node, f"`{source(node)}`: `is`", "compares with None, True or "
                                       "False only; use == for values")
            rule = self.equals(lv, rk, rv, temps)
            return _not(rule) if op is ast.IsNot else rule
        if op in (ast.Eq, ast.NotEq):
            rule = self.equals(lv, rk, rv, temps)
            return _not(rule) if op is ast.NotEq else rule
        return self.order(lv, op, rk, rv, node)

    def membership(self, left: ast.expr, right: ast.expr, node: ast.AST, temps: Temps) -> Rule:
        if isinstance(right, (ast.List, ast.Tuple, ast.Set)):
            return _or(*[self.pair(left, ast.Eq, item, node, temps) for item in right.elts])
        container = value(right, self.scope)
        if isinstance(container, Const) and isinstance(container.value, list):
            lk, lv = self.operand(left, temps)
            if lk == "const":
                return lv in container.value
            return _or(*[self.equals(lv, "const", item, temps) for item in container.value])
        if isinstance(container, (Path, Intrinsic)):
            item = value(left, self.scope)
            if isinstance(item, Template):
                raise self.scope.error(node, f"`{source(node)}`:", "look up names or literals")
            found = temps.path(f"States.ArrayContains({arg(container, self.scope, node)}, "
                               f"{arg(item, self.scope, node)})")
            return {"Variable": found, "BooleanEquals": True}
        raise self.scope.error(node, f"`{source(node)}`: `in`", "tests membership in a list (a literal "
                               "list, or a name holding a list)")

    def affix(self, node: ast.Call, temps: Temps) -> Rule:
        method = node.func.attr  # type: ignore[attr-defined]
        if len(node.args) != 1 or node.keywords:
            raise self.scope.error(node, f"`{source(node)}`:", f"{method}() takes one literal string here")
        options = node.args[0].elts if isinstance(node.args[0], ast.Tuple) else [node.args[0]]
        kind, subject = self.operand(node.func.value, temps)  # type: ignore[attr-defined]
        rules = []
        for option in options:
            if not (isinstance(option, ast.Constant) and isinstance(option.value, str)):
                raise self.scope.error(node, f"`{source(node)}`:", f"{method}() takes literal strings here")
            text = option.value
            if kind == "const":
                rules.append(bool(getattr(subject, method)(text)) if isinstance(subject, str) else False)
                continue
            if "*" in text or "\\" in text:
                raise self.scope.error(node, f"`{source(node)}`: {text!r} holds * or \\", "which a "
                                       "StringMatches rule reads as a wildcard (moto's engine ignores the "
                                       "escape); test it in a task")
            pattern = f"{text}*" if method == "startswith" else f"*{text}"
            rules.append(_and(_is(subject, "IsString"), {"Variable": subject, "StringMatches": pattern}))
        return _or(*rules)

    def rule(self, node: ast.expr, temps: Temps) -> Rule:
        if isinstance(node, ast.BoolOp):
            parts = [self.rule(v, temps) for v in node.values]
            return _and(*parts) if isinstance(node.op, ast.And) else _or(*parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return _not(self.rule(node.operand, temps))
        if isinstance(node, ast.Compare):
            return self.compare(node, temps)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("startswith", "endswith"):
            return self.affix(node, temps)
        return self.truthy(node, temps)

    def branch(self, graph: Graph, node: ast.expr, yes: str, no: str, line: int, hint: str,
               name: str | None = None) -> str:
        """States that go to `yes` when `node` holds, else to `no`; returns the first one's name
        (`name` when given, for a loop's head)."""
        temps = Temps()
        rule = self.rule(node, temps)
        if temps.items and isinstance(node, ast.BoolOp):
            first, *rest = node.values
            tail: ast.expr = rest[0] if len(rest) == 1 else ast.BoolOp(node.op, rest, lineno=node.lineno)
            if isinstance(node.op, ast.And):
                return self.branch(graph, first, self.branch(graph, tail, yes, no, line, hint), no, line, hint, name)
            return self.branch(graph, first, yes, self.branch(graph, tail, yes, no, line, hint), line, hint, name)
        if temps.items and isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.branch(graph, node.operand, no, yes, line, hint, name)
        if isinstance(rule, bool):
            target = yes if rule else no
            return target if name is None else graph.put(name, {"Type": "Pass", "Next": target})
        choice = {"Type": "Choice", "Choices": [{**rule, "Next": yes}], "Default": no}
        if not temps.items:
            return graph.put(name, choice) if name else graph.add(line, hint, choice)
        first = name or graph.reserve(line, f"{hint}_compute")
        test = graph.add(line, hint, choice)
        return graph.put(first, {"Type": "Pass", "ResultPath": "$.lz.c", "Next": test, "Parameters": {
            f"{p.rsplit('.', 1)[1]}.$": text for text, p in temps.items.items()}})
