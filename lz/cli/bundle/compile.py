"""Byte-compiling a bundle with an interpreter of its target Python version, in parallel, once.

/var/task is read-only on Lambda, so a bundle without bytecode recompiles every module it imports on
every cold start. The .pyc files are hash-based and unchecked: valid whatever the files' timestamps
(a zip's are fixed), and never compared against the sources at import.

Compiling is most of a cold build of a heavy app, so:
- sources that were compiled before come from the bytecode cache (pycache.py), keyed by their
  content, where they will sit in the bundle and the interpreter (a dependency's, one entry per
  top-level package: `group`); a warm build compiles nothing
  that did not change (lz's own runtime, unchanged modules of the app), and neither does a build
  whose requirements changed for the packages that stayed the same;
- the rest is shared among several worker processes of the target interpreter, balanced by size,
  each sending every .pyc back through its pipe as it is done so that it is compressed at once
  (archive.Packer) while the others compile.

A worker compiles each file with py_compile.compile exactly as `compileall --invalidation-mode
unchecked-hash -d /var/task` does (same interpreter flags), so the bytes are compileall's. Files
that do not compile (Python 2 leftovers in some packages) keep their source, as pip does.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..paths import cache_root
from ..pythons import find_python
from .files import write_atomic
from .pycache import BytecodeCache

# -E: PYTHONOPTIMIZE and friends must not change the bytecode; -S: no site, a faster start;
# -W ignore: invalid escape sequences in dependencies warn, which changes nothing in the .pyc.
FLAGS = ("-E", "-S", "-X", "no_debug_ranges", "-W", "ignore")
OUTPUT_FLAGS = "no_debug_ranges unchecked-hash optimize=0"  # what decides the bytes of a .pyc
PER_WORKER = 40  # fewer sources than this per worker: a process start costs more than it saves
ROOT_DIR = "/var/task"  # where Lambda unpacks the bundle: the file names tracebacks show

# For each job, one line out: its index, "ok", the SHA-256 of the very bytes py_compile read (its
# loader's get_data) and the .pyc's length, then the .pyc itself; or its index, "failed" and the
# SHA-256 of the bytes that did not compile ("-" when it is not a compile error). The parent
# caches a result only under the source it compiled. py_compile writes the .pyc through
# importlib's _write_atomic, which is replaced here by a capture: the bytes are exactly what it
# would have written, sent through the pipe instead of a file written, read back and deleted.
_WORKER = r"""
import hashlib, importlib._bootstrap_external as external, importlib.machinery, json, py_compile, sys
read = importlib.machinery.SourceFileLoader.get_data
seen, written = [], []
def get_data(loader, path):
    data = read(loader, path)
    seen.append(hashlib.sha256(data).hexdigest())
    return data
importlib.machinery.SourceFileLoader.get_data = get_data
external._write_atomic = lambda path, data, mode=0o666: written.append(bytes(data))
mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
out = sys.stdout.buffer
with open(sys.argv[1], encoding="utf-8", errors="surrogateescape") as jobs:
    todo = json.load(jobs)
for index, source, cfile, dfile in todo:
    seen.clear()
    written.clear()
    try:
        py_compile.compile(source, cfile, dfile, doraise=True, invalidation_mode=mode)
        data = written[-1]
        out.write(b"%d ok %s %d\n" % (index, (seen[-1] if seen else "-").encode(), len(data)) + data)
    except py_compile.PyCompileError:  # these bytes do not compile: the SHA-256 says which bytes
        out.write(b"%d failed %s\n" % (index, (seen[-1] if seen else "-").encode()))
    except Exception:  # could not read it, or worse: nothing to say about the bytes
        out.write(b"%d failed -\n" % index)
    out.flush()
