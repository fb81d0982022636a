"""The test suite itself: no test module reads the clock when it is imported (issue 15 item 3).

A time taken at import is as old as the suite is long by the time a test uses it: `lz tail` looks
back 10 minutes from the wall clock, so a `NOW = time.time()` at the top of a module made its tests
fail whenever the suite reached them more than 10 minutes after collection. Time comes from the
test (a fixture or the test body), never from import. This walks every module under tests/ and
looks at the code that runs at import: module and class bodies, decorators, default values.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
CLOCKS = {
    "time.time", "time.time_ns", "time.monotonic", "time.monotonic_ns", "time.perf_counter",
    "time.perf_counter_ns", "time.localtime", "time.gmtime", "time.ctime", "time.strftime",
    "datetime.now", "datetime.utcnow", "datetime.today", "date.today",
    "datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today", "datetime.date.today",
}


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """`time.time` for `time.time`, for `t.time` after `import time as t`, and for `now` after
    `from time import time as now`; None for anything that is not a plain dotted name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def _aliases(tree: ast.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _import_time_nodes(tree: ast.Module):
    """Every node that runs when the module is imported: function and lambda bodies are left out,
    their decorators and default values are not."""
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            pending.extend(node.decorator_list)
            pending.extend(node.args.defaults)
            pending.extend(d for d in node.args.kw_defaults if d is not None)
            continue
        if isinstance(node, ast.Lambda):
            pending.extend(node.args.defaults)
            pending.extend(d for d in node.args.kw_defaults if d is not None)
            continue
        yield node
        pending.extend(ast.iter_child_nodes(node))


def clock_reads_at_import(source: str) -> list[str]:
    """`line: call` for each clock read that runs when `source` is imported."""
    tree = ast.parse(source)
    aliases = _aliases(tree)
    found = []
    for node in _import_time_nodes(tree):
        if isinstance(node, ast.Call):
            name = _dotted(node.func, aliases)
            if name in CLOCKS:
                found.append(f"{node.lineno}: {name}()")
    return sorted(found, key=lambda text: int(text.split(":")[0]))


@pytest.mark.parametrize("source, expected", [
    ("import time\nNOW = int(time.time() * 1000)\n", ["2: time.time()"]),
    ("from datetime import datetime\nclass T:\n    when = datetime.now()\n", ["3: datetime.datetime.now()"]),
    ("import time as t\ndef f(at=t.monotonic()):\n    return at\n", ["2: time.monotonic()"]),
    ("from time import time as now\nSTAMPS = [now() for _ in range(2)]\n", ["2: time.time()"]),
    ("import time\ndef f():\n    return time.time()\nslow = lambda: time.time()\n", []),
])
def test_the_check_finds_clock_reads_that_run_at_import(source: str, expected: list[str]) -> None:
    assert clock_reads_at_import(source) == expected


def test_no_test_module_reads_the_clock_at_import() -> None:
    modules = sorted(TESTS.rglob("*.py"))
    assert len(modules) > 20  # the walk found the suite
    offenders = {str(path.relative_to(TESTS)): found for path in modules
                 if (found := clock_reads_at_import(path.read_text()))}
    assert offenders == {}, ("read the clock in the test or a fixture, not at import: " + repr(offenders))


def test_no_bench_script_shadows_a_standard_library_module() -> None:
    """`python bench/x.py` puts bench/ first on sys.path, so a bench script named like a standard
    module is imported in its place by everything the bench loads: bench/secrets.py made
    Starlette's `from secrets import token_hex` fail, and adapters.py skipped FastAPI silently."""
    import sys

    bench = TESTS.parent / "bench"
    shadows = sorted(path.name for path in bench.glob("*.py") if path.stem in sys.stdlib_module_names)
    assert shadows == []
