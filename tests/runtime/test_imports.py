"""lz/runtime/ ships in every bundle and starts every execution environment: standard library only,
never the tooling, and a cold start that loads only what the loop uses."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# the loop's modules (dispatch.py and commands.py are checked with the rest of the runtime by
# tests/test_runtime_imports.py; commands.py imports the app's own Django when asked to)
RUNTIME = sorted(p for p in (ROOT / "lz" / "runtime").glob("*.py") if p.name not in ("dispatch.py", "commands.py"))


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_runtime_imports_the_standard_library_only() -> None:
    for path in RUNTIME:
        for name in _imported(path):
            top = name.split(".")[0]
            allowed = top in sys.stdlib_module_names or name == "snapshot_restore_py" or (
                top == "lz" and not name.startswith("lz.cli"))
            assert allowed, f"{path.name} imports {name}"


def test_starting_the_loop_loads_nothing_it_does_not_use() -> None:
    code = ("import sys; before = set(sys.modules); "
            "import lz.runtime.bootstrap, lz.runtime.loop, lz.runtime.client, lz.runtime.context; "
            "print('\\n'.join(sorted(set(sys.modules) - before)))")
    out = subprocess.run([sys.executable, "-I", "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    loaded = set(out.stdout.split())
    heavy = {"http", "http.client", "email", "asyncio", "traceback", "base64", "typing", "inspect",
             "urllib", "ssl", "socket", "selectors", "lz.cli", "lz.adapter", "lz.tasks", "boto3"}
    assert not loaded & heavy, sorted(loaded & heavy)
