"""`try`/`except` and `raise WorkflowError` in a compiled workflow.

An `except` becomes a Catch on every Task, Map and Parallel state of its `try` body (in the same
States scope; inside a loop or a branch, the error reaches the Map or Parallel state, whose Catch
takes it). Handlers are matched in Python's order, innermost try first: the Catch entries come in
that order, and each step is told the class names the handlers name (steps.error_name), so a
subclass raised by a task is reported under its base's name when a handler names the base.
`except TaskError` (any task failure) is States.ALL, which must come last: what follows it is
unreachable in Python too. `raise WorkflowError` inside a try that catches it goes straight to the
handler; elsewhere it is a Fail state.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any

from . import states
from .context import ALL, Ctx, Handler
from .errors import source
from .expressions import value
from .values import Const, Intrinsic, Path, Template, local_path


class Catching:
    """Compiler methods for try/except/raise (mixed into compiler.Compiler)."""

    def raise_(self, node: ast.Raise, ctx: Ctx) -> str:
        scope = self.scope
        exc = node.exc
        call = exc if isinstance(exc, ast.Call) else None
        if exc is None or node.cause is not None or scope.lz(call.func if call else exc) != "WorkflowError":
            raise scope.error(node, f"`{source(node)}`:", "a workflow raises WorkflowError(\"message\") only "
                              "(a Fail state); raise other errors inside a task, or let a caught one go "
                              "by not catching it")
        if call is not None and (len(call.args) > 1 or call.keywords):
            raise scope.error(node, f"`{source(node)}`:", "WorkflowError takes one message")
        message = value(call.args[0], scope) if call is not None and call.args else Const("")
        if isinstance(message, Const):
            message = Const(str(message.value))
        elif isinstance(message, Path):
            message = Intrinsic(f"States.Format('{{}}', {message.path})")
        elif isinstance(message, Template):
            raise scope.error(node, f"`{source(node)}`:", "the message is a string")
        for frame in ctx.frames:
            for handler in frame:
                if handler.takes_raise:  # caught by a try around it, in this same scope: go there
                    if handler.bind is None:
                        return handler.body
                    fields: dict[str, Any] = {"error": "WorkflowError"}
                    fields.update([("cause", message.value)] if isinstance(message, Const)
                                  else [("cause.$", message.text)])  # type: ignore[union-attr]
                    return ctx.graph.add(node.lineno, "raise_caught", {
                        "Type": "Pass", "Parameters": fields, "ResultPath": local_path(handler.bind),
                        "Next": handler.body})
        if isinstance(message, Const):
            return ctx.graph.add(node.lineno, "raise", {"Type": "Fail", "Error": "WorkflowError",
                                                         "Cause": message.value})
        return self.chain(ctx, node.lineno, "raise", [
            {"Type": "Pass", "Parameters": {"v.$": message.text}, "ResultPath": "$.lz.v"},  # type: ignore[union-attr]
            {"Type": "Fail", "Error": "WorkflowError", "CausePath": "$.lz.v.v"}])

    def handler_errors(self, node: ast.ExceptHandler) -> tuple[tuple[str, ...], bool]:
        scope = self.scope
        if node.type is None:
            raise scope.error(node, "a bare `except:`", "would catch errors Step Functions cannot catch; "
                              "write `except TaskError` (any task failure) or name the class")
        kinds = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        errors: list[str] = []
        takes_raise = False
        for kind in kinds:
            name = scope.lz(kind)
            if name in ("TaskError", "StepFailed"):
                errors.append(ALL)
            elif name == "TaskTimeout":
                errors += ["TaskTimeout", "States.Timeout"]
            elif name == "WorkflowError":
                errors.append("WorkflowError")
                takes_raise = True
            elif isinstance(kind, ast.Name) and scope.symbol(kind.id) is not None:
                found = scope.symbol(kind.id)
                if found.kind == "builtin" and kind.id in ("Exception", "BaseException"):
                    raise scope.error(node, f"`except {kind.id}`", "would also catch errors of the "
                                      "workflow's own code, which Step Functions cannot catch; write `except "
                                      "TaskError` to catch any task failure")
                if found.kind not in ("class", "builtin", "external"):
                    raise scope.error(node, f"`except {kind.id}`", "names no exception class")
                errors.append(found.name.rsplit(".", 1)[-1])
            elif isinstance(kind, ast.Attribute):
                errors.append(kind.attr)
            else:
                raise scope.error(node, f"`except {source(kind)}`", "name the exception class")
        if ALL in errors:
            errors = [ALL]
        return tuple(dict.fromkeys(errors)), takes_raise

    def try_(self, node: ast.Try, nxt: str | None, ctx: Ctx) -> str | None:
        scope = self.scope
        if node.finalbody:
            raise scope.error(node, "`finally`", "cannot be compiled; repeat the cleanup after the try and "
                              "in each handler")
        handlers = []
        for h in node.handlers:
            errors, takes_raise = self.handler_errors(h)
            body = self.block(h.body, nxt, ctx)
            if body is None:
                raise scope.error(h, "an except block at the end of a branch", "cannot be compiled here")
            first = body if h.name is None else self.bind(h, body, ctx)
            handlers.append(Handler(errors, first, body, h.name, takes_raise))
        names = tuple(e for h in handlers for e in h.errors if not e.startswith("States."))
        inner = replace(ctx, frames=(tuple(handlers), *ctx.frames), catch_names=names + ctx.catch_names)
        after = self.block(node.orelse, nxt, ctx) if node.orelse else nxt
        return self.block(node.body, after, inner)

    def bind(self, handler: ast.ExceptHandler, target: str, ctx: Ctx) -> str:
        """The landing states that set `handler.name` to {"error", "cause"} before its body."""
        made = states.landing(handler.name, target)  # type: ignore[arg-type]
        names = {key: ctx.graph.reserve(handler.lineno, f"except_{handler.name}_{key}") for key in made}
        for key, state in made.items():
            for field_name in ("Next", "Default"):
                if str(state.get(field_name, "")).startswith("@"):
                    state[field_name] = names[state[field_name][1:]]
            for rule in state.get("Choices", []):
                rule["Next"] = names[rule["Next"][1:]]
            ctx.graph.put(names[key], state)
        return names["choice"]
