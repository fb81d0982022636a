"""A Django project end to end: packaged with its wheels, run under the local Lambda runtime behind
WSGI and ASGI, and operated with `lz manage` (check, migrate on SQLite in /tmp) and `lz invoke`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.builders import make
from tests.cli.conftest import ROOT, lz, need_python

pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "django_app"
    shutil.copytree(ROOT / "tests" / "django_app", dest)
    settings = json.loads((dest / "lz_settings.json").read_text())
    settings["wsgi"]["environment"]["DJANGO_DB_PATH"] = str(tmp_path / "db.sqlite3")
    (dest / "lz_settings.json").write_text(json.dumps(settings))
    return dest


def test_manage_and_invoke_run_inside_the_bundle(lz_env, project: Path) -> None:
    need_python("3.13")
    run = lambda *args: lz(lz_env, *args, "--local", "--project", str(project))  # noqa: E731
    # as README writes it: lz's --local after the Django command is still lz's
    check = lz(lz_env, "manage", "--project", str(project), "wsgi", "check", "--local")
    assert check.returncode == 0, check.stderr
    assert "System check identified no issues" in check.stdout

    migrate = lz(lz_env, "manage", "--local", "--project", str(project), "wsgi", "migrate", "--noinput")
    assert migrate.returncode == 0, migrate.stderr
    assert "Applying auth.0001_initial... OK" in migrate.stdout
    assert (project.parent / "db.sqlite3").is_file()

    counted = run("invoke", "wsgi", "mysite.views.user_count")
    assert counted.returncode == 0, counted.stderr
    assert json.loads(counted.stdout) == 0

    shell = lz(lz_env, "manage", "--local", "--project", str(project), "wsgi", "shell")
    assert shell.returncode == 1 and "manage shell is refused" in shell.stderr

    # call_command("shell", command=...) is raw code: refused by the CLI, and by the function itself
    # when the event is sent as it is (issue 11: no route runs a name the bundle did not register)
    hostile = run("invoke", "wsgi", "django.core.management.call_command", "--args", '["shell"]')
    assert hostile.returncode == 1 and "is not a @command, @task or scheduled function" in hostile.stderr
    event = project.parent / "hostile.json"
    event.write_text(json.dumps({"lz": "invoke", "function": "django.core.management.call_command",
                                 "args": ["shell"], "kwargs": {"command": "print('pwned')"}}))
    sent = run("invoke", "wsgi", "--event", str(event))
    assert sent.returncode == 1 and "is not a @command" in sent.stderr and "pwned" not in sent.stdout
    failing = lz(lz_env, "manage", "--local", "--project", str(project), "wsgi", "migrate", "nosuchapp")
    assert failing.returncode == 1 and "No installed app with label 'nosuchapp'" in failing.stdout + failing.stderr

    raw = run("invoke", "wsgi", "--raw", "print(1)")
    assert raw.returncode == 1 and '"allow_raw_invoke": true' in raw.stderr
    settings = json.loads((project / "lz_settings.json").read_text())
    settings["wsgi"]["allow_raw_invoke"] = True
    (project / "lz_settings.json").write_text(json.dumps(settings))
    raw = run("invoke", "wsgi", "--raw", "from django.contrib.auth.models import User; print(User.objects.count() + 40)")
    assert raw.returncode == 0, raw.stderr
    assert raw.stdout.strip() == "40"


@pytest.mark.parametrize("stage", ["wsgi", "asgi"])
def test_django_serves_http_through_the_local_runtime(lz_env, project: Path, stage: str) -> None:
    python = need_python("3.13")
    from lz.cli.bundle import build
    from lz.cli.invoke import local_environment
    from lz.cli.local.runner import LocalFunction
    from lz.cli.settings import load

    settings = load(project, stage)
    assert lz(lz_env, "manage", "--local", "--project", str(project), stage, "migrate", "--noinput").returncode == 0
    bundle = build(settings)
    with LocalFunction(bundle.path, "3.13", python=python, environment=local_environment(settings)) as fn:
        home = fn.invoke(make("http_v2", path="/"))
        users = fn.invoke(make("http_v2", path="/users/"))
        moved = fn.invoke(make("rest_v1", path="/go/"))  # REST API stage dev
    assert home.ok and home.result["statusCode"] == 200, home.log
    assert json.loads(home.result["body"])["framework"] == "django"
    assert json.loads(users.result["body"]) == {"users": 0}
    assert moved.result["statusCode"] == 302
    assert moved.result["multiValueHeaders"]["Location"] == ["/dev/"]
