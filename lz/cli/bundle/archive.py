"""Deterministic zip files: sorted entries, fixed timestamps and permissions, fixed compression,
so that the same inputs always give the same bytes (and the same CodeSha256 on Lambda)."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path
from typing import Iterable

EPOCH = (1980, 1, 1, 0, 0, 0)


def _info(arcname: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(arcname, EPOCH)
    executable = mode & stat.S_IXUSR
    info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # unix, whatever this machine is
    return info


def write(zip_path: Path, files: Iterable[tuple[str, Path]], append: bool = False) -> None:
    """Write (arcname, file) pairs, sorted by arcname, into `zip_path` (appending if asked)."""
    entries = sorted(files, key=lambda item: item[0])
    with zipfile.ZipFile(zip_path, "a" if append else "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for arcname, path in entries:
            mode = os.stat(path).st_mode
            zf.writestr(_info(arcname, mode), path.read_bytes())


def write_bytes(zip_path: Path, entries: Iterable[tuple[str, bytes]]) -> None:
    """Append generated files (arcname, content) to `zip_path`, sorted."""
    with zipfile.ZipFile(zip_path, "a", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for arcname, data in sorted(entries):
            zf.writestr(_info(arcname, 0o644), data)


def tree(root: Path, prefix: str = "") -> list[tuple[str, Path]]:
    """Every file under `root` as (arcname, path); arcnames use '/' and carry `prefix`."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            path = Path(dirpath, name)
            out.append((prefix + path.relative_to(root).as_posix(), path))
    return out
