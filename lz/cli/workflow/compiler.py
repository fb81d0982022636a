"""A @workflow's body, read with ast, compiled into Amazon States Language (JSONPath).

Statements are compiled from the last to the first: each one knows the state that follows it, so
an `if` joins its branches there, a `while` loops back to its head, a `try` sends its Catch to the
handler. Every local lives at $.locals.<name> (see values.py); the first state moves the
execution's input (the workflow's arguments by name, defaults filled in) there.

What the compiler cannot translate faithfully is a CompileError naming file:line, the construct and
what to write instead (errors.py). The finished definition is checked (graph.validate) before it
is returned.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any

from . import analysis, states
from .catching import Catching
from .conditions import Conditions
from .context import ALL, Ctx
from .errors import refuse, source
from .expressions import value
from .fanout import FanOut
from .graph import Graph, Namer, validate
from .symbols import Project, WorkflowSource
from .values import Scope, const, local_path

_REFUSED = {
    ast.With: ("`with`", "cannot hold a resource across states; open it inside a task"),
    ast.AsyncWith: ("`async with`", "cannot be compiled; do the async work inside a task"),
    ast.AsyncFor: ("`async for`", "cannot be compiled; do the async work inside a task"),
    ast.FunctionDef: ("a nested function", "cannot be compiled; make it a @task, or a module-level helper called by tasks"),
    ast.AsyncFunctionDef: ("a nested function", "cannot be compiled; make it a @task"),
    ast.ClassDef: ("a class definition", "cannot be compiled; define it at module level"),
    ast.Global: ("`global`", "state lives in the execution only; return values and pass them on"),
    ast.Nonlocal: ("`nonlocal`", "cannot be compiled; return values and pass them on"),
    ast.Import: ("an import", "belongs at module level"),
    ast.ImportFrom: ("an import", "belongs at module level"),
    ast.Delete: ("`del`", "cannot be compiled; leave the name unused"),
    ast.Assert: ("`assert`", "cannot be compiled; check in an if and raise WorkflowError"),
    ast.Match: ("`match`", "cannot be compiled; write if/elif"),
}


class Compiler(Catching, FanOut):
    def __init__(self, project: Project, source_: WorkflowSource) -> None:
        self.wf = source_
        node = source_.node
        self.params, self.defaults = self._signature(node, source_.rel)
        body = list(node.body)
        self.scope = Scope(project, source_.module, source_.rel, source_.function, self.params,
                           analysis.assigned(body), analysis.caught(body))
        self.conds = Conditions(self.scope)
        self.namer = Namer()
        self.tasks: set[str] = set()
        self.statements = 0

    # ------------------------------------------------------------------------------- the whole
    def _signature(self, node: ast.FunctionDef, rel: str) -> tuple[list[str], dict[str, Any]]:
        a = node.args
        if a.posonlyargs or a.vararg or a.kwarg:
            raise refuse(rel, node, f"def {node.name}(...): positional-only, *args and **kwargs "
                         "parameters", "cannot become an execution's input (a JSON object by name); "
                         "name each parameter")
        params = [p.arg for p in a.args + a.kwonlyargs]
        defaults: dict[str, Any] = {}
        pairs = list(zip(a.args[len(a.args) - len(a.defaults):], a.defaults))
        pairs += [(p, d) for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
        for param, default in pairs:
            try:
                defaults[param.arg] = ast.literal_eval(default)
            except ValueError:
                raise refuse(rel, default, f"the default of {param.arg}", "must be a literal (a string, "
                             "number, list or dict) so the state machine can fill it in") from None
        return params, defaults

    def compile(self) -> dict[str, Any]:
        node = self.wf.node
        for inner in analysis._walk(node):
            if isinstance(inner, (ast.Yield, ast.YieldFrom, ast.Await)):
                raise self.scope.error(inner, f"`{source(inner)}`: a workflow that yields or awaits",
                                       "cannot be compiled; a workflow is a plain function (tasks may be async inside)")
        graph = Graph(self.namer)
        end_line = getattr(node, "end_lineno", node.lineno)
        end = graph.add(end_line, "return_None", {"Type": "Pass", "InputPath": "$.lz.nil", "End": True})
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        entry = self.block(body, end, Ctx(graph))
        lz = {"nil": None, "k": self.scope.consts.values}
        start_params: dict[str, Any] = {"locals.$": "$", "lz": lz}
        if self.defaults:
            checked = const(self.defaults, self.scope, node).value
            start_params["locals.$"] = "States.JsonMerge($.defaults, $.input, false)"
            first = graph.add(node.lineno, "start", {"Type": "Pass", "Parameters": start_params, "Next": entry})
            start = graph.add(node.lineno, "arguments", {
                "Type": "Pass", "Parameters": {"input.$": "$", "defaults": checked}, "Next": first})
        else:
            start = graph.add(node.lineno, "start", {"Type": "Pass", "Parameters": start_params, "Next": entry})
        machine = graph.machine(start, Comment=f"lz workflow {self.wf.function} ({self.wf.origin})")
        validate(machine)
        return machine

    def block(self, body: list[ast.stmt], nxt: str | None, ctx: Ctx) -> str | None:
        for stmt in reversed(body):
            nxt = self.stmt(stmt, nxt, ctx)
        return nxt

    # ------------------------------------------------------------------------------ statements
    def stmt(self, node: ast.stmt, nxt: str | None, ctx: Ctx) -> str | None:
        self.statements += 1
        scope = self.scope
        if type(node) in _REFUSED:
            what, advice = _REFUSED[type(node)]
            raise scope.error(node, f"{what} in a workflow", advice)
        if isinstance(node, ast.Pass):
            return nxt
        if isinstance(node, ast.Expr):
            return self.expression(node, nxt, ctx)
        if isinstance(node, ast.Assign):
            if len(node.targets) != 1:
                raise scope.error(node, f"`{source(node)}`: a = b = ...", "cannot be compiled; assign once")
            return self.assign(node.targets[0], node.value, node, nxt, ctx)
        if isinstance(node, ast.AugAssign):
            if not isinstance(node.target, ast.Name):
                raise scope.error(node, f"`{source(node)}`:", "assign to a name")
            expr = ast.BinOp(ast.Name(node.target.id, ast.Load(), lineno=node.lineno), node.op, node.value,
                             lineno=node.lineno)
            return self.assign(node.target, expr, node, nxt, ctx)
        if isinstance(node, ast.AnnAssign):
            return nxt if node.value is None else self.assign(node.target, node.value, node, nxt, ctx)
        if isinstance(node, ast.Return):
            if ctx.iteration:
                raise scope.error(node, "`return` inside a for loop or a parallel branch", "cannot end the "
                                  "workflow (iterations run separately on Step Functions); collect results "
                                  "with a list comprehension and return after the loop")
            return self.produce(node.value or ast.Constant(None, lineno=node.lineno), node, "$", None, ctx,
                                "return")
        if isinstance(node, ast.If):
            yes = self.block(node.body, nxt, ctx)
            no = self.block(node.orelse, nxt, ctx)
            return self.conds.branch(ctx.graph, node.test, yes, no, node.lineno, f"if_{source(node.test, 40)}")
        if isinstance(node, ast.While):
            return self.while_(node, nxt, ctx)
        if isinstance(node, ast.For):
            return self.for_(node, nxt, ctx)
        if isinstance(node, (ast.Break, ast.Continue)):
            word = "break" if isinstance(node, ast.Break) else "continue"
            if ctx.loop is None:
                where = "in a for loop" if ctx.iteration else "outside a while loop"
                raise scope.error(node, f"`{word}` {where}", "cannot be compiled: the iterations of a for "
                                  "loop run separately on Step Functions; use a while loop")
            return ctx.loop[1] if word == "break" else ctx.loop[0]
        if isinstance(node, ast.Raise):
            return self.raise_(node, ctx)
        if isinstance(node, ast.Try):
            return self.try_(node, nxt, ctx)
        raise scope.error(node, f"`{source(node)}`: {type(node).__name__}", "cannot be compiled in a workflow")

    def expression(self, node: ast.Expr, nxt: str | None, ctx: Ctx) -> str | None:
        call = node.value
        if isinstance(call, ast.Constant) and isinstance(call.value, str):
            return nxt  # a string as a comment
        if isinstance(call, ast.Call):
            kind = self.callee(call)
            if kind == "wait":
                pre, state = states.wait(call, self.scope)
                return self.chain(ctx, node.lineno, "wait", [*pre, states.link(state, nxt)])
            if kind in ("task", "parallel"):
                return self.produce(call, node, None, nxt, ctx, "call")
        raise self.scope.error(node, f"`{source(node)}`: an expression statement", "does nothing in a state "
                               "machine (only task calls, parallel() and wait() do); print or log inside a task")

    def callee(self, call: ast.Call) -> str | None:
        """"task", "parallel", "wait" or None for what `call` calls."""
        if isinstance(call.func, ast.Name):
            found = self.scope.symbol(call.func.id)
            if found is not None and found.kind == "task":
                return "task"
            if found is not None and found.kind == "workflow":
                raise self.scope.error(call, f"`{source(call)}`: calling another workflow", "is not "
                                       "supported; call its tasks here, or start it from a task with .start()")
        name = self.scope.lz(call.func)
        if name in ("parallel", "wait"):
            return name
        owner = self.scope.symbol(call.func.value.id) if isinstance(call.func, ast.Attribute) \
            and isinstance(call.func.value, ast.Name) else None
        if name is None and owner is not None and owner.kind == "module":
            found = self.scope.project.symbol(owner.name, call.func.attr)  # type: ignore[attr-defined]
            if found is not None and found.kind == "task":
                raise self.scope.error(call, f"`{source(call)}`: a task called through its module",
                                       f"is not compiled; import it by name (from {owner.name} import "
                                       f"{call.func.attr})")  # type: ignore[attr-defined]
        return None

    def chain(self, ctx: Ctx, line: int, hint: str, items: list[dict[str, Any]]) -> str:
        """Add states that run one after the other (each links to the next); returns the first."""
        names = [ctx.graph.reserve(line, hint) for _ in items]  # in running order
        for name, state, following in zip(names, items, names[1:] + [None]):
            if following is not None:
                state["Next"] = following
            ctx.graph.put(name, state)
        return names[0]

    def catches(self, ctx: Ctx) -> list[dict[str, Any]]:
        out, covered = [], set()
        for frame in ctx.frames:
            for handler in frame:
                errors = [e for e in handler.errors if e not in covered]
                if errors:
                    out.append({"ErrorEquals": errors, "ResultPath": states.ERROR_PATH, "Next": handler.landing})
                    covered.update(errors)
                if ALL in errors:
                    return out
        return out

    def produce(self, expr: ast.expr, node: ast.stmt, rp: str | None, nxt: str | None, ctx: Ctx,
                hint: str) -> str | None:
        """States that compute `expr` and write it to `rp` ("$": the scope's output, a local path,
        or None: dropped)."""
        line = node.lineno
        if isinstance(expr, ast.Call):
            kind = self.callee(expr)
            if kind == "task":
                info = self.scope.symbol(expr.func.id).value  # type: ignore[attr-defined, union-attr]
                self.tasks.add(info.name)
                state = states.task(info, expr, self.scope, ctx.catch_names, self.catches(ctx), rp, nxt)
                return ctx.graph.add(line, f"{hint}_{info.name.rsplit('.', 1)[-1]}", state)
            if kind == "parallel":
                return self.parallel(expr, node, rp, None, nxt, ctx)
            if kind == "wait":
                raise self.scope.error(expr, "wait()", "returns nothing; call it as a statement of its own")
        if isinstance(expr, ast.ListComp):
            return self.comprehension(expr, node, rp, nxt, ctx)
        if rp is None:
            return nxt
        return self.chain(ctx, line, hint, states.computed(value(expr, self.scope), rp, nxt))

    def assign(self, target: ast.expr, expr: ast.expr, node: ast.stmt, nxt: str | None, ctx: Ctx) -> str | None:
        if isinstance(target, (ast.Tuple, ast.List)):
            names = [t.id for t in target.elts if isinstance(t, ast.Name)]
            if len(names) != len(target.elts) or not (isinstance(expr, ast.Call) and self.callee(expr) == "parallel"):
                raise self.scope.error(node, f"`{source(node)}`: unpacking", "is compiled for "
                                       "`a, b = parallel(...)` only; assign to one name and index it")
            return self.parallel(expr, node, None, names, nxt, ctx)
        if not isinstance(target, ast.Name):
            raise self.scope.error(node, f"`{source(node)}`: assigning to {source(target)}", "cannot be "
                                   "compiled; build a new dict or list and assign it to a name")
        return self.produce(expr, node, local_path(target.id), nxt, ctx, target.id)

    # ------------------------------------------------------------------------------- control flow
    def while_(self, node: ast.While, nxt: str | None, ctx: Ctx) -> str:
        if node.orelse:
            raise self.scope.error(node, "`while ... else`", "cannot be compiled; test after the loop")
        if nxt is None:
            raise self.scope.error(node, "a while loop at the end of a branch", "cannot be compiled here")
        head = ctx.graph.reserve(node.lineno, f"while_{source(node.test, 40)}")
        body = self.block(node.body, head, replace(ctx, loop=(head, nxt)))
        return self.conds.branch(ctx.graph, node.test, body or head, nxt, node.lineno,
                                 f"while_{source(node.test, 40)}", name=head)


def compile_workflow(project: Project, source_: WorkflowSource) -> tuple[dict[str, Any], set[str], int]:
    """(ASL definition, task names its Task states run, statements compiled) of one workflow."""
    compiler = Compiler(project, source_)
    definition = compiler.compile()
    return definition, compiler.tasks, compiler.statements
