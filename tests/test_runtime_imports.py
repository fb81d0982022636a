"""The runtime's import discipline: what a cold start pays for, and what must never ship.

Behaviour, not timing (timing is bench/adapters.py's job): importing lz.adapter must not drag in
asyncio, logging, json, urllib or any tooling, and the runtime files must import nothing outside the
standard library.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = [ROOT / "lz" / "__init__.py", *sorted((ROOT / "lz" / "tasks").rglob("*.py")),
           *sorted((ROOT / "lz" / "adapter").rglob("*.py")),
           *sorted((ROOT / "lz" / "runtime").rglob("*.py"))]
# The runtime's layers, bottom first: a package imports only those below it (DESIGN.md).
LAYERS = ["adapter", "tasks", "runtime"]
HEAVY = ["asyncio", "logging", "json", "urllib.parse", "inspect", "http", "base64", "re",
         "click", "boto3", "botocore", "rich", "werkzeug", "lz.cli"]


def _loaded_after(statement: str) -> set[str]:
    code = (
        "import sys; before = set(sys.modules); "
        f"{statement}; "
        "print('\\n'.join(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run([sys.executable, "-I", "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return set(out.stdout.split())


def test_importing_the_adapter_loads_nothing_heavy() -> None:
    loaded = _loaded_after("import lz.adapter")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_declaring_tasks_at_import_loads_nothing_heavy() -> None:
    loaded = _loaded_after("from lz import task, schedule, on_sqs\n"
                           "@task\ndef f(x): return x\n"
                           "@schedule('rate(1 hour)')\ndef g(): pass")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_adapting_a_wsgi_app_and_serving_a_request_loads_nothing_heavy() -> None:
    statement = (
        "import json as _j; sys.modules.pop('json', None); "  # the event arrives already parsed
        "from lz import adapt; "
        "h = adapt(lambda e, s: (s('200 OK', [('Content-Type', 'text/plain')]), [b'ok'])[1]); "
        "ev = {'version': '2.0', 'rawPath': '/', 'rawQueryString': '', 'headers': {'host': 'x'}, "
        "'requestContext': {'http': {'method': 'GET', 'sourceIp': '1.2.3.4'}, 'stage': '$default'}}; "
        "assert h(ev, None)['body'] == 'ok'"
    )
    loaded = _loaded_after(statement)
    assert not loaded & (set(HEAVY) - {"json"}), sorted(loaded & set(HEAVY))


def _imports(nodes) -> list[str]:
    names = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module or "")
    return names


def test_runtime_files_import_only_the_standard_library() -> None:
    """At module level: the standard library and lz's runtime only. Inside functions, boto3 too
    (the Lambda runtime provides it; task dispatch imports it on first use, as DESIGN says),
    django inside `lz manage`'s route (it only runs for a Django app, which brings it), and
    snapshot_restore_py, the SnapStart hooks module of Lambda's managed Python runtime."""
    stdlib = set(sys.stdlib_module_names)
    for path in RUNTIME:
        tree = ast.parse(path.read_text(), str(path))
        top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        nested = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                  and n not in top_level]
        for name, allowed in [(n, stdlib) for n in _imports(top_level)] + \
                             [(n, stdlib | {"boto3", "botocore", "django", "snapshot_restore_py"})
                              for n in _imports(nested)]:
            top = name.split(".")[0]
            assert top in allowed or (top == "lz" and not name.startswith("lz.cli")), (
                f"{path.relative_to(ROOT)} imports {name}: the runtime is standard library only"
            )


def _lz_packages_imported(path: Path) -> set[str]:
    """lz's runtime packages `path` imports, absolute or relative, anywhere in the file."""
    package = path.parent.relative_to(ROOT / "lz").parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(package[:len(package) - (node.level - 1)])
            parts = base + (node.module.split(".") if node.module else [a.name for a in node.names])
            found.add(parts[0] if parts else "")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]):
                if name.startswith("lz."):
                    found.add(name.split(".")[1])
    return found & set(LAYERS)


def test_no_runtime_package_imports_one_above_it() -> None:
    """adapter <- tasks <- runtime: the HTTP translation knows nothing of tasks or the entry, and
    tasks nothing of the entry, so each can be read and tested on its own."""
    for path in RUNTIME[1:]:
        own = path.relative_to(ROOT / "lz").parts[0]
        above = {p for p in _lz_packages_imported(path) if LAYERS.index(p) > LAYERS.index(own)}
        assert not above, f"{path.relative_to(ROOT)} imports lz.{', lz.'.join(sorted(above))}, a layer above it"
