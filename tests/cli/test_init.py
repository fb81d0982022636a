"""`lz init`: the app is found by reading the code; the file written always loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lz.cli.init import detect
from lz.cli.settings import load
from tests.cli.conftest import lz, project_copy


@pytest.mark.parametrize("example, app", [("example_flask", "app:app"), ("example_fastapi", "app:app")])
def test_init_finds_the_example_apps_and_writes_loadable_settings(lz_env, tmp_path: Path, example: str, app: str) -> None:
    project = project_copy(tmp_path, example)
    (project / "lz_settings.json").unlink()
    result = lz(lz_env, "init", "--yes", "--stage", "prod", "--architecture", "arm64",
                "--region", "eu-west-1", "--project", str(project))
    assert result.returncode == 0, result.stderr
    assert f"app: {app}" in result.stderr
    stage = load(project, "prod")
    assert (stage.app, stage.architecture, stage.region, stage.runtime) == (app, "arm64", "eu-west-1", "python3.13")


def test_detection_covers_django_and_nested_packages(tmp_path: Path) -> None:
    (tmp_path / "manage.py").write_text(
        'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n')
    (tmp_path / "mysite").mkdir()
    (tmp_path / "mysite" / "wsgi.py").write_text("application = get_wsgi_application()\n")
    (tmp_path / "svc" / "api").mkdir(parents=True)
    (tmp_path / "svc" / "api" / "__init__.py").write_text("import fastapi\nweb: fastapi.FastAPI = fastapi.FastAPI()\n")
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("")
    (tmp_path / ".venv" / "lib" / "x.py").write_text("app = Flask(__name__)\n")
    found = detect(tmp_path)
    assert [(f.framework, f.app) for f in found] == [("Django", "mysite.wsgi:application"), ("FastAPI", "svc.api:web")]


def test_init_refuses_to_overwrite_a_stage_and_says_how(lz_env, tmp_path: Path) -> None:
    project = project_copy(tmp_path, "example_flask")
    result = lz(lz_env, "init", "--yes", "--project", str(project))
    assert result.returncode == 1 and 'already has a stage "dev": pass --force' in result.stderr
    assert lz(lz_env, "init", "--yes", "--force", "--project", str(project)).returncode == 0
    others = json.loads((project / "lz_settings.json").read_text())
    assert "py312" in others  # other stages are kept


def test_init_without_an_app_asks_for_one(lz_env, tmp_path: Path) -> None:
    (tmp_path / "tool.py").write_text("print('hi')\n")
    result = lz(lz_env, "init", "--yes", "--project", str(tmp_path))
    assert result.returncode == 1 and "pass --app module:attr" in result.stderr
    # interactive: the answers come in on standard input, as a person would type them
    interactive = lz(lz_env, "init", "--project", str(tmp_path), input="tool:main\npython3.12\narm64\n\n")
    assert interactive.returncode == 0, interactive.stderr
    stage = load(tmp_path, "dev")
    assert (stage.app, stage.runtime, stage.architecture, stage.region) == ("tool:main", "python3.12", "arm64", None)