"""
_PROBE = ("import importlib.util, json, sys; print(json.dumps([sys.version, "
          "importlib.util.MAGIC_NUMBER.hex(), sys.implementation.cache_tag]))")


class CompileError(Exception):
    """The target interpreter could not be run, or a worker of it died."""


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str  # sys.version: patch releases may compile differently, so they never share .pyc
    magic: bytes  # the first four bytes of every .pyc it writes
    cache_tag: str  # "cpython-313": the __pycache__ file names

    def identity(self) -> str:
        return f"{self.version}|{self.magic.hex()}|{self.cache_tag}|{OUTPUT_FLAGS}"


@dataclass
class Compiled:
    cached: int = 0  # .pyc taken from the bytecode cache
    fresh: int = 0  # .pyc compiled by this build
    failed: list[str] = field(default_factory=list)  # sources that did not compile: shipped as source


_known: dict[tuple, Interpreter] = {}
_known_lock = threading.Lock()


def interpreter(path: str) -> Interpreter:
    """What `path` is (version, magic number, cache tag), asked once per installed interpreter:
    remembered in lz's cache against the file's size and mtime, so a warm build starts none."""
    real = os.path.realpath(path)
    try:
        info = os.stat(real)
    except OSError as exc:
        raise CompileError(f"the Python at {path} cannot be run: {exc}") from None
    stamp = (real, info.st_size, info.st_mtime_ns)
    with _known_lock:
        if stamp in _known:
            return _known[stamp]
    memo = cache_root() / "interpreters.json"  # beside pythons.json, which finds the interpreters
    try:
        known = json.loads(memo.read_text())
    except (OSError, ValueError):
        known = {}
    entry = known.get(real) if isinstance(known, dict) else None
    if isinstance(entry, dict) and entry.get("stamp") == list(stamp[1:]):
        found = Interpreter(path, entry["version"], bytes.fromhex(entry["magic"]), entry["tag"])
    else:
        try:
            out = subprocess.run([path, *FLAGS, "-c", _PROBE], capture_output=True, text=True, timeout=60)
            version, magic, tag = json.loads(out.stdout)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            raise CompileError(f"the Python at {path} did not say what it is: it may be broken "
                               f"(run `{path} -V`), or give a working one through pyenv or PATH") from None
        found = Interpreter(path, version, bytes.fromhex(magic), tag)
        known = known if isinstance(known, dict) else {}
        known[real] = {"stamp": list(stamp[1:]), "version": version, "magic": magic, "tag": tag}
        try:
            memo.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(memo, json.dumps(known, indent=1, sort_keys=True))
        except OSError:
            pass  # a read-only cache: asked again next time
    with _known_lock:
        _known[stamp] = found
    return found


def pyc_name(source: str, legacy: bool, cache_tag: str) -> str:
    """Where the .pyc of bundle path `source` goes: beside it (legacy, imported without the
    source) or in __pycache__/ (beside a source that ships too)."""
    if legacy:
        return source + "c"
    folder, _, name = source.rpartition("/")
    return f"{folder + '/' if folder else ''}__pycache__/{name[:-3]}.{cache_tag}.pyc"


def compile_sources(
    sources: list[tuple[str, Path]],
    python: Interpreter,
    on_pyc: Callable[[str, str, bytes], None],
    legacy: bool = False,
    jobs: int = 1,
    cache: BytecodeCache | None = None,
    group: Callable[[str], str] | None = None,
) -> Compiled:
    """Byte-compile (bundle path, file) pairs of .py sources; `on_pyc(source, pyc, data)` gets each
    result as soon as it exists, from whichever thread has it.

    `legacy` names each .pyc as x.pyc beside x.py (for sourceless packages: the caller leaves the
    source out); otherwise it goes to __pycache__/. With `group` (bundle path -> group name), the
    cache holds one entry per group rather than per source (pycache.py): a group is taken from
    the cache whole or compiled whole.
    """
    result = Compiled()
    todo: list[tuple[str, Path, str, str]] = []  # (bundle path, file, cache key, SHA-256 of the source)
    groups: dict[str, list[tuple[str, Path, str, str]]] = {}
    for arcname, path in sources:
        key = digest = ""
        if cache is not None:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            key = cache.key(f"{ROOT_DIR}/{arcname}", digest)
            if group is not None:
                groups.setdefault(group(arcname), []).append((arcname, path, key, digest))
                continue
            data = cache.get(key)
            if data is not None:
                result.cached += 1
                on_pyc(arcname, pyc_name(arcname, legacy, python.cache_tag), data)
                continue
        todo.append((arcname, path, key, digest))
    pending: dict[int, _Group] = {}  # index in todo -> the group it completes
    for name in sorted(groups):
        members = sorted(groups[name])
        entry = _Group(cache.group_key([key for _, _, key, _ in members]), len(members))
        found = cache.get_group(entry.key, len(members))
        if found is not None:
            for (arcname, *_), data in zip(members, found):
                if data is None:
                    result.failed.append(arcname)
                else:
                    result.cached += 1
                    on_pyc(arcname, pyc_name(arcname, legacy, python.cache_tag), data)
            continue
        for slot, member in enumerate(members):
            pending[len(todo)] = entry
            entry.slots[len(todo)] = slot
            todo.append(member)
    if todo:
        with tempfile.TemporaryDirectory(prefix="lz-compile-") as work:
            _run_workers(todo, python, legacy, jobs, cache, on_pyc, Path(work), result, pending)
    result.failed.sort()
    return result


class _Group:
    """A group entry being filled as its members come back from the workers; written once whole."""

    def __init__(self, key: str, count: int) -> None:
        self.key = key
        self.members: list[bytes | None] = [None] * count
        self.slots: dict[int, int] = {}  # index in todo -> place in the group
        self.left = count
        self.cacheable = True  # false once a member's bytes were not the ones hashed

    def fill(self, index: int, data: bytes | None, same_bytes: bool) -> bool:
        """Record a member (None: did not compile); true when the group is whole and cacheable.
        Called under the caller's lock."""
        self.members[self.slots[index]] = data
        self.cacheable = self.cacheable and same_bytes
        self.left -= 1
        return self.left == 0 and self.cacheable


