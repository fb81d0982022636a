"""Deterministic zip files, compressed in parallel.

Same inputs, same bytes (and the same CodeSha256 on Lambda): entries are written sorted by name,
with fixed timestamps and permissions, and each entry's compression depends on its name and
content only. Entries are compressed on a pool of threads (zlib releases the GIL while it
deflates), then written in order: how many threads did the work, or in which order they finished,
cannot change a byte, so a serial build and a parallel one give the same file.

Deflate is zlib-ng's (the zlib-ng package, a dependency of lz's CLI) when it can be imported, else
the standard library's zlib: both write valid deflate streams; zlib-ng takes a third to a half of
zlib's time at the same level for the same size (a heavy app's 93 MiB of shared libraries at level
4: 1.0 s for 32.3 MiB against zlib's 1.6 s for 32.1 MiB; at level 6, 1.3 s against 3.9 s). Each is
deterministic, so a rebuild gives the same bytes; `DEFLATER` names the one in use, and the cache of
dependencies is keyed by it.

How each entry is stored (the same heavy app's 93 MiB of shared libraries with zlib: level 6 took
4.1 s for 30.9 MiB, level 4 1.7 s for 32.1 MiB, level 1 1.2 s for 34.8 MiB; with zlib-ng, best of
3: level 5 1.12 s for 31.8 MiB, 4 0.99 s for 32.3, 3 0.86 s for 32.9, 2 0.71 s for 34.3, 1 0.37 s
for 41.2):
- formats that are compressed already (images, archives, fonts): stored, no time spent on them;
- shared libraries (.so): deflate level 3, 1.8x faster than level 6 for 4 % more bytes (level 2
  would save another 0.15 s for 4 % more again, level 1 is a quarter bigger);
- everything else (bytecode, sources, text): deflate level 6;
- any entry that deflate does not shrink: stored.
The deflated cache of dependencies is built once per requirements, so the size is what every
deploy uploads and the time is paid once; hence level 6 where it pays.
"""

from __future__ import annotations

import os
import stat
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Iterable

from .zipformat import DEFLATED, STORED, Packed, ZipWriter

try:  # the same deflate format, faster; it releases the GIL while it works, as zlib does
    from zlib_ng import zlib_ng as zlib

    DEFLATER = f"zlib-ng {zlib.ZLIBNG_VERSION}"
except ImportError:  # pragma: no cover - lz's CLI depends on zlib-ng; a copy without it still builds
    import zlib

    DEFLATER = f"zlib {zlib.ZLIB_RUNTIME_VERSION}"

EPOCH = (1980, 1, 1, 0, 0, 0)  # every entry's timestamp
TEXT_LEVEL = 6
INLINE = 16 * 1024  # entries smaller than this are compressed on the thread that adds them
BINARY_LEVEL = 3
ALREADY_COMPRESSED = (
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".ico", ".gz", ".tgz", ".bz2", ".xz", ".lzma",
    ".zst", ".zip", ".whl", ".egg", ".jar", ".7z", ".br", ".woff", ".woff2", ".mp3", ".mp4", ".ogg",
)


def file_mode(st_mode: int) -> int:
    """The mode an entry gets: 0o100755 if its owner may execute it, else 0o100644."""
    return 0o100755 if st_mode & stat.S_IXUSR else 0o100644


def level_for(name: str) -> int:
    """Deflate level for an entry named `name`; 0 means stored."""
    base = name.rsplit("/", 1)[-1].lower()
    if base.endswith(ALREADY_COMPRESSED):
        return 0
    if base.endswith(".so") or ".so." in base:
        return BINARY_LEVEL
    return TEXT_LEVEL


def pack(name: str, data: bytes, mode: int = 0o100644) -> Packed:
    """One entry, compressed as level_for() says (stored when deflate would not shrink it)."""
    crc = zlib.crc32(data)
    level = level_for(name)
    if level:
        deflate = zlib.compressobj(level, zlib.DEFLATED, -15)
        payload = deflate.compress(data) + deflate.flush()
        if len(payload) < len(data):
            return Packed(name, file_mode(mode), crc, len(data), DEFLATED, payload)
    return Packed(name, file_mode(mode), crc, len(data), STORED, data)


