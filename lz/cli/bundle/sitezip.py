"""An installed site zipped into deps.zip, compiled on the way (deps builds it, once per set of
requirements).

One pass over the files: the sources go to the compile workers (compile.py) on a thread of their
own, everything else to the packer's threads (archive.Packer), each .pyc to the packer as it
comes back. The test folders that striptests may leave out are not listed at first; which of them
must stay (imported by code that runs at import) is decided on the caller's thread while the
workers compile, and those follow. How many threads did what never changes a byte.
"""

from __future__ import annotations

import threading
from pathlib import Path

from . import archive
from .compile import Interpreter, compile_sources, interpreter
from .files import replacing
from .pycache import BytecodeCache
from .striptests import unneeded


def _top(arcname: str) -> str:
    """The bytecode cache's group of a dependency's source: its top-level package (or module), so
    that each wheel's bytecode is one cache entry."""
    return arcname.split("/", 1)[0]


def zip_site(site: Path, python: str | None, keep_sources: bool, jobs: int, zip_path: Path,
             candidates: dict[str, Path]) -> tuple[dict[str, int], list[str]]:
    """Compile the site's sources and zip it all, at once: the other files are compressed while
    the workers compile, and each .pyc as soon as it exists. The dependencies' test folders are
    not entered; which of them can be left out (striptests, reading every ordinary source) is
    decided on this thread while the workers compile everything outside them, and the few kept
    are added after. `candidates`: striptests.test_folders. The entries' unzipped sizes, and the
    test folders left out."""
    maybe = sorted(folder.relative_to(site).as_posix() for folder in candidates.values())
    target = interpreter(python) if python is not None else None
    with archive.Packer(jobs) as packer, _Compiler(target, packer, keep_sources, jobs) as compiler:
        compiler.add(archive.tree(site, skip=maybe))
        left_out = unneeded(site, candidates)
        for folder in sorted(set(maybe) - set(left_out)):
            compiler.add(archive.tree(site / folder, prefix=folder + "/"))
        compiler.finish()
        with replacing(zip_path) as staged:
            return packer.write(staged), left_out


class _Compiler:
    """Files handed to the packer as they come: the sources compiled (on a thread of their own
    when the build may use more than one, so the caller goes on meanwhile), the rest compressed.
    `finish` waits for the compiles and adds the sources that ship as they are."""

    def __init__(self, target: Interpreter | None, packer: archive.Packer, keep_sources: bool, jobs: int) -> None:
        self.target, self.packer, self.keep_sources, self.jobs = target, packer, keep_sources, jobs
        self.threads: list[threading.Thread] = []
        self.shipped: list[tuple[str, Path]] = []  # sources that ship as source
        self.errors: list[BaseException] = []

    def add(self, files: list[tuple[str, Path]]) -> None:
        sources = [(arcname, path) for arcname, path in files if arcname.endswith(".py")]
        self.packer.files((arcname, path) for arcname, path in files if not arcname.endswith(".py"))
        if self.target is None or self.keep_sources:
            self.shipped += sources
        if self.target is None or not sources:
            return
        if self.jobs == 1:
            self._compile(sources)
            return
        thread = threading.Thread(target=self._compile, args=(sources,), name="lz-compile-deps", daemon=True)
        self.threads.append(thread)
        thread.start()

    def _compile(self, sources: list[tuple[str, Path]]) -> None:
        try:
            compiled = compile_sources(sources, self.target, lambda _, pyc, data: self.packer.data(pyc, data),
                                       legacy=not self.keep_sources, jobs=self.jobs,
                                       cache=BytecodeCache(self.target), group=_top)
        except BaseException as exc:  # noqa: BLE001 - raised on the caller's thread by finish()
            self.errors.append(exc)
            return
        if not self.keep_sources:
            failed = set(compiled.failed)
            self.shipped += [(arcname, path) for arcname, path in sources if arcname in failed]

    def finish(self) -> None:
        for thread in self.threads:
            thread.join()
        self.threads = []
        if self.errors:
            raise self.errors[0]
        self.packer.files(self.shipped)

    def __enter__(self) -> _Compiler:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for thread in self.threads:  # an error on the caller's thread: no worker outlives the build
            thread.join()
