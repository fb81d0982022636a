"""`lz package` through the real CLI, and the bundles it writes executed under awslambdaric in
the target interpreter (the local Lambda runtime), answering real REST and HTTP API events."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest

from lz.cli.bundle.target import Target
from lz.cli.local.runner import LocalFunction
from tests.builders import make, response_body
from tests.cli.conftest import lz, make_project, need_python, project_copy

pytestmark = pytest.mark.slow

STAGES = {"3.13": "dev", "3.12": "py312"}


def build(env, project: Path, stage: str, out: Path, *extra: str) -> str:
    result = lz(env, "package", stage, "--project", str(project), "-o", str(out), *extra)
    assert result.returncode == 0, result.stderr
    assert out.is_file()
    return result.stderr


@pytest.mark.parametrize("version", sorted(STAGES))
@pytest.mark.parametrize("example", ["example_flask", "example_fastapi"])
def test_bundle_answers_rest_and_http_api_events_under_its_target_python(
    lz_env, tmp_path: Path, example: str, version: str
) -> None:
    python = need_python(version)
    project = project_copy(tmp_path, example)
    out = tmp_path / "bundle.zip"
    report = build(lz_env, project, STAGES[version], out)
    assert f"Python {version} on x86_64" in report and "compiled with" in report

    items = "/api/items" if example == "example_flask" else "/api/items/"
    with LocalFunction(out, version, python=python, timeout=30) as fn:
        first = fn.invoke(make("http_v2", path=items))
        assert first.ok, (first.describe(), first.log)
        assert first.cold is True
        assert json.loads(first.result["body"])["items"][0] == {"id": 1, "name": "kettle"}

        redirect = fn.invoke(make("rest_v1", path="/go", stage="dev"))
        assert redirect.ok and redirect.cold is False
        location = redirect.result["multiValueHeaders"].get("Location") or redirect.result["multiValueHeaders"]["location"]
        assert location[0].endswith(f"/dev{items}")

        cookies = fn.invoke(make("http_v2", path="/cookies", headers=[("Cookie", "visits=1")]))
        assert sorted(c.split(";")[0] for c in cookies.result["cookies"]) == ["flavour=oatmeal", "visits=2"]

        data = bytes(range(256)) * 64
        upload = fn.invoke(make("rest_v1", method="POST", path="/upload", body=data,
                                headers=[("Content-Type", "application/octet-stream")]))
        assert json.loads(response_body(upload.result))["size"] == len(data)

        if example == "example_fastapi":  # the lifespan's pool lives on across invocations
            counts = [json.loads(fn.invoke(make("http_v2", path="/pool")).result["body"])["queries"]
                      for _ in range(3)]
            assert counts == [1, 2, 3]
        assert fn.starts == 1


def _elf_machine(data: bytes) -> int:
    assert data[:4] == b"\x7fELF"
    return struct.unpack_from("<H", data, 18)[0]


def test_arm64_bundle_holds_aarch64_manylinux_wheels_up_to_2_34(lz_env, tmp_path: Path) -> None:
    project = project_copy(tmp_path, "example_fastapi")
    out = tmp_path / "arm.zip"
    build(lz_env, project, "arm", out)
    target = Target("3.13", "arm64")
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        shared = [n for n in names if n.endswith(".so")]
        assert shared, "pydantic-core ships a compiled extension"
        for name in shared:
            assert "aarch64" in name and "cpython-313" in name, name
            assert _elf_machine(zf.read(name)) == 183  # EM_AARCH64
        wheels = [n for n in names if n.endswith(".dist-info/WHEEL")]
        assert wheels
        for name in wheels:
            tags = [line.split(": ", 1)[1] for line in zf.read(name).decode().splitlines()
                    if line.startswith("Tag: ")]
            platforms = {tag.rsplit("-", 1)[1] for tag in tags}
            assert any(target.accepts(p) for p in platforms), (name, platforms)
            assert not any("x86_64" in p for p in platforms), (name, platforms)


def test_two_builds_are_byte_identical_and_a_warm_one_reuses_the_cache(lz_env, tmp_path: Path) -> None:
    project = project_copy(tmp_path, "example_flask")
    first, second, fresh = tmp_path / "a.zip", tmp_path / "b.zip", tmp_path / "c.zip"
    build(lz_env, project, "dev", first)
    report = build(lz_env, project, "dev", second)
    assert "dependencies from cache" in report
    assert first.read_bytes() == second.read_bytes()
    report = build(lz_env, project, "dev", fresh, "--refresh")
    assert "dependencies from cache" not in report
    assert fresh.read_bytes() == first.read_bytes()
    (project / "app.py").write_text((project / "app.py").read_text() + "\n# changed\n")
    changed = tmp_path / "d.zip"
    assert "dependencies from cache" in build(lz_env, project, "dev", changed)
    assert changed.read_bytes() != first.read_bytes()


def test_bundle_layout_runtime_only_and_sourceless_dependencies(lz_env, tmp_path: Path) -> None:
    project = project_copy(tmp_path, "example_flask")
    out = tmp_path / "b.zip"
    build(lz_env, project, "dev", out)
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        infos = zf.infolist()
    assert {"lz_handler.py", "lz/__init__.py", "lz/adapter/__init__.py", "lz/adapter/wsgi.py", "app.py"} <= names
    # lz.cli and its tooling never ship (click is here as a dependency of Flask itself)
    assert not any(n.startswith(("lz/cli", "rich/", "boto3/", "uv/")) for n in names)
    assert "lz_settings.json" not in names and "requirements.txt" in names
    # dependencies as bytecode only; the project's own code keeps its sources beside bytecode
    assert "flask/app.pyc" in names and "flask/app.py" not in names
    assert "app.py" in names and any(n.startswith("__pycache__/app.cpython-313") for n in names)
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in infos)
    assert {info.external_attr >> 16 for info in infos} <= {0o100644, 0o100755}
    # two sorted runs: the cached dependencies, then the project and lz's runtime appended to them
    order = [info.filename for info in infos]
    split = next(k for k in range(1, len(order)) if order[k] < order[k - 1])
    assert order[:split] == sorted(order[:split]) and order[split:] == sorted(order[split:])
    assert "lz_handler.py" in order[split:] and "flask/app.pyc" in order[:split]


def test_secrets_and_junk_are_left_out_and_named(lz_env, tmp_path: Path) -> None:
    project = make_project(
        tmp_path, {"dev": {"app": "app:app"}, "keep": {"extends": "dev", "include": [".env", "certs/*"]}},
        {"app.py": "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"})
    for junk in [".git/config", ".venv/pyvenv.cfg", "env2/pyvenv.cfg", "env2/lib/x.py",
                 "tests/test_app.py", "node_modules/x/index.js", "__pycache__/app.cpython-313.pyc",
                 "build/lib/x.py", "pkg.egg-info/PKG-INFO", ".pytest_cache/v"]:
        (project / junk).parent.mkdir(parents=True, exist_ok=True)
        (project / junk).write_text("junk")
    for secret in [".env", ".env.production", "certs/server.pem", "deploy.key", "id_rsa", ".aws/credentials"]:
        (project / secret).parent.mkdir(parents=True, exist_ok=True)
        (project / secret).write_text("secret")
    (project / "static").mkdir()
    (project / "static" / "site.css").write_text("body{}")

    out = tmp_path / "s.zip"
    report = build(lz_env, project, "dev", out)
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
    assert "app.py" in names and "static/site.css" in names
    for junk in [".git/config", ".venv/pyvenv.cfg", "env2/lib/x.py", "tests/test_app.py",
                 "node_modules/x/index.js", "build/lib/x.py", "pkg.egg-info/PKG-INFO"]:
        assert junk not in names
    for secret in [".env", ".env.production", "certs/server.pem", "deploy.key", "id_rsa", ".aws/credentials"]:
        assert secret not in names
    for named in [".env", ".env.production", "certs/server.pem", "deploy.key", "id_rsa", ".aws/"]:
        assert f"left out (looks secret): {named}" in report, report

    build(lz_env, project, "keep", out)
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
    assert ".env" in names and "certs/server.pem" in names and "deploy.key" not in names


def test_dependencies_without_a_linux_wheel_are_an_error_listing_each_and_the_ways_out(lz_env, tmp_path: Path) -> None:
    project = make_project(
        tmp_path, {"dev": {"app": "app:app"}, "built": {"extends": "dev", "build_from_source": ["docopt", "wget"]}},
        # both published as sdists only; uv itself stops at the first
        {"app.py": "app = None\n", "requirements.txt": "docopt==0.6.2\nwget==3.2\nflask\n"})
    out = tmp_path / "x.zip"
    result = lz(lz_env, "package", "dev", "--project", str(project), "-o", str(out))
    assert result.returncode == 1
    assert "no wheel for Python 3.13 on x86_64 (manylinux up to 2.34) for: docopt, wget" in result.stderr
    assert "manylinux_2_34_x86_64" in result.stderr and "manylinux2014_x86_64" in result.stderr
    assert '"build_from_source": ["docopt", "wget"]' in result.stderr and "vendor/" in result.stderr
    assert not out.exists()
    build(lz_env, project, "built", out)  # the opt-in builds them from source
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
    assert {"docopt.pyc", "wget.pyc"} <= names


def test_vendor_files_go_to_the_bundle_root(lz_env, tmp_path: Path) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app"}}, {
        "vendor/oldlib/__init__.py": "VALUE = 42\n",
        "app.py": ("import oldlib\n\ndef app(environ, start_response):\n"
                   "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
                   "    return [str(oldlib.VALUE).encode()]\n"),
    })
    out = tmp_path / "v.zip"
    build(lz_env, project, "dev", out)
    with zipfile.ZipFile(out) as zf:
        assert "oldlib/__init__.py" in zf.namelist()
    python = need_python("3.13")
    with LocalFunction(out, "3.13", python=python) as fn:
        assert fn.invoke(make("http_v2")).result["body"] == "42"


def test_without_a_target_interpreter_the_bundle_ships_sources_and_says_so(lz_env, tmp_path: Path) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app", "runtime": "python3.14"}},
                           {"app.py": "app = None\n"})
    from lz.cli.pythons import find_python

    if find_python("3.14") is not None:
        pytest.skip("a Python 3.14 is installed here, so this case cannot be staged")
    out = tmp_path / "s.zip"
    report = build(lz_env, project, "dev", out)
    assert "no Python 3.14 interpreter found" in report and "shipping sources only" in report
    assert "bytecode: none (sources only)" in report
    with zipfile.ZipFile(out) as zf:
        assert not any(n.endswith(".pyc") for n in zf.namelist())


def test_lambda_size_limits_are_errors_or_notes_before_deploy(lz_env, tmp_path: Path, monkeypatch) -> None:
    import lz.cli.bundle as bundle_module
    from lz.cli.settings import load

    project = project_copy(tmp_path, "example_flask")
    monkeypatch.setattr(bundle_module, "ZIP_DIRECT_LIMIT", 100_000)
    result = bundle_module.build(load(project, "dev"), tmp_path / "big.zip")
    assert any("over the 50 MiB direct-upload limit" in note and "S3" in note for note in result.notes)
    monkeypatch.setattr(bundle_module, "UNZIPPED_LIMIT", 1_000_000)
    with pytest.raises(bundle_module.BuildError, match="over Lambda's 250 MiB limit; biggest packages: werkzeug"):
        bundle_module.build(load(project, "dev"), tmp_path / "bigger.zip")
    assert not (tmp_path / "bigger.zip").exists()


def test_boto3_is_left_to_the_runtime_unless_kept(lz_env, tmp_path: Path) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app"}, "keep": {"extends": "dev", "keep_boto3": True}},
                           {"app.py": "app = None\n", "requirements.txt": "boto3\n"})
    out = tmp_path / "b.zip"
    build(lz_env, project, "dev", out)
    with zipfile.ZipFile(out) as zf:
        tops = {n.split("/")[0] for n in zf.namelist()}
    assert not {t for t in tops if t.startswith(("boto3", "botocore", "s3transfer"))}
    build(lz_env, project, "keep", out)
    with zipfile.ZipFile(out) as zf:
        tops = {n.split("/")[0] for n in zf.namelist()}
    assert "boto3" in tops and "botocore" in tops


def test_missing_app_module_is_an_error_before_anything_is_written(lz_env, tmp_path: Path) -> None:
    project = make_project(tmp_path, {"dev": {"app": "myapp.web:app"}})
    result = lz(lz_env, "package", "dev", "--project", str(project))
    assert result.returncode == 1
    assert 'the app module of "app": "myapp.web:app" is not among the project files' in result.stderr
    assert "myapp/web.py" in result.stderr


def test_broken_settings_reach_the_user_as_a_one_line_error(lz_env, tmp_path: Path) -> None:
    (tmp_path / "lz_settings.json").write_text('{"dev": {"app": "a:b", "memroy": 512}}')
    result = lz(lz_env, "package", "dev", "--project", str(tmp_path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert 'unknown key "memroy"' in result.stderr
