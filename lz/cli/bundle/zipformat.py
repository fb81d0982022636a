"""The zip format, written by lz itself rather than by zipfile.

zipfile compresses each entry while it writes it, one after another on one thread. lz compresses
entries beforehand, in parallel (archive.Packer), and copies a cached archive's entries without
touching them, so it needs a writer that takes entries already compressed: this one. It writes
exactly what a reader needs and nothing that varies (times, owners, extra fields): every header
byte follows from the entry's name, mode, CRC, sizes and method, so the same entries always give
the same file.

Reference: PKWARE's APPNOTE.TXT (4.3.7 local header, 4.3.12 central directory header, 4.3.14-16
zip64 end records, 4.4.4 general purpose flag bit 11: UTF-8 names).
"""

from __future__ import annotations

import os
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

STORED, DEFLATED = 0, 8
VERSION = 20  # 2.0: deflate; written as both "made by" and "needed"
UNIX = 3 << 8  # "made by" host: the mode bits in external_attr are Unix ones
DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, the zip epoch (time 00:00:00 is 0)
UTF8 = 0x800

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_END64 = struct.Struct("<IQHHIIQQQQ")
_LOCATOR = struct.Struct("<IIQI")
_SIG_LOCAL, _SIG_CENTRAL, _SIG_END, _SIG_END64, _SIG_LOCATOR = (
    0x04034B50, 0x02014B50, 0x06054B50, 0x06064B50, 0x07064B50)
_MAX16, _MAX32 = 0xFFFF, 0xFFFFFFFF


@dataclass(frozen=True)
class Packed:
    """One entry ready to be written: its payload is already compressed (or stored)."""

    name: str
    mode: int  # the st_mode written into external_attr (0o100644 or 0o100755)
    crc: int
    size: int  # uncompressed
    method: int  # STORED or DEFLATED
    payload: bytes


class TooLarge(Exception):
    """An archive past the 4 GiB offsets of the plain zip format (far beyond what Lambda takes)."""


class ZipWriter:
    """Write Packed entries, in the order given, to `path`.

    With `base` (a zip this writer made), `path` starts as a copy of it: its entries stay byte for
    byte and the new ones follow, as zipfile's append mode would do, without reading them again.
    """

    def __init__(self, path: Path, base: Path | None = None) -> None:
        self._central: list[bytes] = []
        self._count = 0
        if base is None:
            self._out = open(path, "wb")
            return
        shutil.copyfile(base, path)
        self._out = open(path, "r+b")
        try:
            count, start, size = _directory(self._out)
            self._out.seek(start)
            self._central.append(self._out.read(size))
            self._count = count
            self._out.seek(start)
            self._out.truncate()
        except BaseException:
            self._out.close()
            raise

    def add(self, entry: Packed) -> None:
        name = entry.name.encode("utf-8")
        flags = 0 if entry.name.isascii() else UTF8
        offset = self._out.tell()
        if max(offset, entry.size, len(entry.payload)) >= _MAX32:
            raise TooLarge(f"{entry.name}: the archive would pass 4 GiB, which no Lambda function takes")
        self._out.write(_LOCAL.pack(_SIG_LOCAL, VERSION, flags, entry.method, 0, DOS_DATE, entry.crc,
                                    len(entry.payload), entry.size, len(name), 0))
        self._out.write(name)
        self._out.write(entry.payload)
        self._central.append(
            _CENTRAL.pack(_SIG_CENTRAL, UNIX | VERSION, VERSION, flags, entry.method, 0, DOS_DATE,
                          entry.crc, len(entry.payload), entry.size, len(name), 0, 0, 0, 0,
                          (entry.mode & 0xFFFF) << 16, offset) + name)
        self._count += 1

    def close(self) -> None:
        """Write the central directory and the end records (zip64 ones from 65,535 entries)."""
        try:
            start = self._out.tell()
            for record in self._central:
                self._out.write(record)
            size = self._out.tell() - start
            if start + size >= _MAX32:
                raise TooLarge("the archive would pass 4 GiB, which no Lambda function takes")
            count = self._count
            if count >= _MAX16:  # 0xFFFF itself marks "see the zip64 record" to lz's own reader
                end64 = self._out.tell()
                self._out.write(_END64.pack(_SIG_END64, _END64.size - 12, UNIX | 45, 45, 0, 0,
                                            count, count, size, start))
                self._out.write(_LOCATOR.pack(_SIG_LOCATOR, 0, end64, 1))
                count = _MAX16
            self._out.write(_END.pack(_SIG_END, 0, 0, count, count, size, start, 0))
        finally:
            self._out.close()

    def abandon(self) -> None:
        self._out.close()

    def __enter__(self) -> ZipWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self.abandon()


def _directory(handle) -> tuple[int, int, int]:
    """(entries, central directory offset, its size) of a zip this module wrote (no comment)."""
    handle.seek(0, os.SEEK_END)
    end = handle.tell() - _END.size
    if end < 0:
        raise ValueError("not a zip written by lz: too short")
    handle.seek(end)
    sig, _, _, _, count, size, start, comment = _END.unpack(handle.read(_END.size))
    if sig != _SIG_END or comment:
        raise ValueError("not a zip written by lz: no end record where lz puts it")
    if count == _MAX16:
        handle.seek(end - _LOCATOR.size)
        sig, _, end64, _ = _LOCATOR.unpack(handle.read(_LOCATOR.size))
        if sig != _SIG_LOCATOR:
            raise ValueError("not a zip written by lz: no zip64 locator")
        handle.seek(end64)
        sig, _, _, _, _, _, _, count, size, start = _END64.unpack(handle.read(_END64.size))
        if sig != _SIG_END64:
            raise ValueError("not a zip written by lz: no zip64 end record")
    return count, start, size
