"""Django's static files end to end (issue 15, item 5): collectstatic at build time under the target
Python, the admin's CSS served by the bundle through `lz serve --bundle` and by in-process
`lz serve`, with the headers browsers and CDNs act on; `lz manage --local collectstatic` says what
lz does instead of copying into a folder thrown away."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.cli.conftest import ROOT, exclusive, lz, need_python, session_dir
from tests.cli.serve_support import Server, raw_request, status_of

pytestmark = pytest.mark.slow
CSS_LINK = re.compile(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"')


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "django_app"
    shutil.copytree(ROOT / "tests" / "django_app", dest, ignore=shutil.ignore_patterns(".lz", "__pycache__"))
    settings = json.loads((dest / "lz_settings.json").read_text())
    settings["wsgi"]["environment"]["DJANGO_DB_PATH"] = str(tmp_path / "db.sqlite3")
    settings["s3"] = {"extends": "static", "static": {"bucket": None}}
    settings["asgi-static"] = {"extends": "static", "app": "mysite.asgi:application"}
    (dest / "lz_settings.json").write_text(json.dumps(settings))
    return dest


def _admin_css(server: Server) -> str:
    status, headers, body = server.get("/admin/login/")
    assert status == 200, (body[:2000], server.output[-3000:])
    assert headers["Content-Type"].startswith("text/html")
    found = CSS_LINK.search(body.decode())
    assert found, body[:2000]  # ManifestStaticFilesStorage's hashed name, from the shipped manifest
    return found.group(1)


def _check_css(server: Server, project: Path, stage: str = "static") -> None:
    """What a browser and a CDN see of the admin's stylesheet, and of paths that try to leave."""
    href = _admin_css(server)
    status, headers, body = server.get(href)
    assert status == 200
    expected = (project / ".lz" / "static" / stage / href.removeprefix("/static/")).read_bytes()
    assert body == expected and b"--body-fg" in body  # the admin's own CSS, byte for byte
    assert headers["Content-Type"] == "text/css; charset=utf-8"
    assert headers["Content-Length"] == str(len(body))
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    etag = headers["ETag"]
    again, revalidated, empty = server.get(href, headers={"If-None-Match": etag})
    assert again == 304 and empty == b"" and revalidated["ETag"] == etag
    status, headers, _ = server.get("/static/admin/css/base.css")  # the unhashed name: revalidated
    assert status == 200 and headers["Cache-Control"] == "public, max-age=60"
    status, _, body = server.get("/static/site.css")  # the project's STATICFILES_DIRS
    assert status == 200 and b"#123456" in body
    head = raw_request(server.port, f"HEAD {href} HTTP/1.1\nHost: x\nConnection: close\n")
    assert status_of(head) == 200 and f"content-length: {len(expected)}".encode() in head.lower()
    assert head.endswith(b"\r\n\r\n")  # no body
    for path in ("/static/../mysite/settings.py", "/static/%2e%2e/mysite/settings.py",
                 "/static/admin%2f..%2f..%2fmysite/settings.py", "/static/admin/css/base.css%00.png",
                 "/static/..%5cmysite/settings.py"):
        answer = raw_request(server.port, f"GET {path} HTTP/1.1\nHost: x\nConnection: close\n")
        assert status_of(answer) in (400, 404), (path, answer[:300])
        assert b"SECRET_KEY" not in answer, path
    posted = raw_request(server.port, f"POST {href} HTTP/1.1\nHost: x\nContent-Length: 0\nConnection: close\n")
    assert status_of(posted) == 405


@pytest.mark.parametrize("stage", ["static", "s3", "asgi-static"])
def test_admin_css_loads_through_serve_bundle(lz_env, project: Path, stage: str) -> None:
    """A stage whose files go to S3 at deploy ships and serves them under `lz serve --bundle`,
    in a zip of its own (the deploy's bundle ships only the manifest: test_static_bucket.py)."""
    need_python("3.13")
    with Server([stage, "--project", str(project), "--bundle"], env=lz_env, timeout=600) as server:
        _check_css(server, project, stage)
    # collected for the target into lz's folder and shipped; the settings' STATIC_ROOT untouched
    assert not (project / "staticfiles").exists()
    bundle = project / ".lz" / ("django-app-s3-serve.zip" if stage == "s3" else f"django-app-{stage}.zip")
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        entry = zf.read("lz_handler.py").decode()
    assert "lz_static/staticfiles.json" in names and "lz_static/admin/css/base.css" in names
    assert "serve_static" in entry and "django=True" in entry


