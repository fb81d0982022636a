"""Where lz keeps its cache, and where the uv binary is: one answer for every part of the CLI."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def cache_root() -> Path:
    """LZ_CACHE_DIR, else $XDG_CACHE_HOME/lz, else ~/.cache/lz; always absolute, so that no part
    of lz (a build run from inside the project, say) mistakes the cache for project files."""
    base = os.environ.get("LZ_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "lz")
    return Path(base).expanduser().absolute()


def project_file(root: Path, relative: str, cache_folder: str, cache_name: str) -> Path:
    """`root/relative` (its folder made), or, when the project cannot be written to (a read-only
    checkout, a container), `cache_folder/<digest of root>-cache_name` in lz's cache: one place
    per project either way."""
    import hashlib

    local = root / relative
    try:
        local.parent.mkdir(parents=True, exist_ok=True)
        return local
    except OSError:
        digest = hashlib.sha256(str(root).encode()).hexdigest()[:16]
        return cache_root() / cache_folder / f"{digest}-{cache_name}"


def uv_path() -> str | None:
    """The uv binary: on PATH, beside this Python (a venv's bin/), or the one the uv package ships."""
    found = shutil.which("uv")
    if found:
        return found
    beside = Path(sys.executable).with_name("uv")
    if beside.exists():
        return str(beside)
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return None
