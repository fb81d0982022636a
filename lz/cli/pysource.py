"""A project's Python file parsed once per process, for every reader of the project's code.

The registry (decorators), the workflow compiler (names across modules) and the deployer's grant
check (which tasks only workflows call) all read the same files with `ast`; a deploy would parse
each file three times. The file is read each time (cheap) and its tree cached by its text, so an
edited file is parsed again whatever its timestamps say. Callers must not change the tree.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path


def parsed(rel: str, path: Path) -> ast.Module | None:
    """The module's tree, named `rel` in syntax errors' messages; None when it cannot be read or
    does not parse (each reader decides what such a file means to it)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return _parse(rel, text)


@lru_cache(maxsize=1024)
def _parse(rel: str, text: str) -> ast.Module | None:
    try:
        return ast.parse(text, rel)
    except (SyntaxError, ValueError):  # ValueError: a NUL byte in the source
        return None
