"""What the compiler knows where it stands: the try handlers around a statement, the enclosing
while loop, and whether it is inside a Map iteration or a Parallel branch (own States scope)."""

from __future__ import annotations

from dataclasses import dataclass

from .graph import Graph

ALL = "States.ALL"


@dataclass(frozen=True)
class Handler:
    errors: tuple[str, ...]
    landing: str  # where a Catch goes (the handler's first state, after binding `as e`)
    body: str  # the handler's body, for a `raise WorkflowError` in the try (bound directly)
    bind: str | None
    takes_raise: bool


@dataclass(frozen=True)
class Ctx:
    graph: Graph
    frames: tuple[tuple[Handler, ...], ...] = ()  # try handlers around this scope, innermost first
    catch_names: tuple[str, ...] = ()  # every enclosing handler's class names (steps.error_name)
    loop: tuple[str, str] | None = None  # (head, after) of the enclosing while
    iteration: bool = False  # a Map iteration or a Parallel branch: no return, no break
