"""Byte-compiling in worker processes with a bytecode cache (issue 15, item 25): the workers write
exactly what `compileall` wrote before (same bytes, same files left as source), a second compile
of the same sources starts no interpreter at all, an entry is reused only for the same source at
the same place, a damaged cache entry is compiled again, and a worker that dies is an error that
says so."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import lz.cli.bundle.compile as compile_module
from lz.cli.bundle import archive
from lz.cli.bundle.compile import CompileError, Interpreter, compile_sources, interpreter, pyc_name
from lz.cli.bundle.pycache import BytecodeCache
from lz.cli.bundle.sitezip import _top  # the build's grouping: a top-level package
from tests.cli.conftest import need_python

SOURCES = {
    "app.py": "import pkg\n\ndef app(environ, start_response):\n    return [pkg.VALUE]\n",
    "pkg/__init__.py": "from .inner import VALUE\n",
    "pkg/inner.py": "VALUE = b'ok'\nWORDS = {'a', 'b', 'c'}\n" + "".join(f"def f{n}(x):\n    return x + {n}\n" for n in range(300)),
    "pkg/escape.py": "PATTERN = '\\d+'  # an invalid escape: a SyntaxWarning, still compiled\n",
    "pkg/legacy.py": "print 'python 2'\n",  # does not compile: ships as source
    "pkg/sub/__init__.py": "",
    "pkg/sub/m\u00e9nu.py": "ITEMS = ['caf\u00e9']\n",
}


@pytest.fixture
def python(tmp_path: Path, monkeypatch) -> Interpreter:
    monkeypatch.setenv("LZ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(compile_module, "_known", {})  # this process's memo: asked again, into this cache
    return interpreter(need_python("3.13"))


def _tree(root: Path) -> list[tuple[str, Path]]:
    for name, text in SOURCES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return [(name, path) for name, path in archive.tree(root) if name.endswith(".py")]


def _edit_while_compiling(monkeypatch, source: Path) -> None:
    """Compiles under `monkeypatch` rewrite `source` after lz has read it and before its workers
    do, as an editor saving during a build would."""
    real = compile_module._run_workers

    def edit(todo, *args):
        source.write_text("EDITED_DURING_THE_BUILD = True\n")
        return real(todo, *args)

    monkeypatch.setattr(compile_module, "_run_workers", edit)


def _compileall(python: str, root: Path, legacy: bool) -> dict[str, bytes]:
    """What lz ran before: compileall over the tree, the .pyc files it wrote."""
    cmd = [python, "-X", "no_debug_ranges", "-m", "compileall", "-q", "-q", "-j", "1",
           "--invalidation-mode", "unchecked-hash", "-d", "/var/task"] + (["-b"] if legacy else [])
    subprocess.run(cmd + [str(root)], capture_output=True, check=False)
    return {name: path.read_bytes() for name, path in archive.tree(root) if name.endswith(".pyc")}


@pytest.mark.parametrize("legacy", [True, False], ids=["sourceless", "pycache"])
def test_workers_write_the_bytes_compileall_wrote(tmp_path: Path, python: Interpreter, legacy: bool) -> None:
    sources = _tree(tmp_path / "ours")
    _tree(tmp_path / "theirs")
    expected = _compileall(python.path, tmp_path / "theirs", legacy)
    got: dict[str, bytes] = {}
    result = compile_sources(sources, python, lambda source, pyc, data: got.__setitem__(pyc, data),
                             legacy=legacy, jobs=3)
    assert got == expected
    assert result.failed == ["pkg/legacy.py"] and result.fresh == len(SOURCES) - 1
    assert pyc_name("pkg/sub/x.py", legacy, python.cache_tag) in {
        "pkg/sub/x.pyc", f"pkg/sub/__pycache__/x.{python.cache_tag}.pyc"}
    assert not any(path.suffix == ".pyc" for _, path in archive.tree(tmp_path / "ours"))  # sources untouched


def test_the_second_compile_starts_no_interpreter_and_the_cache_is_keyed_by_content_and_place(
        tmp_path: Path, python: Interpreter, monkeypatch) -> None:
    sources = _tree(tmp_path / "src")
    cache = BytecodeCache(python)
    first: dict[str, bytes] = {}
    cold = compile_sources(sources, python, lambda s, pyc, data: first.__setitem__(pyc, data), jobs=2, cache=cache)
    assert (cold.cached, cold.fresh) == (0, len(SOURCES) - 1)

    def no_process(*args, **kwargs):
        raise AssertionError(f"an interpreter was started: {args[0]}")

    with monkeypatch.context() as patched:
        patched.setattr(compile_module.subprocess, "Popen", no_process)
        patched.setattr(compile_module.subprocess, "run", no_process)
        compile_module._known.clear()  # the interpreter's identity comes from the cache's memo too
        again = interpreter(python.path)
        assert again == python
        second: dict[str, bytes] = {}
        warm = compile_sources([s for s in sources if s[0] != "pkg/legacy.py"], again,
                               lambda s, pyc, data: second.__setitem__(pyc, data), jobs=2, cache=BytecodeCache(again))
    assert (warm.cached, warm.fresh) == (len(SOURCES) - 1, 0) and second == first

    (tmp_path / "src/pkg/inner.py").write_text(SOURCES["pkg/inner.py"] + "CHANGED = True\n")
    (tmp_path / "src/moved.py").write_text(SOURCES["app.py"])  # same source, another place
    changed = compile_sources(sources + [("moved.py", tmp_path / "src/moved.py")], python,
                              lambda s, pyc, data: None, jobs=2, cache=cache)
    assert changed.fresh == 2 and changed.cached == len(SOURCES) - 2
    assert sorted(changed.failed) == ["pkg/legacy.py"]  # failures are never cached: tried again


def test_a_damaged_cache_entry_is_compiled_again(tmp_path: Path, python: Interpreter) -> None:
    sources = [s for s in _tree(tmp_path / "src") if s[0] == "app.py"]
    cache = BytecodeCache(python)
    good: dict[str, bytes] = {}
    compile_sources(sources, python, lambda s, pyc, data: good.__setitem__(pyc, data), cache=cache)
    [entry] = [p for p in cache.folder.rglob("*.pyc")]
    entry.write_bytes(b"not bytecode at all, and long enough")
    again: dict[str, bytes] = {}
    result = compile_sources(sources, python, lambda s, pyc, data: again.__setitem__(pyc, data), cache=cache)
    assert result.fresh == 1 and again == good
    assert entry.read_bytes() == next(iter(good.values()))  # and the entry is whole again


def test_a_worker_that_dies_is_an_error_naming_the_interpreter(tmp_path: Path) -> None:
    broken = tmp_path / "python3.13"
    broken.write_text("#!/bin/sh\necho 'Fatal Python error: init_fs_encoding' >&2\nexit 3\n")
    broken.chmod(0o755)
    sources = [s for s in _tree(tmp_path / "src") if s[0] == "app.py"]
    fake = Interpreter(str(broken), "3.13.0 (fake)", b"\xf3\r\r\n", "cpython-313")
    with pytest.raises(CompileError) as caught:
        compile_sources(sources, fake, lambda s, pyc, data: None)
    message = str(caught.value)
    assert str(broken) in message and "exit code 3" in message and "init_fs_encoding" in message
    with pytest.raises(CompileError, match="did not say what it is"):
        interpreter(str(broken))


def test_a_source_edited_while_it_is_compiled_never_reaches_the_cache(
        tmp_path: Path, python: Interpreter, monkeypatch) -> None:
    """The key is taken from the bytes lz read; the .pyc from the bytes the worker read. Were they
    different (an editor saving during a build), caching the .pyc under that key would hand the new
    code to every later build of the old source."""
    sources = [s for s in _tree(tmp_path / "src") if s[0] == "app.py"]
    cache = BytecodeCache(python)
    with monkeypatch.context() as patched:
        _edit_while_compiling(patched, tmp_path / "src/app.py")
        during = compile_sources(sources, python, lambda s, pyc, data: None, cache=cache)
    assert during.fresh == 1
    assert not list(cache.folder.rglob("*.pyc"))
    (tmp_path / "src/app.py").write_text(SOURCES["app.py"])
    got: dict[str, bytes] = {}
    after = compile_sources(sources, python, lambda s, pyc, data: got.__setitem__(pyc, data), cache=cache)
    assert after.fresh == 1 and b"EDITED_DURING_THE_BUILD" not in next(iter(got.values()))


def test_a_worker_that_stops_in_the_middle_of_a_pyc_is_an_error_and_nothing_half_is_shipped(
        tmp_path: Path) -> None:
    """The .pyc comes back through the worker's pipe after a line giving its length: a worker that
    dies before the last byte leaves that file not done, never a truncated .pyc in the bundle."""
    cut = tmp_path / "python3.13"
    cut.write_text("#!/bin/sh\nprintf '0 ok - 100\\nonly ten b'\nexit 0\n")
    cut.chmod(0o755)
    sources = [s for s in _tree(tmp_path / "src") if s[0] == "app.py"]
    fake = Interpreter(str(cut), "3.13.0 (fake)", b"\xf3\r\r\n", "cpython-313")
    got: dict[str, bytes] = {}
    with pytest.raises(CompileError, match="before 1 files were done"):
        compile_sources(sources, fake, lambda s, pyc, data: got.__setitem__(pyc, data))
    assert got == {}


def test_grouped_sources_are_one_cache_entry_per_group_taken_whole_failures_included(
        tmp_path: Path, python: Interpreter, monkeypatch) -> None:
    """A dependency's bytecode is cached per top-level package: `pkg`'s six sources are one
    entry, app.py another. The source that does not compile is recorded as such in its group
    (the same bytes fail the same way), so the second compile starts no interpreter and still
    ships that file as source; the bytes are the ones compiled the first time."""
    sources = _tree(tmp_path / "src")
    cache = BytecodeCache(python)
    first: dict[str, bytes] = {}
    cold = compile_sources(sources, python, lambda s, pyc, data: first.__setitem__(pyc, data), legacy=True,
                           jobs=2, cache=cache, group=_top)
    assert (cold.cached, cold.fresh, cold.failed) == (0, len(SOURCES) - 1, ["pkg/legacy.py"])
    assert len(list(cache.folder.rglob("*.pyc"))) == 2  # one entry per group, not one per source

    with monkeypatch.context() as patched:
        patched.setattr(compile_module.subprocess, "Popen", lambda *a, **k: pytest.fail(f"started {a[0]}"))
        second: dict[str, bytes] = {}
        warm = compile_sources(sources, python, lambda s, pyc, data: second.__setitem__(pyc, data), legacy=True,
                               jobs=2, cache=cache, group=_top)
    assert (warm.cached, warm.fresh, warm.failed) == (len(SOURCES) - 1, 0, ["pkg/legacy.py"])
    assert second == first

    (tmp_path / "src/pkg/inner.py").write_text(SOURCES["pkg/inner.py"] + "CHANGED = True\n")
    changed = compile_sources(sources, python, lambda s, pyc, data: None, legacy=True, jobs=2, cache=cache,
                              group=_top)
    assert (changed.cached, changed.fresh) == (1, len(SOURCES) - 2)  # app.py's group only; pkg whole again


def test_a_damaged_group_entry_is_compiled_again_and_written_whole(tmp_path: Path, python: Interpreter) -> None:
    sources = [s for s in _tree(tmp_path / "src") if s[0].startswith("pkg/") and s[0] != "pkg/legacy.py"]
    cache = BytecodeCache(python)
    good: dict[str, bytes] = {}
    compile_sources(sources, python, lambda s, pyc, data: good.__setitem__(pyc, data), cache=cache, group=_top)
    [entry] = cache.folder.rglob("*.pyc")
    whole = entry.read_bytes()
    for damaged in (whole[:-1], whole + b"x", whole[:40]):
        entry.write_bytes(damaged)
        again: dict[str, bytes] = {}
        result = compile_sources(sources, python, lambda s, pyc, data: again.__setitem__(pyc, data), cache=cache,
                                 group=_top)
        assert (result.cached, result.fresh) == (0, len(sources)) and again == good
        assert entry.read_bytes() == whole


def test_a_group_whose_source_is_edited_while_it_is_compiled_never_reaches_the_cache(
        tmp_path: Path, python: Interpreter, monkeypatch) -> None:
    sources = [s for s in _tree(tmp_path / "src") if s[0].startswith("pkg/")]
    cache = BytecodeCache(python)
    _edit_while_compiling(monkeypatch, tmp_path / "src/pkg/inner.py")
    during = compile_sources(sources, python, lambda s, pyc, data: None, cache=cache, group=_top)
    assert during.fresh == len(sources) - 1
    assert not list(cache.folder.rglob("*.pyc"))
