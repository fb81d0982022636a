"""Finding an interpreter of a given Python version on this machine: PATH, pyenv, then uv.

Used to byte-compile bundles for their target and to run them under the local Lambda runtime.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def find_python(version: str) -> str | None:
    """Path of a python`version` executable that really is that version, or None."""
    candidates = [shutil.which(f"python{version}")]
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    if Path(uv).exists():
        try:
            found = subprocess.run([uv, "python", "find", "--no-project", version],
                                   capture_output=True, text=True, timeout=30)
            if found.returncode == 0 and found.stdout.strip():
                candidates.append(found.stdout.strip())
        except (OSError, subprocess.TimeoutExpired):
            pass
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if root.is_dir():
        for entry in sorted(root.iterdir(), reverse=True):
            if entry.name.startswith(version + "."):
                candidates.append(str(entry / "bin" / f"python{version}"))
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            continue
        try:
            out = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True, text=True, timeout=30,
                env={**os.environ, "PYENV_VERSION": ""} if "/shims/" not in candidate else os.environ,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip() == version:
            return candidate
    return None
