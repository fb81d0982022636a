"""A requirement on lz itself is dropped with a note (issue 15, item 1): lz's runtime is in every
bundle already, and `lz` on the package index is an unrelated project ("Functional utilities",
which brings mypy along) that would otherwise ship beside it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from lz.cli.bundle.reqnames import self_lines, without_self
from tests.cli.conftest import lz, make_project

pytestmark = pytest.mark.slow


def test_requirement_lines_naming_lz_are_dropped_from_the_build_with_a_note(lz_env, tmp_path: Path) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app"}}, {
        "app.py": "app = None\n",
        "requirements.txt": "six==1.16.0\nlz==3.0.0  # the wrong one\nLZ_Lambda>=0.1\n",
    })
    out = lz(lz_env, "package", "dev", "--project", str(project))
    assert out.returncode == 0, out.stderr
    assert "left out the requirement 'lz==3.0.0  # the wrong one' of requirements.txt" in out.stderr
    assert "'LZ_Lambda>=0.1'" in out.stderr and "unrelated project" in out.stderr
    names = zipfile.ZipFile(project / ".lz" / "proj-dev.zip").namelist()
    assert any(n.startswith("six-1.16.0.dist-info/") for n in names)  # the rest was installed
    assert not any(n.startswith(("lz-3", "mypy", "lz_lambda")) for n in names)
    assert "lz/tasks/names.py" in names  # lz's own runtime, as always


def test_only_lz_lines_go_and_relative_includes_still_resolve(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("six\n")
    req = tmp_path / "requirements.txt"
    req.write_text("-r base.txt\nlz\nflask>=3  # web\n-e ./libs/mine\nlzma-tools\n")
    assert self_lines(req) == ["lz"]
    text = without_self(req)
    assert f"-r {tmp_path / 'base.txt'}" in text and f"-e {tmp_path / 'libs/mine'}" in text
    assert "flask>=3  # web" in text and "lzma-tools" in text and "\nlz\n" not in text
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\nversion = "1"\ndependencies = ["flask", "lz-lambda==0.1.0"]\n')
    assert self_lines(pyproject) == ["lz-lambda==0.1.0"] and without_self(pyproject) == "flask\n"
