"""The bytecode cache: every .pyc a build compiled, found again by what decides its bytes.

A .pyc depends on the source's bytes, the file name it records (where the source sits in the
bundle, under /var/task), and the interpreter (version, flags). The key is a hash of the three, so
an entry is reused only where compiling again would give the same bytes: lz's own runtime and the
unchanged modules of an app on a warm build, and every package whose wheel did not change when
the requirements did (a new dependency compiles only its own files). Being keyed by content, an
entry never needs invalidating; a stale one is simply never asked for again.

A dependency's sources are cached as one group entry per top-level package (numpy's ~200
modules in one file), keyed by the keys of its members: a cold build of a heavy app writes a few
dozen files instead of a thousand (creating a file costs ~0.2-0.5 ms here, a tenth of a heavy
build's CPU time at a thousand), and a build whose requirements changed reads one per unchanged
wheel. The app's and lz's own sources keep an entry each, so an edit recompiles that file only.

Entries are written atomically (a name of this process and thread, then os.replace), so builds
sharing the cache never read half a file; an entry that does not start with the interpreter's
magic number, or a group entry whose lengths do not add up, is ignored. A cache that cannot be
written to costs speed, never the build.
"""

from __future__ import annotations

import hashlib
import os
import struct
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..paths import cache_root
from .files import TEMP_PREFIX

if TYPE_CHECKING:
    from .compile import Interpreter

FORMAT = b"lz-pyc-1"
GROUP = b"lz-pyc-group-1"  # the first bytes of a group entry
_LENGTH = struct.Struct("<I")
FAILED = 0xFFFFFFFF  # a member's length in a group entry: the source did not compile, it ships as is


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

    def group_key(self, member_keys: list[str]) -> str:
        """The entry of a group whose members have these keys, in this order (each already names
        the source's content, its place and the interpreter)."""
        return hashlib.sha256(b"\0".join([GROUP, *(key.encode() for key in member_keys)])).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key[2:]}.pyc"

    def _valid(self, data: bytes) -> bool:
        return len(data) > 16 and data[:4] == self.magic

    def get(self, key: str) -> bytes | None:
        try:
            data = self._path(key).read_bytes()
        except OSError:
            return None
        return data if self._valid(data) else None

    def get_group(self, key: str, count: int) -> list[bytes | None] | None:
        """The `count` members of a group entry, in order: each one's .pyc, or None for a source
        that did not compile; None when there is no such entry, or it is damaged."""
        try:
            data = self._path(key).read_bytes()
        except OSError:
            return None
        if not data.startswith(GROUP):
            return None
        members: list[bytes | None] = []
        at = len(GROUP)
        for _ in range(count):
            if at + _LENGTH.size > len(data):
                return None
            (length,) = _LENGTH.unpack_from(data, at)
            at += _LENGTH.size
            if length == FAILED:
                members.append(None)
                continue
            pyc = data[at:at + length]
            if len(pyc) != length or not self._valid(pyc):
                return None
            members.append(pyc)
            at += length
        return members if at == len(data) else None

    def put_group(self, key: str, members: list[bytes | None]) -> None:
        """Write a group entry: each member's .pyc, or None for a source that did not compile."""
        parts = [GROUP]
        for pyc in members:
            parts.append(_LENGTH.pack(FAILED if pyc is None else len(pyc)))
            if pyc is not None:
                parts.append(pyc)
        self.put(key, b"".join(parts))

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
