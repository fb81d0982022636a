"""Which names a piece of a workflow assigns and reads (Python's scoping, as far as the compiled
subset needs it): a loop's iterations get only the names they read, and a name assigned inside a
`for` body may not be used outside it (each iteration runs on its own on Step Functions)."""

from __future__ import annotations

import ast
from typing import Iterable

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)


def _targets(node: ast.AST) -> Iterable[str]:
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, (ast.Tuple, ast.List)):
        for item in node.elts:
            yield from _targets(item)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)


def _walk(node: ast.AST) -> Iterable[ast.AST]:
    """Every node under `node` that belongs to its scope (not inside a lambda or comprehension)."""
    for child in ast.iter_child_nodes(node):
        yield child
        if not isinstance(child, _SCOPES):
            yield from _walk(child)


def assigned(nodes: Iterable[ast.AST]) -> set[str]:
    """Names the statements bind in their own scope: assignments, loop targets, `except ... as`."""
    out: set[str] = set()
    for top in nodes:
        for node in [top, *_walk(top)]:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    out.update(_targets(target))
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                if not isinstance(node, ast.AnnAssign) or node.value is not None:
                    out.update(_targets(node.target))
            elif isinstance(node, ast.For):
                out.update(_targets(node.target))
            elif isinstance(node, ast.ExceptHandler) and node.name:
                out.add(node.name)
            elif isinstance(node, ast.NamedExpr):
                out.update(_targets(node.target))
    return out


def caught(nodes: Iterable[ast.AST]) -> set[str]:
    """Names bound by `except ... as name`."""
    return {n.name for top in nodes for n in [top, *_walk(top)]
            if isinstance(n, ast.ExceptHandler) and n.name}


def reads(nodes: Iterable[ast.AST]) -> set[str]:
    """Names read, lambdas and comprehensions included, minus the names a comprehension binds."""
    out: set[str] = set()

    def visit(node: ast.AST, hidden: frozenset[str]) -> None:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in hidden:
            out.add(node.id)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            inner = hidden | {n for g in node.generators for n in _targets(g.target)}
            for child in ast.iter_child_nodes(node):
                visit(child, inner)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, hidden)

    for top in nodes:
        visit(top, frozenset())
    return out


def used_outside(function: ast.FunctionDef, inside: ast.AST) -> set[str]:
    """Names read or bound in `function`'s own scope anywhere except within `inside` (a name a
    comprehension binds is the comprehension's own)."""
    out: set[str] = set()

    def visit(node: ast.AST, hidden: frozenset[str]) -> None:
        if node is inside:
            return
        if isinstance(node, ast.Name) and node.id not in hidden:
            out.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add(node.name)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            hidden = hidden | {n for g in node.generators for n in _targets(g.target)}
        elif isinstance(node, ast.Lambda):
            hidden = hidden | {a.arg for a in node.args.args + node.args.kwonlyargs}
        for child in ast.iter_child_nodes(node):
            visit(child, hidden)

    for statement in function.body:
        visit(statement, frozenset())
    return out