@pytest.fixture(scope="session")
def django_here(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Django for the Python the tests (and in-process `lz serve`) run on, which has none: in-process
    mode imports the app into lz's own process, as a user's virtualenv would have it."""
    from lz.cli.paths import uv_path

    target = session_dir(tmp_path_factory, "django-here")
    with exclusive(target.parent / ".django-here.lock"):
        if not (target / "django").is_dir():
            subprocess.run([uv_path(), "pip", "install", "--quiet", "--target", str(target), "--python",
                            sys.executable, "django>=5.1,<6"], check=True, timeout=300)
    return target


def test_in_process_serve_serves_them_the_same_way(lz_env, project: Path, django_here: Path) -> None:
    need_python("3.13")
    built = lz(lz_env, "package", "static", "--project", str(project))
    assert built.returncode == 0, built.stderr
    assert "static files (collectstatic, " in built.stdout + built.stderr
    env = {**lz_env, "PYTHONPATH": str(django_here)}
    with Server(["static", "--project", str(project), "--no-reload"], env=env, timeout=120) as server:
        _check_css(server, project)
        assert "static files (collectstatic" in server.output


def test_manage_local_collectstatic_says_what_lz_does(lz_env, project: Path) -> None:
    need_python("3.13")
    done = lz(lz_env, "manage", "--local", "--project", str(project), "static", "collectstatic", "--noinput")
    assert done.returncode == 0, done.stderr
    assert "lz runs collectstatic itself whenever it builds the stage" in done.stdout
    assert "options --noinput do not apply" in done.stdout
    assert str(project / ".lz" / "static" / "static") in done.stdout
    assert (project / ".lz" / "static" / "static" / "staticfiles.json").is_file()
    plain = lz(lz_env, "manage", "--local", "--project", str(project), "wsgi", "collectstatic")
    assert plain.returncode == 0 and "has no static files to collect" in plain.stdout


def test_a_django_app_without_staticfiles_ships_none(lz_env, project: Path) -> None:
    python = need_python("3.13")
    from lz.cli.bundle import build
    from lz.cli.settings import load

    bundle = build(load(project, "wsgi"))
    assert bundle.static is None and python
    with zipfile.ZipFile(bundle.path) as zf:
        assert not any(n.startswith("lz_static/") for n in zf.namelist())
        assert "static" not in zf.read("lz_handler.py").decode()


def test_a_collectstatic_failure_fails_the_build(lz_env, project: Path) -> None:
    need_python("3.13")
    # ManifestStaticFilesStorage refuses a stylesheet whose url() names no file
    (project / "assets" / "broken.css").write_text('body { background: url("no-such-image.png"); }\n')
    built = lz(lz_env, "package", "static", "--project", str(project))
    assert built.returncode == 1
    assert "collectstatic failed while building" in built.stderr and "no-such-image.png" in built.stderr
    assert '"static": false' in built.stderr
    assert os.path.exists(project / "mysite")  # nothing of the project touched


def test_a_rebuild_with_nothing_changed_skips_collectstatic(lz_env, project: Path) -> None:
    """The memo: same inputs, same folder (collectstatic not run); a changed file in a folder the
    finders search, even one lz does not ship (dist/ is junk), runs it again."""
    need_python("3.13")
    from lz.cli.bundle import build
    from lz.cli.settings import load

    settings = project / "mysite" / "static_settings.py"
    settings.write_text(settings.read_text() + "\nSTATICFILES_DIRS = [BASE_DIR / 'assets', BASE_DIR / 'dist']\n")
    (project / "dist").mkdir()
    (project / "dist" / "app.js").write_text("console.log('one')\n")
    folder = project / ".lz" / "static" / "static"
    first = build(load(project, "static"))
    made = folder.stat().st_ino
    again = build(load(project, "static"))
    assert folder.stat().st_ino == made  # not collected again
    assert again.static is not None and len(again.static.files) == len(first.static.files)
    with zipfile.ZipFile(again.path) as zf:
        assert "lz_static/app.js" in zf.namelist() and "dist/app.js" not in zf.namelist()
    (project / "dist" / "app.js").write_text("console.log('two')\n")
    third = build(load(project, "static"))
    assert folder.stat().st_ino != made
    assert (folder / "app.js").read_text() == "console.log('two')\n"
    with zipfile.ZipFile(third.path) as zf:
        assert zf.read("lz_static/app.js") == b"console.log('two')\n"
