"""Files that several lz processes may produce at once: the bundle, the cached dependency zip, its
manifest.

Two rules make concurrent builds safe: every file is written under a name of its own process (a
temporary file beside the destination, on the same file system) and moved into place with
os.replace, which is atomic, so a reader sees the old file or the new one and never half of
either; and a lock file (flock) makes a second build of the same stage, or a second resolution of
the same dependencies, wait for the first instead of racing it, saying so after a moment.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

try:
    import fcntl
except ImportError:  # Windows: no flock; atomic replaces still keep every file whole
    fcntl = None  # type: ignore[assignment]

PATIENCE = 1.0  # seconds of silent waiting for a lock before saying who holds it
TEMP_PREFIX = ".lz-tmp-"  # the project walk treats these as junk

_held = threading.local()


def tell_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def replacing(dest: Path) -> Iterator[Path]:
    """A fresh temporary path beside `dest`; on success it replaces `dest` atomically, on any
    error it is removed and `dest` is left as it was."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{dest.name}.", dir=dest.parent)
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        os.chmod(temp, 0o644)  # mkstemp's 0600 would make a bundle unreadable to others
        os.replace(temp, dest)
    finally:
        temp.unlink(missing_ok=True)


def write_atomic(dest: Path, data: str) -> None:
    with replacing(dest) as temp:
        temp.write_text(data)


def _owner(fd: int) -> str:
    try:
        text = os.pread(fd, 300, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "another lz process"


@contextmanager
def locked(path: Path, what: str, on_wait: Callable[[str], None] = tell_stderr,
           patience: float = PATIENCE) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) for the block.

    A second holder, in another process or thread, waits; after `patience` seconds it is told who
    holds the lock (`on_wait`). The same thread may nest the same lock (deploy holds the stage's
    while it builds). The lock file is never deleted: deleting it would let a third process lock a
    new file while the second still waits on the old one.
    """
    held: set[str] = _held.__dict__.setdefault("paths", set())
    key = os.path.abspath(path)
    if fcntl is None or key in held:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        start = time.monotonic()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - start >= patience:
                    on_wait(f"waiting for {what}: held by {_owner(fd)} (lock file {path})")
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    break
                time.sleep(0.05)
        since = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {since}\n".encode(), 0)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
