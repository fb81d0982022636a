"""`"app": "module:missing"` is an error of `lz package` and `lz deploy`, found by reading the
module (never running it) before dependencies are resolved and before anything reaches AWS."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lz.cli.bundle.appcheck import missing_attribute
from tests.cli.conftest import REGION, lz, make_project, need_python

APP = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"


def test_package_names_a_missing_attribute_before_resolving_dependencies(lz_env, tmp_path: Path) -> None:
    project = make_project(
        tmp_path, {"dev": {"app": "app:apps"}},
        # a requirement that cannot resolve: the error must come first, without uv being asked
        {"app.py": APP + "handler = app\n", "requirements.txt": "lz-no-such-package-anywhere==0.0.1\n"})
    out = tmp_path / "b.zip"
    result = lz(lz_env, "package", "dev", "--project", str(project), "-o", str(out))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert '"app": "app:apps": app.py defines no "apps" at module level' in result.stderr
    assert 'did you mean "app:app"?' in result.stderr and "it defines: app, handler" in result.stderr
    assert "lz-no-such-package" not in result.stderr and not out.exists()


@pytest.mark.slow
def test_deploy_stops_on_a_missing_attribute_before_any_aws_call(aws_env, tmp_path: Path) -> None:
    import boto3

    project = make_project(tmp_path, {"dev": {"app": "web:missing"}}, {"web.py": APP})
    result = lz(aws_env, "deploy", "dev", "--project", str(project))
    assert result.returncode == 1, result.stderr
    assert 'web.py defines no "missing"' in result.stderr
    client = boto3.client("lambda", region_name=REGION)
    assert client.list_functions()["Functions"] == []
    assert boto3.client("iam", region_name=REGION).list_roles()["Roles"] == []


BOUND = {  # module text -> the attribute it binds, each a way real apps define theirs
    "app = make()\n": "app",
    "app: object = make()\n": "app",
    "try:\n    from fast import app\nexcept ImportError:\n    from slow import app\n": "app",
    "if DEBUG:\n    app = a\nelse:\n    app = b\n": "app",
    "from flask import Flask as Application\n": "Application",
    "import server.wsgi\n": "server",
    "def application(environ, start_response):\n    pass\n": "application",
    "class App:\n    pass\n": "App",
    "def setup():\n    global app\n    app = 1\nsetup()\n": "app",
    "with factory() as app:\n    pass\n": "app",
    "for app in [1]:\n    pass\n": "app",
    "(app := make())\n": "app",
    "a, (b, app) = 1, (2, 3)\n": "app",
    "from settings import *\n": "anything",
    "def __getattr__(name):\n    return name\n": "anything",
    "globals()['app'] = 1\n": "app",
}


@pytest.mark.parametrize("source,attr", sorted(BOUND.items()))
def test_every_module_level_binding_counts(tmp_path: Path, source: str, attr: str) -> None:
    path = tmp_path / "web.py"
    path.write_text(source)
    assert missing_attribute(f"web:{attr}", {"web.py": path}, None, "3.13") is None


def test_attributes_bound_only_inside_functions_or_classes_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "web.py"
    path.write_text("def create():\n    app = 1\n    return app\n\nclass Box:\n    app = 2\n")
    error = missing_attribute("web:app", {"web.py": path}, None, "3.13")
    assert error is not None and 'defines no "app"' in error and "it defines: Box, create" in error


def test_a_package_submodule_and_a_nested_attribute(tmp_path: Path) -> None:
    init = tmp_path / "__init__.py"
    init.write_text("")
    web = tmp_path / "web.py"
    web.write_text("server = make()\n")
    files = {"pkg/__init__.py": init, "pkg/web.py": web}
    assert missing_attribute("pkg:web", files, None, "3.13") is None  # getattr(pkg, "web")
    assert missing_attribute("pkg.web:server.app", files, None, "3.13") is None  # only `server` is checked
    assert missing_attribute("pkg.web:srv", files, None, "3.13") is not None


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="needs syntax newer than the running Python")
def test_syntax_newer_than_this_python_is_read_with_the_target_interpreter(tmp_path: Path) -> None:
    python = need_python("3.13")
    path = tmp_path / "web.py"
    path.write_text("type Handler = object\n\ndef app[T](environ: T, start_response):\n    pass\n")
    assert missing_attribute("web:app", {"web.py": path}, python, "3.13") is None
    error = missing_attribute("web:nope", {"web.py": path}, python, "3.13")
    assert error is not None and 'defines no "nope"' in error and "Handler, app" in error
    broken = tmp_path / "bad.py"
    broken.write_text("def app(:\n")
    error = missing_attribute("bad:app", {"bad.py": broken}, python, "3.13")
    assert error is not None and "does not parse as Python 3.13" in error
