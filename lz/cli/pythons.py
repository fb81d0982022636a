"""Finding an interpreter of a given Python version on this machine: pyenv, PATH, then uv.

Used to byte-compile bundles for their target and to run them under the local Lambda runtime. What
was found is remembered in lz's cache (checked against the file's mtime), because asking pyenv
shims and uv each time costs most of a second, which a warm rebuild cannot afford.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from .paths import cache_root, uv_path


def _cache_file() -> Path:
    return cache_root() / "pythons.json"


def _is_version(candidate: str, version: str) -> bool:
    try:
        out = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=30, env={**os.environ, "PYENV_VERSION": ""},
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == version


def _candidates(version: str):
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if root.is_dir():
        for entry in sorted(root.iterdir(), reverse=True):
            if entry.name.startswith(version + ".") and entry.name[len(version) + 1:].isdigit():
                yield str(entry / "bin" / f"python{version}")
    on_path = shutil.which(f"python{version}")
    if on_path and "/shims/" not in on_path:
        yield on_path
    uv = uv_path()
    if uv is not None:
        try:
            found = subprocess.run([uv, "python", "find", "--no-project", version],
                                   capture_output=True, text=True, timeout=30)
            if found.returncode == 0 and found.stdout.strip():
                yield found.stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            pass
    if on_path:
        yield on_path  # a pyenv shim last: slow, and only right if pyenv is set to this version


def find_python(version: str) -> str | None:
    """Path of a python`version` executable that really is that version, or None."""
    cache = _cache_file()
    try:
        known = json.loads(cache.read_text())
    except (OSError, ValueError):
        known = {}
    entry = known.get(version)
    if entry and Path(entry["path"]).exists() and os.stat(entry["path"]).st_mtime == entry["mtime"]:
        return entry["path"]
    for candidate in _candidates(version):
        if Path(candidate).exists() and _is_version(candidate, version):
            known[version] = {"path": candidate, "mtime": os.stat(candidate).st_mtime}
            try:
                from .bundle.files import write_atomic

                cache.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(cache, json.dumps(known))  # concurrent lz processes read it
            except OSError:
                pass
            return candidate
    return None
