"""Is the app's attribute there? `"app": "app:missing"` would package, plan and upload fine and fail
only at the first cold start; reading the module (never running it, as `lz init` does) catches it
before anything is built or uploaded.

A name counts as defined when the module binds it at module level: assignment (also inside
if/try/with/for/while blocks), def, class, import, `global` in a function, or a walrus. A module
that can bind names in ways this cannot see (`from x import *`, `globals()`, a module-level
`__getattr__`) is given the benefit of the doubt, and so is a package whose submodule has the name.

Run as a script (`python appcheck.py FILE`) it prints the names FILE binds as JSON: the build uses
that with the target's interpreter when the file uses syntax newer than the one running lz.
"""

from __future__ import annotations

import ast
import difflib
import json
import subprocess
import sys
from pathlib import Path

DYNAMIC = "*"  # the module may bind anything


def bound_names(tree: ast.Module) -> set[str]:
    """Names the module binds at import time (DYNAMIC among them when it can bind any)."""
    names: set[str] = set()

    def targets(node: ast.AST) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                names.add(sub.id)

    def block(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    targets(target)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                targets(node.target)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name == "*":
                        names.add(DYNAMIC)
                    else:
                        names.add(alias.asname or alias.name.split(".")[0])
            elif type(node).__name__ == "TypeAlias":  # `type X = ...` (3.12+)
                targets(node.name)  # type: ignore[attr-defined]
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                targets(node.target)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        targets(item.optional_vars)
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(node, field, None)
                if isinstance(inner, list) and not isinstance(
                        node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    block(inner)
            for handler in getattr(node, "handlers", []):
                if handler.name:
                    names.add(handler.name)
                block(handler.body)
            if sys.version_info >= (3, 10) and isinstance(node, ast.Match):
                for case in node.cases:
                    block(case.body)

    block(tree.body)
    for node in ast.walk(tree):
        if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Global):
            names.update(node.names)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                "globals", "setattr", "exec"):
            names.add(DYNAMIC)
    if "__getattr__" in names:
        names.add(DYNAMIC)
    return names


def names_in(path: Path, target_python: str | None, target_version: str) -> set[str] | None:
    """The names `path` binds, or None when it cannot be told (syntax this interpreter lacks and
    no interpreter of the target version to read it)."""
    source = path.read_bytes()
    try:
        return bound_names(ast.parse(source, str(path)))
    except SyntaxError as exc:
        error = exc
    newer = tuple(int(p) for p in target_version.split(".")) > sys.version_info[:2]
    if newer and target_python:
        out = subprocess.run([target_python, __file__, str(path)], capture_output=True, text=True)
        if out.returncode == 0:
            return set(json.loads(out.stdout))
        if "SyntaxError" not in out.stderr:
            return None
    elif newer:
        return None
    raise SyntaxError(f"{error.msg} (line {error.lineno})")


def missing_attribute(app_spec: str, files: dict[str, Path], target_python: str | None,
                      target_version: str) -> str | None:
    """The error for an `app` whose attribute its module does not define, or None when it does
    (or when that cannot be told)."""
    module, _, attr = app_spec.partition(":")
    first = attr.split(".")[0]
    base = module.replace(".", "/")
    arcname = f"{base}.py" if f"{base}.py" in files else f"{base}/__init__.py"
    if arcname not in files:
        return None  # the missing module has its own error
    if arcname.endswith("__init__.py") and (f"{base}/{first}.py" in files
                                           or f"{base}/{first}/__init__.py" in files):
        return None  # a submodule of the package
    try:
        names = names_in(files[arcname], target_python, target_version)
    except SyntaxError as exc:
        return (f'"app": "{app_spec}": {arcname} does not parse as Python {target_version}: {exc}; '
                "fix the file before packaging")
    if names is None or DYNAMIC in names or first in names:
        return None
    public = sorted(n for n in names if not n.startswith("_"))
    close = difflib.get_close_matches(first, public, n=1, cutoff=0.5)
    hint = f' (did you mean "{module}:{close[0]}"?)' if close else ""
    listing = ", ".join(public[:12]) + (", ..." if len(public) > 12 else "")
    return (f'"app": "{app_spec}": {arcname} defines no "{first}" at module level{hint}; '
            f"it defines: {listing or 'nothing'}. Set \"app\" to module:attribute of your WSGI/ASGI app")


if __name__ == "__main__":
    print(json.dumps(sorted(bound_names(ast.parse(Path(sys.argv[1]).read_bytes(), sys.argv[1])))))
