"""Builds at the same time: several `lz package` of one stage, and builds of two stages sharing one
dependency cache entry, all started together from a cold cache. Each must succeed without a
traceback and leave a valid zip, byte-identical to what a build alone writes; a second build of a
stage waits for the first and says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from lz.cli.bundle import build, stage_lock
from lz.cli.bundle.files import locked
from lz.cli.settings import load
from tests.cli.conftest import ROOT, lz, project_copy

pytestmark = pytest.mark.slow


def _start(env: dict, project: Path, stage: str, out: Path | None) -> subprocess.Popen:
    args = [sys.executable, "-m", "lz.cli.main", "package", stage, "--project", str(project)]
    args += ["-o", str(out)] if out else []
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _valid(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert "lz_handler.py" in zf.namelist() and "flask/app.pyc" in zf.namelist()
    return path.read_bytes()


@pytest.fixture
def cold_env(tmp_path: Path) -> dict[str, str]:
    """A cache of this test's own, empty: the builds below race for its dependency entry too."""
    return {**os.environ, "LZ_CACHE_DIR": str(tmp_path / "cache")}


def test_concurrent_packages_of_one_stage_and_of_stages_sharing_the_cache(cold_env, tmp_path: Path) -> None:
    project = project_copy(tmp_path, "example_flask")
    settings = json.loads((project / "lz_settings.json").read_text())
    settings["twin"] = {"extends": "dev"}  # another stage, the same dependencies
    (project / "lz_settings.json").write_text(json.dumps(settings))
    shared = tmp_path / "shared.zip"
    runs = [_start(cold_env, project, "dev", shared) for _ in range(3)]
    runs += [_start(cold_env, project, "dev", None), _start(cold_env, project, "twin", tmp_path / "twin.zip")]
    results = [(run.wait(timeout=600), run.stderr.read()) for run in runs]
    for code, stderr in results:
        assert code == 0, stderr
        assert "Traceback" not in stderr, stderr
    bundles = [_valid(shared), _valid(project / ".lz" / "example-flask-dev.zip"), _valid(tmp_path / "twin.zip")]

    alone = tmp_path / "alone.zip"
    result = lz(cold_env, "package", "dev", "--project", str(project), "-o", str(alone))
    assert result.returncode == 0, result.stderr
    assert all(bundle == alone.read_bytes() for bundle in bundles)
    leftovers = [p.name for p in list(tmp_path.iterdir()) + list((project / ".lz").iterdir())
                 if ".lz-tmp-" in p.name or p.name.endswith(".partial")]
    assert not leftovers, leftovers


def test_threads_building_one_stage_into_one_file_at_once(lz_env, tmp_path: Path) -> None:
    """In one process the builds overlap most tightly (no interpreter start-up to stagger them):
    before the stage lock and per-process temporary names, most of them failed."""
    project = project_copy(tmp_path, "example_flask")
    stage = load(project, "dev")
    out = tmp_path / "t.zip"
    errors: list[BaseException] = []

    def run() -> None:
        try:
            build(stage, out, on_wait=lambda message: None)
        except BaseException as exc:  # noqa: BLE001 - any failure is the test's finding
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors
    alone = build(stage, tmp_path / "alone.zip").path
    assert _valid(out) == alone.read_bytes()


def test_a_second_build_of_a_stage_waits_for_the_first_and_says_so(lz_env, tmp_path: Path) -> None:
    project = project_copy(tmp_path, "example_flask")
    out = tmp_path / "b.zip"
    release = threading.Event()
    held = threading.Event()

    def first_build() -> None:  # holds the stage's lock as a build in another process would
        with locked(stage_lock(load(project, "dev")), "a test"):
            held.set()
            release.wait(timeout=600)

    holder = threading.Thread(target=first_build)
    holder.start()
    try:
        assert held.wait(timeout=60)
        run = _start(lz_env, project, "dev", out)
        seen = []
        for line in run.stderr:  # read until the waiting build says who it waits for
            seen.append(line)
            if "waiting for stage dev" in line:
                break
        assert "waiting for stage dev" in seen[-1] and f"pid {os.getpid()}" in seen[-1], seen
        assert not out.exists()  # nothing written while the other build holds the stage
    finally:
        release.set()
        holder.join()
    assert run.wait(timeout=600) == 0, run.stderr.read()
    _valid(out)
