"""The adapter suite again, under each Lambda target Python found on the machine.

3.12+ takes the eager-task path of the ASGI front end, which the 3.11 run cannot reach. Only pytest
and hypothesis are installed there, and lz itself is put on the path, not installed: the runtime must
run on the standard library alone. Framework tests skip there (they run in the main suite).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lz.cli.pythons import find_python

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".venv-targets"


def _venv(python: str, version: str) -> Path:
    target = CACHE / version
    marker = target / ".ready"
    if not marker.exists():
        subprocess.run([python, "-m", "venv", "--clear", str(target)], check=True)
        subprocess.run([str(target / "bin" / "python"), "-m", "pip", "install", "-q",
                        "pytest>=8", "hypothesis>=6.100"], check=True)
        marker.write_text("ok")
    return target / "bin" / "python"


@pytest.mark.slow
@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_adapter_suite_passes_on_target_python(version: str) -> None:
    if sys.version_info[:2] == tuple(map(int, version.split("."))):
        pytest.skip(f"this run is already Python {version}")
    python = find_python(version)
    if python is None:
        print(f"SKIP reason: no Python {version} on PATH or in pyenv")
        pytest.skip(f"Python {version} not found on PATH or in pyenv")
    interpreter = _venv(python, version)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYENV_VERSION": ""}
    # `-o addopts=`: the repository's addopts ask for pytest-xdist, which this venv does not have
    out = subprocess.run(
        [str(interpreter), "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider", "tests/adapter",
         "--ignore", "tests/adapter/test_target_pythons.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    tail = "\n".join(out.stdout.splitlines()[-25:])
    assert out.returncode == 0, f"Python {version}:\n{tail}\n{out.stderr[-2000:]}"
    assert " passed" in tail and "failed" not in tail
