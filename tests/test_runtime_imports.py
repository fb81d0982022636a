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
RUNTIME = [ROOT / "lz" / "__init__.py", *sorted((ROOT / "lz" / "adapter").rglob("*.py"))]
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


def test_runtime_files_import_only_the_standard_library() -> None:
    stdlib = set(sys.stdlib_module_names)
    for path in RUNTIME:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in stdlib or top == "lz" and not name.startswith("lz.cli"), (
                    f"{path.relative_to(ROOT)} imports {name}: the runtime is standard library only"
                )