def pack_file(name: str, path: Path) -> Packed:
    with open(path, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        return pack(name, handle.read(), mode)


def jobs_default() -> int:
    """Threads and processes a build may use: LZ_BUILD_JOBS, else one per CPU."""
    setting = os.environ.get("LZ_BUILD_JOBS", "").strip()
    if setting:
        if not setting.isdigit() or int(setting) < 1:
            raise ValueError(f"LZ_BUILD_JOBS={setting!r}: give a whole number of parallel jobs, 1 or more "
                             "(1 builds on one thread), or unset it to use one per CPU")
        return int(setting)
    return os.cpu_count() or 1


class Packer:
    """Entries being compressed while the caller goes on; `write` puts them in a zip, sorted.

    Entries may be added from several threads. With `jobs` 1 each entry is compressed as it is
    added, on the caller's thread. A name added twice keeps the last one added.
    """

    def __init__(self, jobs: int) -> None:
        self._pool = ThreadPoolExecutor(jobs, thread_name_prefix="lz-pack") if jobs > 1 else None
        self._entries: dict[str, Future[Packed] | Packed] = {}
        self._lock = threading.Lock()

    def _put(self, name: str, size: int, work, *args) -> None:
        small = size < INLINE  # handing it to a thread would cost more than compressing it here
        entry = self._pool.submit(work, name, *args) if self._pool and not small else work(name, *args)
        with self._lock:
            self._entries[name] = entry

    def file(self, name: str, path: Path, size: int | None = None) -> None:
        self._put(name, os.stat(path).st_size if size is None else size, pack_file, path)

    def files(self, items: Iterable[tuple[str, Path]]) -> None:
        """Many files, the biggest first: a big one started last would finish alone."""
        sized = [(os.stat(path).st_size, name, path) for name, path in items]
        for size, name, path in sorted(sized, key=lambda item: (-item[0], item[1])):
            self.file(name, path, size)

    def data(self, name: str, data: bytes, mode: int = 0o100644) -> None:
        self._put(name, len(data), pack, data, mode)

    def names(self) -> set[str]:
        with self._lock:
            return set(self._entries)

    def write(self, zip_path: Path, base: Path | None = None) -> dict[str, int]:
        """Write every entry, sorted by name, to `zip_path` (after a copy of `base`'s entries when
        given); the uncompressed size of each entry written."""
        with self._lock:
            entries = sorted(self._entries.items())
        sizes = {}
        with ZipWriter(zip_path, base) as out:
            for name, entry in entries:
                packed = entry.result() if isinstance(entry, Future) else entry
                out.add(packed)
                sizes[name] = packed.size
        return sizes

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Packer:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def write(zip_path: Path, files: Iterable[tuple[str, Path]], base: Path | None = None,
          jobs: int | None = None) -> dict[str, int]:
    """Write (arcname, file) pairs, sorted by arcname, into `zip_path` (after `base`'s entries)."""
    with Packer(jobs or jobs_default()) as packer:
        packer.files(files)
        return packer.write(zip_path, base)


def tree(root: Path, prefix: str = "", skip: Iterable[str] = ()) -> list[tuple[str, Path]]:
    """Every file under `root` as (arcname, path); arcnames use '/' and carry `prefix`. The
    folders in `skip` (paths relative to `root`, with '/') are not entered. As os.walk lists
    them (a link to a folder is not followed), with names joined as strings: a heavy app's site
    has thousands of files, and building each path through pathlib cost a tenth of a second."""
    out: list[tuple[str, Path]] = []
    left_out = set(skip)

    def walk(folder: str, relative: str) -> None:
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            return  # as os.walk: a folder that cannot be listed is passed over
        for entry in entries:
            name = relative + entry.name
            try:
                is_folder = entry.is_dir()
            except OSError:
                is_folder = False
            if not is_folder:
                out.append((prefix + name, Path(entry.path)))
            elif name not in left_out and not entry.is_symlink():
                walk(entry.path, name + "/")

    walk(os.fspath(root), "")
    return out
