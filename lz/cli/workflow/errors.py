"""The one error the workflow compiler raises: it names file:line, the construct, and what to write
instead. A construct the compiler cannot translate faithfully is refused, never approximated."""

from __future__ import annotations

import ast


class CompileError(Exception):
    """A workflow that cannot become a state machine as written; the message says where and why."""


def refuse(rel: str, node: ast.AST, construct: str, advice: str) -> CompileError:
    """`rel:line: construct: advice`, the shape every compile error has."""
    return CompileError(f"{rel}:{getattr(node, 'lineno', 0)}: {construct.rstrip(':')}: {advice}")


def source(node: ast.AST, limit: int = 60) -> str:
    """The construct as written (first line, shortened), for messages."""
    try:
        text = ast.unparse(node).splitlines()[0]
    except Exception:  # noqa: BLE001 - only for a message
        text = type(node).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
