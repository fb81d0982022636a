"""Whole builds on the faster paths (issue 15, item 25): a build on one thread and one on several,
each from an empty cache, and a warm rebuild are the same bytes (the determinism guarantee:
same inputs, same zip); the parallel bundle is a valid zip for Info-ZIP's unzip and answers an
event under the local Lambda runtime; a warm build starts no interpreter; dependencies installed
again with unchanged wheels (a comment added to requirements.txt) compile nothing and zip to the
same bytes."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

import lz.cli.bundle.compile as compile_module
from lz.cli.bundle import build
from lz.cli.local.runner import LocalFunction
from lz.cli.settings import load
from tests.builders import make, response_body
from tests.cli.conftest import need_python, project_copy

pytestmark = pytest.mark.slow


def _no_process(*args, **kwargs):
    raise AssertionError(f"a process was started: {args[0] if args else kwargs}")


def test_serial_parallel_cold_and_warm_builds_are_the_same_bytes(lz_env, tmp_path: Path, monkeypatch) -> None:
    need_python("3.13")
    project = project_copy(tmp_path, "example_flask")
    stage = load(project, "dev")
    bundles = {}
    for label, jobs in (("serial", 1), ("parallel", 4)):
        monkeypatch.setenv("LZ_CACHE_DIR", str(tmp_path / f"cache-{label}"))  # each from an empty cache
        monkeypatch.setattr(compile_module, "_known", {})
        cold = build(stage, tmp_path / f"{label}.zip", jobs=jobs, on_wait=lambda message: None)
        assert not cold.deps_cached and cold.bytecode["compiled"] > 10 and cold.bytecode["cached"] == 0
        bundles[label] = cold.path.read_bytes()
    warm = build(stage, tmp_path / "warm.zip", jobs=2, on_wait=lambda message: None)
    assert warm.deps_cached and warm.bytecode["compiled"] == 0
    assert bundles["serial"] == bundles["parallel"] == warm.path.read_bytes()

    with zipfile.ZipFile(warm.path) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
    assert {"flask/app.pyc", "lz_handler.py", "__pycache__/lz_handler.cpython-313.pyc"} <= names
    if shutil.which("unzip"):
        checked = subprocess.run(["unzip", "-tq", str(warm.path)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    with LocalFunction(warm.path, "3.13") as fn:
        answer = fn.invoke(make("http_v2", path="/api/items"))
    assert answer.ok and answer.result["statusCode"] == 200, answer.describe()
    assert response_body(answer.result)


def test_a_warm_build_starts_no_interpreter_and_an_edit_compiles_that_file_only(
        lz_env, tmp_path: Path, monkeypatch) -> None:
    need_python("3.13")
    project = project_copy(tmp_path, "example_flask")
    stage = load(project, "dev")
    first = build(stage, tmp_path / "a.zip", on_wait=lambda message: None)
    assert first.compiled_with
    with monkeypatch.context() as patched:
        patched.setattr(compile_module.subprocess, "Popen", _no_process)
        patched.setattr(compile_module.subprocess, "run", _no_process)
        warm = build(stage, tmp_path / "b.zip", on_wait=lambda message: None)
        assert warm.bytecode["compiled"] == 0 and warm.bytecode["cached"] > 20  # lz's runtime too
        assert warm.path.read_bytes() == first.path.read_bytes()
    (project / "app.py").write_text((project / "app.py").read_text() + "\nEDITED = True\n")
    edited = build(stage, tmp_path / "c.zip", on_wait=lambda message: None)
    assert edited.bytecode["compiled"] == 1
    with zipfile.ZipFile(edited.path) as zf:
        assert b"EDITED" in zf.read("app.py")


def test_reinstalled_dependencies_with_unchanged_wheels_compile_nothing_and_zip_the_same(
        lz_env, tmp_path: Path, monkeypatch) -> None:
    """The bytecode cache is what a per-wheel cache would be: a new requirements file installs the
    dependencies again, and every wheel that did not change is compiled already."""
    need_python("3.13")
    monkeypatch.setenv("LZ_CACHE_DIR", str(tmp_path / "cache"))
    project = project_copy(tmp_path, "example_flask")
    first = build(load(project, "dev"), tmp_path / "a.zip", on_wait=lambda message: None)
    requirements = project / "requirements.txt"
    requirements.write_text(requirements.read_text() + "# a comment: another cache entry, the same wheels\n")
    with monkeypatch.context() as patched:
        patched.setattr(compile_module, "_run_workers", _no_process)  # uv runs; no compiler does
        again = build(load(project, "dev"), tmp_path / "b.zip", on_wait=lambda message: None)
    assert not again.deps_cached
    entries = sorted((tmp_path / "cache" / "deps").glob("*/deps.zip"))
    assert len(entries) == 2 and entries[0].read_bytes() == entries[1].read_bytes()
    assert again.packages == first.packages
    assert "dependencies: compile+zip" in again.phases and "dependencies: install" in again.phases


def test_a_damaged_cached_dependency_zip_is_an_error_that_says_refresh(lz_env, tmp_path: Path, monkeypatch) -> None:
    """The bundle is written on top of the cached deps.zip, whose end records lz reads itself: a
    damaged one (a full disk, a hand edit) must not become a traceback or a broken bundle."""
    from lz.cli.bundle import BuildError

    monkeypatch.setenv("LZ_CACHE_DIR", str(tmp_path / "cache"))
    project = project_copy(tmp_path, "example_flask")
    first = build(load(project, "dev"), tmp_path / "a.zip", on_wait=lambda message: None)
    [cached] = (tmp_path / "cache" / "deps").glob("*/deps.zip")
    cached.write_bytes(cached.read_bytes()[:-10])
    with pytest.raises(BuildError) as caught:
        build(load(project, "dev"), tmp_path / "b.zip", on_wait=lambda message: None)
    assert "are damaged" in str(caught.value) and "--refresh" in str(caught.value)
    assert not (tmp_path / "b.zip").exists()
    again = build(load(project, "dev"), tmp_path / "b.zip", refresh=True, on_wait=lambda message: None)
    assert again.path.read_bytes() == first.path.read_bytes()


def test_the_app_and_runtime_are_compiled_while_the_dependencies_are_prepared(
        lz_env, tmp_path: Path, monkeypatch) -> None:
    """uv spends most of a cold build's first second waiting on the package index: the project's
    and lz's runtime sources are compiled meanwhile, on a thread of their own, so that writing the
    bundle finds them in the bytecode cache. Here the dependency step waits (no clock involved)
    until that compile has finished, which it can only do if it runs beside it."""
    import threading

    import lz.cli.bundle as bundle_module

    need_python("3.13")
    monkeypatch.setenv("LZ_CACHE_DIR", str(tmp_path / "cache"))  # empty: nothing compiled before
    monkeypatch.setattr(compile_module, "_known", {})
    project = project_copy(tmp_path, "example_flask")
    stage = load(project, "dev")
    real_compile, real_prepare = bundle_module.compile_sources, bundle_module.deps.prepare
    early_done, calls = threading.Event(), []

    def compile_sources(sources, *args, **kwargs):
        result = real_compile(sources, *args, **kwargs)
        calls.append((threading.current_thread().name, {arc for arc, _ in sources}, result))
        if threading.current_thread().name == "lz-compile-early":
            early_done.set()
        return result

    def prepare(*args, **kwargs):
        assert early_done.wait(120), "the early compile did not run while the dependencies were prepared"
        return real_prepare(*args, **kwargs)

    monkeypatch.setattr(bundle_module, "compile_sources", compile_sources)
    monkeypatch.setattr(bundle_module.deps, "prepare", prepare)
    built = build(stage, tmp_path / "a.zip", on_wait=lambda message: None)
    (early, early_names, early_result), (final, final_names, final_result) = calls
    assert early == "lz-compile-early" and final != early
    assert {"app.py", "lz/__init__.py"} <= early_names and "lz_handler.py" not in early_names
    assert final_names - early_names == {"lz_handler.py"}
    assert final_result.fresh == 1 and final_result.cached == len(early_names)  # only the entry was left
    assert built.bytecode == {"compiled": len(final_names), "cached": 0}  # all compiled by this build
