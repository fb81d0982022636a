from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lz.cli.pythons import find_python

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def lz_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment lz commands run with: a cache of their own for this test session."""
    cache = tmp_path_factory.mktemp("lz-cache")
    env = {**os.environ, "LZ_CACHE_DIR": str(cache)}
    os.environ["LZ_CACHE_DIR"] = str(cache)  # for in-process helpers (LocalFunction's ric cache)
    return env


def lz(env: dict[str, str], *args: str, cwd: Path | None = None,
       input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lz.cli.main", *args], cwd=cwd or ROOT, env=env,
                          capture_output=True, text=True, timeout=600, input=input)


def project_copy(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copytree(ROOT / name, dest, ignore=shutil.ignore_patterns(".lz", "__pycache__"))
    return dest


def make_project(tmp_path: Path, settings: dict, files: dict[str, str] | None = None) -> Path:
    """A project under tmp_path/proj: its lz_settings.json and the given files (parents made)."""
    import json

    project = tmp_path / "proj"
    project.mkdir(parents=True, exist_ok=True)
    (project / "lz_settings.json").write_text(json.dumps(settings))
    for rel, text in (files or {}).items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    return project


def need_python(version: str) -> str:
    python = find_python(version)
    if python is None:
        print(f"SKIP reason: no Python {version} on PATH, in pyenv or through uv")
        pytest.skip(f"Python {version} not found (PATH, pyenv, uv python find)")
    return python
