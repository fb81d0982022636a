"""lz is distributed as `lz-lambda` (issue 15, item 1): `lz` on the package index is an unrelated
project, so a user who installs or requires "lz" gets something else. The command and the import
name stay `lz`."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_distribution_is_lz_lambda_and_never_names_itself_lz() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "lz-lambda"
    extras = [r for reqs in project["optional-dependencies"].values() for r in reqs]
    assert not [r for r in extras if r.split("[")[0].strip() == "lz"]
    assert project["scripts"] == {"lz": "lz.cli.main:cli"}


def test_the_installed_command_reports_its_version() -> None:
    assert metadata.version("lz-lambda")
    out = subprocess.run([sys.executable, "-m", "lz.cli.main", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip().endswith(metadata.version("lz-lambda"))
