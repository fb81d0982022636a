"""Byte-compiling a bundle with an interpreter of its target Python version.

/var/task is read-only on Lambda, so a bundle without bytecode recompiles every module it imports on
every cold start. The .pyc files are hash-based and unchecked: valid whatever the files' timestamps
(a zip's are fixed), and never compared against the sources at import.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..pythons import find_python


def compile_tree(root: Path, python: str, sourceless: bool = False) -> None:
    """Byte-compile every .py under `root` with `python`.

    By default the .pyc goes to __pycache__/ beside its source. `sourceless` writes it in the
    legacy place (x.pyc beside x.py) and then deletes the source: the module imports from the .pyc
    alone, which is smaller and skips the __pycache__ lookup, at the price of tracebacks without
    source lines. Files that do not compile (Python 2 leftovers in some packages) keep their
    source, as pip does.
    """
    many = sum(1 for _ in root.rglob("*.py")) > 200  # a worker pool only pays off on big trees
    cmd = [python, "-X", "no_debug_ranges", "-m", "compileall", "-q", "-q", "-j", "0" if many else "1",
           "--invalidation-mode", "unchecked-hash", "-d", "/var/task"]
    if sourceless:
        cmd.append("-b")
    subprocess.run(cmd + [str(root)], capture_output=True, text=True, check=False)
    if sourceless:
        for source in root.rglob("*.py"):
            if source.with_suffix(".pyc").is_file():
                source.unlink()


def target_python(version: str) -> str | None:
    return find_python(version)