def _split(todo: list[tuple[str, Path, str, str]], workers: int) -> list[list[int]]:
    """Indexes of `todo` per worker, the biggest sources first, each to the least loaded worker."""
    loads = [[0, []] for _ in range(workers)]
    for index in sorted(range(len(todo)), key=lambda i: -os.stat(todo[i][1]).st_size):
        lightest = min(loads, key=lambda load: load[0])
        lightest[0] += os.stat(todo[index][1]).st_size + 2048  # a file costs something whatever its size
        lightest[1].append(index)
    return [indexes for _, indexes in loads if indexes]


def _run_workers(todo: list[tuple[str, Path, str, str]], python: Interpreter, legacy: bool, jobs: int,
                 cache: BytecodeCache | None, on_pyc: Callable[[str, str, bytes], None], work: Path,
                 result: Compiled, pending: dict[int, _Group]) -> None:
    workers = max(1, min(jobs, len(todo) // PER_WORKER))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def done(index: int, data: bytes | None, compiled_digest: str) -> None:
        arcname, _, key, digest = todo[index]
        same = compiled_digest == digest  # else the file changed meanwhile: cache nothing of it
        entry = pending.get(index)
        if entry is not None:
            with lock:
                whole = entry.fill(index, data, same)
            if whole and cache is not None:
                cache.put_group(entry.key, entry.members)
        if data is None:
            with lock:
                result.failed.append(arcname)
            return
        if cache is not None and same and entry is None:
            cache.put(key, data)
        on_pyc(arcname, pyc_name(arcname, legacy, python.cache_tag), data)
        with lock:
            result.fresh += 1

    def follow(process: subprocess.Popen, expected: set[int]) -> None:
        try:
            for line in process.stdout:
                index, status, detail, *size = line.split()
                data = process.stdout.read(int(size[0])) if status == b"ok" else None
                if data is not None and len(data) != int(size[0]):
                    break  # the worker died mid-file: reported below as not done
                expected.discard(int(index))
                done(int(index), data, detail.decode())
        except BaseException as exc:  # noqa: BLE001 - raised on the caller's thread below
            errors.append(exc)

    running = []
    try:
        for number, indexes in enumerate(_split(todo, workers)):
            listing = work / f"jobs-{number}.json"
            listing.write_text(json.dumps([[i, str(todo[i][1]), str(work / f"{i}.pyc"),
                                            f"{ROOT_DIR}/{todo[i][0]}"] for i in indexes]),
                               encoding="utf-8", errors="surrogateescape")
            log = open(work / f"worker-{number}.log", "w+")
            try:
                process = subprocess.Popen([python.path, *FLAGS, "-c", _WORKER, str(listing)],
                                           stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
            except OSError as exc:
                log.close()
                raise CompileError(f"the Python at {python.path} cannot be run: {exc}") from None
            expected = set(indexes)
            reader = threading.Thread(target=follow, args=(process, expected), daemon=True)
            running.append((process, reader, expected, log))
            reader.start()
        for process, reader, _, _ in running:
            reader.join()
            process.wait()
    finally:
        for process, _, _, log in running:
            if process.poll() is None:  # interrupted: no worker outlives the build
                process.kill()
                process.wait()
            log.close()
    if errors:
        raise errors[0]
    for process, _, expected, log in running:
        if process.returncode != 0 or expected:
            said = Path(log.name).read_text(errors="replace")[-2000:].strip()
            raise CompileError(f"byte-compiling with {python.path} stopped (exit code {process.returncode}) "
                               f"before {len(expected)} files were done: {said or 'it said nothing'}")


def target_python(version: str) -> str | None:
    return find_python(version)
