"""Loops and branches that run on their own: `for` and list comprehensions become Map states,
`parallel(lambda: ..., ...)` a Parallel state.

Each iteration or branch is a States scope of its own whose document carries only the locals it
reads (ItemSelector / Parameters) and the constants ($.lz.k); the loop variable comes from
$$.Map.Item.Value. A name assigned in a `for` body may not be used outside it (iterations run
separately), and results come back in order: the Map's result list, or the Parallel's, unpacked
with ResultSelector and merged into the locals with States.JsonMerge.
"""

from __future__ import annotations

import ast
from typing import Any

from . import analysis, states
from .context import Ctx
from .errors import source
from .expressions import value
from .values import Const, Intrinsic, Path, local_path


class FanOut:
    """Compiler methods for Map and Parallel states (mixed into compiler.Compiler)."""

    def iteration_ctx(self, ctx: Ctx) -> Ctx:
        return Ctx(ctx.graph.nested(), catch_names=ctx.catch_names, iteration=True)

    def items(self, node: ast.expr, ctx: Ctx, line: int) -> tuple[str, list[dict[str, Any]]]:
        """ItemsPath of what a loop iterates over, and any Pass state computing it first."""
        v = value(node, self.scope)
        if isinstance(v, Path):
            return v.path, []
        if isinstance(v, Const) and isinstance(v.value, list):
            return self.scope.consts.path(v.value), []
        if isinstance(v, Intrinsic):
            return "$.lz.items.v", [{"Type": "Pass", "Parameters": {"v.$": v.text}, "ResultPath": "$.lz.items"}]
        raise self.scope.error(node, f"`{source(node)}`:", "a loop iterates over a list (a name, a "
                               "subscript or a literal list)")

    def map_state(self, target: str, reads: set[str], inner: Ctx, entry: str, items_path: str) -> dict[str, Any]:
        carried = {f"{n}.$": local_path(n) for n in sorted(reads & self.scope.locals - {target})}
        state: dict[str, Any] = {
            "Type": "Map", "ItemsPath": items_path,
            "ItemSelector": {"locals": {f"{target}.$": "$$.Map.Item.Value", **carried},
                             "lz": {"nil": None, "k.$": "$.lz.k"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **inner.graph.machine(entry)},
        }
        if self.wf.max_concurrency is not None:
            state["MaxConcurrency"] = self.wf.max_concurrency
        return state

    def comprehension(self, node: ast.ListComp, stmt: ast.stmt, rp: str | None, nxt: str | None,
                      ctx: Ctx) -> str:
        scope = self.scope
        if len(node.generators) != 1 or node.generators[0].ifs or node.generators[0].is_async \
                or not isinstance(node.generators[0].target, ast.Name):
            raise scope.error(node, f"`{source(node)}`:", "a comprehension is compiled with one `for name "
                              "in list` and no `if`; filter the list in a task")
        gen = node.generators[0]
        target = gen.target.id  # type: ignore[attr-defined]
        items_path, pre = self.items(gen.iter, ctx, stmt.lineno)
        inner = self.iteration_ctx(ctx)
        was_local = target in scope.locals
        scope.locals.add(target)
        try:
            entry = self.produce(node.elt, stmt, "$", None, inner, "item")
        finally:
            if not was_local:
                scope.locals.discard(target)
        state = self.map_state(target, analysis.reads([node.elt]), inner, entry, items_path)  # type: ignore[arg-type]
        states.result_path(state, rp)
        catches = self.catches(ctx)
        if catches:
            state["Catch"] = catches
        return self.chain(ctx, stmt.lineno, "map", [*pre, states.link(state, nxt)])

    def for_(self, node: ast.For, nxt: str | None, ctx: Ctx) -> str | None:
        scope = self.scope
        if node.orelse:
            raise scope.error(node, "`for ... else`", "cannot be compiled; test after the loop")
        if not isinstance(node.target, ast.Name):
            raise scope.error(node, f"`for {source(node.target)} in ...`:", "loop over one name; index "
                              "the item inside the loop")
        inside = analysis.assigned(node.body) | {node.target.id}
        leaked = sorted(inside & (analysis.used_outside(self.wf.node, node) | set(self.params)))
        if leaked:
            raise scope.error(node, f"a for loop that assigns {', '.join(leaked)}", "used outside it cannot "
                              "be compiled: each iteration runs on its own on Step Functions; build a list "
                              "with a comprehension (`xs = [task(x) for x in items]`) and use that")
        items_path, pre = self.items(node.iter, ctx, node.lineno)
        inner = self.iteration_ctx(ctx)
        done = inner.graph.add(getattr(node, "end_lineno", node.lineno), "next_item",
                               {"Type": "Pass", "InputPath": "$.lz.nil", "End": True})
        entry = self.block(node.body, done, inner) or done
        state = self.map_state(node.target.id, analysis.reads(node.body) - inside, inner, entry, items_path)
        state["ResultPath"] = None
        catches = self.catches(ctx)
        if catches:
            state["Catch"] = catches
        return self.chain(ctx, node.lineno, f"for_{node.target.id}", [*pre, states.link(state, nxt)])

    def parallel(self, call: ast.Call, node: ast.stmt, rp: str | None, unpack: list[str] | None,
                 nxt: str | None, ctx: Ctx) -> str:
        scope = self.scope
        if call.keywords or not call.args or not all(
                isinstance(a, ast.Lambda) and not (a.args.args or a.args.vararg or a.args.kwonlyargs or a.args.kwarg)
                for a in call.args):
            raise scope.error(call, f"`{source(call)}`:", "write parallel(lambda: task(...), lambda: ...), "
                              "one lambda without parameters per branch")
        if unpack is not None and len(unpack) != len(call.args):
            raise scope.error(node, f"`{source(node)}`:", f"unpacks {len(unpack)} names from "
                              f"{len(call.args)} branches")
        branches = []
        for branch in call.args:
            inner = self.iteration_ctx(ctx)
            entry = self.produce(branch.body, node, "$", None, inner, "branch")  # type: ignore[attr-defined]
            branches.append(inner.graph.machine(entry))
        reads = analysis.reads([a.body for a in call.args]) & scope.locals  # type: ignore[attr-defined]
        state: dict[str, Any] = {"Type": "Parallel", "Branches": branches, "Parameters": {
            "locals": {f"{n}.$": local_path(n) for n in sorted(reads)}, "lz.$": "$.lz"}}
        catches = self.catches(ctx)
        if catches:
            state["Catch"] = catches
        if unpack is None:
            states.result_path(state, rp)
            return ctx.graph.add(node.lineno, "parallel", states.link(state, nxt))
        state["ResultSelector"] = {f"{n}.$": f"$[{i}]" for i, n in enumerate(unpack)}
        state["ResultPath"] = "$.lz.par"
        merge = {"Type": "Pass", "Parameters": {"locals.$": "States.JsonMerge($.locals, $.lz.par, false)",
                                                "lz.$": "$.lz"}, "ResultPath": "$"}
        return self.chain(ctx, node.lineno, "parallel", [state, states.link(merge, nxt)])
