"""Built bundles stay out of git: lz's own repository ignores every .lz/ folder, and `lz init`
adds `.lz/` to the project's .gitignore (creating it, appending to it, never twice)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import ROOT, lz

APP = "from flask import Flask\n\napp = Flask(__name__)\n"


def _init(env, project: Path, *extra: str) -> None:
    result = lz(env, "init", "--yes", "--project", str(project), *extra)
    assert result.returncode == 0, result.stderr


def test_init_adds_lz_folder_to_a_new_or_existing_gitignore_once(lz_env, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "app.py").write_text(APP)
    _init(lz_env, fresh)
    assert ".lz/" in (fresh / ".gitignore").read_text().splitlines()

    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "app.py").write_text(APP)
    (kept / ".gitignore").write_text("*.log\nnode_modules")  # no final newline
    _init(lz_env, kept)
    _init(lz_env, kept, "--force")
    lines = (kept / ".gitignore").read_text().splitlines()
    assert lines[:2] == ["*.log", "node_modules"] and lines.count(".lz/") == 1

    already = tmp_path / "already"
    already.mkdir()
    (already / "app.py").write_text(APP)
    (already / ".gitignore").write_text("/.lz\n")
    _init(lz_env, already)
    assert (already / ".gitignore").read_text() == "/.lz\n"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_repository_ignores_built_bundles_of_the_examples() -> None:
    for path in ("example_flask/.lz/example-flask-dev.zip", "example_fastapi/.lz/dev.lock"):
        out = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT)
        assert out.returncode == 0, f"{path} is not ignored by .gitignore"
