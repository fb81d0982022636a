"""What the last collectstatic of a stage was run on, so that a rebuild with nothing changed skips
Django (1-2 s a build, even for a project without django.contrib.staticfiles).

The memo (.lz/static/STAGE.json) keeps a digest of every input: the interpreter, the cached
dependencies' zip (its size and time), the stage's environment and settings module, every project
file's size and time, and every file under the folders Django's finders searched outside the
dependencies (STATICFILES_DIRS may be a build output lz does not ship, e.g. dist/). Any change
there runs collectstatic again; a memo that cannot be read is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

FORMAT = 1  # bump when what collectstatic produces for the same inputs changes in lz


def memo_path(dest: Path) -> Path:
    return dest.parent / f"{dest.name}.json"


def inputs(python: str, deps_zip: Path | None, environment: dict[str, str], module: str,
           files: dict[str, Path]) -> dict[str, Any]:
    """Everything besides the finders' folders that decides what collectstatic writes."""
    def stat(path: Path) -> list[int]:
        try:
            info = path.stat()
            return [info.st_size, info.st_mtime_ns]
        except OSError:
            return [-1, -1]

    return {"format": FORMAT, "python": python, "deps": [str(deps_zip), *stat(deps_zip)] if deps_zip else None,
            "environment": sorted(environment.items()), "module": module,
            "files": sorted((arc, *stat(Path(path))) for arc, path in files.items())}


def _tree(folder: str) -> list[tuple[str, int, int]]:
    out = []
    for base, _, names in os.walk(folder):
        for name in names:
            try:
                info = os.stat(os.path.join(base, name))
            except OSError:
                continue
            out.append((os.path.relpath(os.path.join(base, name), folder), info.st_size, info.st_mtime_ns))
    return sorted(out)


def digest(given: dict[str, Any], sources: list[str]) -> str:
    trees = [(folder, _tree(folder)) for folder in sorted(sources)]
    return hashlib.sha256(json.dumps([given, trees], default=str).encode()).hexdigest()


def lookup(dest: Path, given: dict[str, Any]) -> dict[str, Any] | None:
    """The memo of the last run when nothing changed since ({"installed", "url"}), else None."""
    try:
        memo = json.loads(memo_path(dest).read_text())
        if memo["digest"] != digest(given, memo["sources"]):
            return None
        if memo["installed"] and not dest.is_dir():
            return None
        return memo
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(dest: Path, given: dict[str, Any], sources: list[str], result: dict[str, Any]) -> None:
    memo = {"digest": digest(given, sources), "sources": sorted(sources),
            "installed": bool(result.get("installed")), "url": result.get("url")}
    memo_path(dest).write_text(json.dumps(memo))


def forget(dest: Path) -> None:
    try:
        memo_path(dest).unlink()
    except OSError:
        pass
