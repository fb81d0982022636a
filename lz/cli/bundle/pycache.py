"""The bytecode cache: every .pyc a build compiled, found again by what decides its bytes.

A .pyc depends on the source's bytes, the file name it records (where the source sits in the
bundle, under /var/task), and the interpreter (version, flags). The key is a hash of the three, so
an entry is reused only where compiling again would give the same bytes: lz's own runtime and the
unchanged modules of an app on a warm build, and every package whose wheel did not change when
the requirements did (a new dependency compiles only its own files). Being keyed by content, an
entry never needs invalidating; a stale one is simply never asked for again.

Entries are written atomically (a name of this process and thread, then os.replace), so builds
sharing the cache never read half a file; an entry that does not start with the interpreter's magic number is ignored. A cache that
cannot be written to costs speed, never the build.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..paths import cache_root
from .files import TEMP_PREFIX

if TYPE_CHECKING:
    from .compile import Interpreter

FORMAT = b"lz-pyc-1"


class BytecodeCache:
    def __init__(self, python: Interpreter, root: Path | None = None) -> None:
        self.folder = (root or cache_root()) / "bytecode" / python.cache_tag
        self.magic = python.magic
        self.identity = python.identity().encode()
        self._folders: set[str] = set()  # made already: a cold build writes thousands of entries

    def key(self, filename: str, source_sha256: str) -> str:
        """The entry of the source with this SHA-256, compiled as `filename` (the path tracebacks
        will show)."""
        return hashlib.sha256(b"\0".join([FORMAT, self.identity, filename.encode("utf-8", "surrogateescape"),
                                          source_sha256.encode()])).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key[2:]}.pyc"

    def get(self, key: str) -> bytes | None:
        try:
            data = self._path(key).read_bytes()
        except OSError:
            return None
        return data if len(data) > 16 and data[:4] == self.magic else None

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        temp = path.with_name(f"{TEMP_PREFIX}{os.getpid()}-{threading.get_ident()}-{path.name}")
        try:
            if key[:2] not in self._folders:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._folders.add(key[:2])
            with open(temp, "wb") as handle:
                handle.write(data)
            os.replace(temp, path)
        except OSError:
            try:
                os.unlink(temp)
            except OSError:
                pass
