"""Dependencies' own test suites (pandas/tests is 22 MiB) are left out of the bundle.

A folder named tests/ or test/ inside an installed package is dropped, unless:
- the package is listed in the `keep_tests` setting (its distribution or import name, or "*");
- code that runs when the package is imported needs it: some module outside the test folders
  imports it at module level (absolute, `import pkg.tests.x`, or relative, `from .tests import x`),
  directly or through another kept test folder. django/test/ stays for that reason, since
  django.contrib modules import django.test at module level. Imports inside functions only run
  when called (numpy's and mpmath's `test()` helpers), so they do not keep a folder.

Top-level folders of the site (a stray `tests` package some wheels install) are left alone.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
from pathlib import Path

from .reqnames import normalize

TEST_DIRS = ("tests", "test")
_MAYBE = re.compile(rb"(?m)^[ \t]*(?:from|import)[ \t][^\n]*(?:\n[^\n]*){0,8}")
_WORD = re.compile(rb"\btests?\b")


def _module_of(site: Path, path: Path) -> str:
    parts = list(path.relative_to(site).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(site: Path, path: Path) -> set[str]:
    """Modules `path` imports at module level (absolute names; relative ones resolved), only
    for files whose import lines mention a test folder at all (most do not: no parse)."""
    data = path.read_bytes()
    if b"test" not in data or not any(_WORD.search(m.group(0)) for m in _MAYBE.finditer(data)):
        return set()
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return set()
    module = _module_of(site, path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def block(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parent = ".".join(parts[:len(parts) - node.level + 1])
                    base = f"{parent}.{base}".strip(".") if base else parent
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(node, field, None)
                if isinstance(inner, list):
                    block(inner)
            for handler in getattr(node, "handlers", []):
                block(handler.body)

    block(tree.body)
    return found


def _kept_by_setting(site: Path, top: str, keep: list[str]) -> bool:
    names = {normalize(top)}
    for info in site.glob("*.dist-info"):
        tops = info / "top_level.txt"
        record = info / "RECORD"
        listed = tops.read_text().split() if tops.is_file() else []
        if not listed and record.is_file():
            listed = [line.split("/", 1)[0] for line in record.read_text().splitlines() if "/" in line]
        if top in listed:
            names.add(normalize(info.name[:-len(".dist-info")].rsplit("-", 1)[0]))
    return any(fnmatch.fnmatch(name, normalize(pattern)) for name in names for pattern in keep)


def _python_files(folder: Path, skip: set[str] = frozenset()) -> list[Path]:
    """The .py files under `folder`, not descending into the folders in `skip`."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) not in skip]
        found.extend(Path(dirpath, name) for name in filenames if name.endswith(".py"))
    return found


def test_folders(site: Path, keep: list[str]) -> dict[str, Path]:
    """The folders that may be left out: every outermost tests/ or test/ inside a package of
    `site` that `keep` does not name, as {dotted module: folder}. Only a walk of the folders:
    the build compiles everything outside them meanwhile, while `unneeded` reads the sources."""
    candidates: dict[str, Path] = {}  # dotted module -> folder (outermost test folders only)
    packages = (p for p in site.iterdir() if p.is_dir() and not p.name.endswith((".dist-info", ".data")))
    for top in sorted(packages):
        if top.name in TEST_DIRS or keep and _kept_by_setting(site, top.name, keep):
            continue
        for dirpath, dirnames, _ in os.walk(top):
            dirnames.sort()
            for name in [d for d in dirnames if d in TEST_DIRS]:
                folder = Path(dirpath, name)
                candidates[_module_of(site, folder / "__init__.py")] = folder
                dirnames.remove(name)
    return candidates


def unneeded(site: Path, candidates: dict[str, Path]) -> list[str]:
    """The `candidates` (test_folders) that no code run at import needs, as sorted site paths.

    Only code that runs at import decides, so only the ordinary modules are read first; a test
    folder's own modules are read only once something needs that folder (most never are: reading
    and parsing pandas' tests was most of the time this step took).
    """
    if not candidates:
        return []

    def inside(module: str) -> str | None:
        return next((c for c in candidates if module == c or module.startswith(c + ".")), None)

    ordinary: set[str] = set()
    for path in _python_files(site, {str(folder) for folder in candidates.values()}):
        ordinary.update(_imports(site, path))
    needed: set[str] = set()
    todo = [ordinary]
    while todo:
        for module in todo.pop():
            folder = inside(module)
            if folder is not None and folder not in needed:
                needed.add(folder)
                todo.append({name for path in _python_files(candidates[folder])
                             for name in _imports(site, path)})
    return sorted(folder.relative_to(site).as_posix() for module, folder in candidates.items()
                  if module not in needed)
