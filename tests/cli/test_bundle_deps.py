"""The dependency step of `lz package`: a relative LZ_CACHE_DIR, a resolution that installs none of
the named requirements, a cache entry whose manifest says so, and the dependencies' own test
folders left out (unless a package imports them, or `keep_tests` names it), checked by importing
every top-level package of the bundle under the local Lambda runtime."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
import zipfile
from pathlib import Path

import pytest

from lz.cli.bundle import build
from lz.cli.bundle.deps import DependencyError
from lz.cli.local.runner import LocalFunction
from lz.cli.settings import load
from tests.builders import make
from tests.cli.conftest import lz, make_project, need_python, project_copy

pytestmark = pytest.mark.slow


def _names(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as zf:
        return set(zf.namelist())


def test_a_relative_cache_dir_is_resolved_from_where_lz_runs(lz_env, tmp_path: Path) -> None:
    """uv installs with the project as its working folder: a relative LZ_CACHE_DIR used as such put
    the dependencies inside the project, and the bundle shipped without them."""
    project = project_copy(tmp_path, "example_flask")
    here = tmp_path / "elsewhere"
    here.mkdir()
    out = tmp_path / "b.zip"
    result = lz({**lz_env, "LZ_CACHE_DIR": "relcache"}, "package", "dev", "--project", str(project),
                "-o", str(out), cwd=here)
    assert result.returncode == 0, result.stderr
    names = _names(out)
    assert "flask/app.pyc" in names and "werkzeug/__init__.pyc" in names
    assert not any(n.startswith("relcache/") for n in names)
    assert (here / "relcache" / "deps").is_dir() and not (project / "relcache").exists()


def _fake_uv(folder: Path) -> str:
    """A uv that succeeds and installs nothing, as uv did when told to install somewhere else."""
    path = folder / "uv"
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_a_resolution_that_installs_none_of_the_requirements_fails_the_build(
        lz_env, tmp_path: Path, monkeypatch) -> None:
    import lz.cli.bundle.deps as deps

    project = make_project(tmp_path, {"dev": {"app": "app:app"}},
                           {"app.py": "app = None\n", "requirements.txt": "flask>=3\nrequests  # http\nboto3\n"})
    monkeypatch.setattr(deps, "uv", lambda: _fake_uv(tmp_path))
    with pytest.raises(DependencyError) as caught:
        build(load(project, "dev"), tmp_path / "b.zip")
    message = str(caught.value)
    assert "requirements.txt names flask, requests, but none of them was installed" in message
    assert "LZ_CACHE_DIR" in message and not (tmp_path / "b.zip").exists()


def test_a_cached_entry_whose_manifest_lacks_the_requirements_is_built_again(
        lz_env, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LZ_CACHE_DIR", str(tmp_path / "cache"))  # a cache of its own to spoil
    project = project_copy(tmp_path, "example_flask")
    build(load(project, "dev"), tmp_path / "a.zip")
    [entry] = (tmp_path / "cache").glob("deps/*/manifest.json")
    data = json.loads(entry.read_text())
    entry.write_text(json.dumps({**data, "distributions": []}))  # what a bundle without deps left
    again = build(load(project, "dev"), tmp_path / "b.zip")
    assert not again.deps_cached
    assert "flask/app.pyc" in _names(again.path)
    assert (tmp_path / "a.zip").read_bytes() == again.path.read_bytes()


# --- the dependencies' own test folders -------------------------------------------------------

def _wheel(folder: Path, name: str, files: dict[str, str]) -> Path:
    """A pure-Python wheel of `files` (path -> text), with a dist-info uv accepts."""
    dist = f"{name}-1.0.dist-info"
    files = {**files, f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
             f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    out = folder / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(out, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
        zf.writestr(f"{dist}/RECORD", "\n".join(record) + "\n")
    return out


PACKAGES = {
    # tests nobody imports: left out (the data-only test/ folder too)
    "alpha": {"alpha/__init__.py": "VALUE = 1\n", "alpha/tests/__init__.py": "",
              "alpha/tests/test_a.py": "import alpha\n", "alpha/sub/__init__.py": "",
              "alpha/sub/test/data.txt": "x\n"},
    # imports its own tests at import time, and they import another test folder: both stay
    "beta": {"beta/__init__.py": "from .tests import helpers\nVALUE = helpers.HELP\n",
             "beta/tests/__init__.py": "", "beta/tests/helpers.py": "from beta.extra.tests.data import D\nHELP = D\n",
             "beta/extra/__init__.py": "", "beta/extra/tests/__init__.py": "",
             "beta/extra/tests/data.py": "D = 2\n"},
    # imports its tests only inside a function (a test runner helper): left out
    "gamma": {"gamma/__init__.py": "VALUE = 3\n\ndef test():\n    from gamma import tests\n    return tests\n",
              "gamma/tests/__init__.py": ""},
}
IMPORT_ALL = '''import importlib, json, os

HERE = os.path.dirname(os.path.abspath(__file__))


def app(environ, start_response):
    """Import every top-level package and module of the bundle; answer the failures."""
    failed = {}
    for entry in sorted(os.listdir(HERE)):
        name = entry.split(".")[0]
        is_package = os.path.isdir(os.path.join(HERE, entry)) and "." not in entry  # not x.dist-info
        if name.startswith("_") or name in ("app", "lz_handler") or not (is_package or entry.endswith((".py", ".pyc"))):
            continue
        try:
            importlib.import_module(name)
        except Exception as exc:
            failed[name] = repr(exc)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(failed).encode()]
'''


def test_dependency_test_folders_are_left_out_unless_imported_or_kept(lz_env, tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    lines = [str(_wheel(wheels, name, files)) for name, files in PACKAGES.items()]
    project = make_project(
        tmp_path, {"dev": {"app": "app:app"}, "keep": {"extends": "dev", "keep_tests": ["alpha"]}},
        # simplejson: a real package whose wheel ships simplejson/tests
        {"app.py": IMPORT_ALL, "requirements.txt": "\n".join(lines + ["simplejson"]) + "\n"})
    out = tmp_path / "b.zip"
    result = lz(lz_env, "package", "dev", "--project", str(project), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "left out 4 test folders of dependencies" in result.stderr, result.stderr
    names = _names(out)
    for gone in ("alpha/tests/", "alpha/sub/test/", "gamma/tests/", "simplejson/tests/"):
        assert not any(n.startswith(gone) for n in names), gone
    for kept in ("beta/tests/helpers.pyc", "beta/extra/tests/data.pyc", "alpha/sub/__init__.pyc",
                 "simplejson/__init__.pyc"):
        assert kept in names, kept

    python = need_python("3.13")
    with LocalFunction(out, "3.13", python=python) as fn:
        answer = fn.invoke(make("http_v2"))
        assert answer.ok, (answer.describe(), answer.log)
        assert json.loads(answer.result["body"]) == {}, answer.result["body"]
    tops = {n.split("/")[0].split(".")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert {"alpha", "beta", "gamma", "simplejson"} <= tops  # what the app above imported

    kept = tmp_path / "k.zip"
    result = lz(lz_env, "package", "keep", "--project", str(project), "-o", str(kept))
    assert result.returncode == 0, result.stderr
    names = _names(kept)
    assert "alpha/tests/test_a.pyc" in names and "alpha/sub/test/data.txt" in names
    assert not any(n.startswith("gamma/tests/") for n in names)


def test_test_folders_are_chosen_without_deleting_anything(tmp_path: Path) -> None:
    """The build does not delete the folders it leaves out (it skips them when zipping, and the
    install folder goes as a whole afterwards): choosing them reads the site and changes nothing."""
    from lz.cli.bundle.striptests import test_folders, unneeded

    site = tmp_path / "site"
    for files in PACKAGES.values():
        for name, text in files.items():
            (site / name).parent.mkdir(parents=True, exist_ok=True)
            (site / name).write_text(text)
    before = sorted(p.relative_to(site).as_posix() for p in site.rglob("*"))
    left_out = unneeded(site, test_folders(site, []))
    assert "alpha/tests" in left_out and "beta/tests" not in left_out
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*")) == before
