"""The user's own files: the project directory minus junk and minus anything secret-looking.

Files under vendor/ go to the root of the bundle (vendor/docopt.py is imported as docopt), the
place for pure-Python copies of packages that publish no wheel, as in Chalice.

Secrets are not silently dropped: each one left out is named in the build output, and the `include`
setting ships it anyway when it really belongs in the bundle.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..settings import FILENAME

JUNK_DIRS = {
    ".git", ".hg", ".svn", "__pycache__", "node_modules", "build", "dist", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".idea", ".vscode", "htmlcov",
    "tests", "test", ".lz", ".venv", "venv", ".eggs",
}
JUNK_FILES = ["*.pyc", "*.pyo", ".DS_Store", ".coverage", "*.egg-info", FILENAME, "*.zip",
              ".gitignore", ".dockerignore"]
SECRETS = [".env", ".env.*", "*.pem", "*.key", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
           "*.p12", "*.pfx", ".netrc", ".pypirc", ".npmrc", "credentials", ".aws"]


@dataclass
class Collected:
    files: list[tuple[str, Path]] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)  # left out as secret-looking
    excluded: int = 0


def _matches(rel: str, name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in patterns)


def collect(root: Path, include: list[str], exclude: list[str]) -> Collected:
    """Walk `root`; `include` globs win over every exclusion, `exclude` globs add to the junk list."""
    out = Collected()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        keep_dirs = []
        for name in sorted(dirnames):
            rel = (here / name).relative_to(root).as_posix()
            forced = _matches(rel, name, include) or any(p.startswith(rel + "/") for p in include)
            if not forced:
                if (here / name / "pyvenv.cfg").exists() or name in JUNK_DIRS or name.endswith(".egg-info"):
                    out.excluded += 1
                    continue
                if _matches(rel, name, SECRETS):
                    out.secrets.append(rel + "/")
                    continue
                if _matches(rel, name, exclude) or _matches(rel + "/", name, exclude):
                    out.excluded += 1
                    continue
            keep_dirs.append(name)
        dirnames[:] = keep_dirs
        for name in sorted(filenames):
            path = here / name
            rel = path.relative_to(root).as_posix()
            if not _matches(rel, name, include):
                if _matches(rel, name, JUNK_FILES) or _matches(rel, name, exclude):
                    out.excluded += 1
                    continue
                if _matches(rel, name, SECRETS):
                    out.secrets.append(rel)
                    continue
            if path.is_file():
                out.files.append((rel.removeprefix("vendor/"), path))
    return out
