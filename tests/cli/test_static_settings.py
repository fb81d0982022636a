"""The `static` setting: its validation (did-you-mean, shapes), a non-Django app's choices, a
project folder served Flask-style, and what an app without static files pays: nothing (the entry
never imports lz/adapter/static.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lz.cli.bundle.entry import handler_source
from lz.cli.settings import SettingsError, load
from tests.builders import make
from tests.cli.conftest import ROOT, make_project
from tests.cli.serve_support import Server

APP = "def app(environ, start_response):\n    start_response('200 OK', [('Content-Type', 'text/plain')])\n    return [b'app']\n"


def _load(tmp_path: Path, static) -> object:
    return load(make_project(tmp_path, {"dev": {"app": "app:app", "static": static}}, {"app.py": APP}), "dev")


@pytest.mark.parametrize(("static", "message"), [
    ({"buckt": None}, 'unknown key "buckt" (did you mean "bucket"?)'),
    ({}, 'needs "bucket" (upload the static files to S3'),
    ({"bucket": "Not_A_Bucket"}, "must look like an S3 bucket name"),
    ({"dir": "public", "url": "static"}, "must look like a URL path that starts and ends with /"),
    ({"bucket": None, "url": "/s/"}, '"url" goes with "dir"'),
    ({"dir": "../elsewhere"}, '"dir" must be a folder inside the project'),
    ("yes", "must be true or false or an object"),
])
def test_bad_static_settings_say_what_to_write(tmp_path: Path, static, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        _load(tmp_path, static)
    assert message in str(caught.value)


def test_good_static_settings_load(tmp_path: Path) -> None:
    assert _load(tmp_path, {"bucket": None}).static == {"bucket": None}
    assert _load(tmp_path, {"dir": "public", "url": "/assets/"}).static == {"dir": "public", "url": "/assets/"}
    assert load(make_project(tmp_path, {"dev": {"app": "app:app"}}), "dev").static is True


def _run_entry(tmp_path: Path, static_url: str | None) -> dict:
    """Import a generated lz_handler.py in a fresh Python, answer one request, report modules."""
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "lz_static").mkdir(exist_ok=True)
    (tmp_path / "lz_static" / "x.css").write_text("a{}")
    (tmp_path / "lz_handler.py").write_text(handler_source("app:app", {}, {}, static_url))
    event = json.dumps(make("http_v2", path="/x.css" if static_url is None else static_url + "x.css"))
    code = ("import json, sys; import lz_handler; "
            f"r = lz_handler.handler(json.loads({event!r}), None); "
            "print(json.dumps({'body': r['body'], 'static': 'lz.adapter.static' in sys.modules}))")
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path[:0] = [{str(tmp_path)!r}, "
                          f"{str(ROOT)!r}]; " + code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # after the request log line


def test_an_app_without_static_files_never_imports_the_static_server(tmp_path: Path) -> None:
    without = _run_entry(tmp_path, None)
    assert without == {"body": "app", "static": False}
    with_static = _run_entry(tmp_path, "/assets/")  # the same entry with a static folder: loaded
    assert with_static == {"body": "a{}", "static": True}


def test_a_folder_of_the_project_is_served_flask_style_in_process(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app", "static": {"dir": "public", "url": "/assets/"}}},
                           {"app.py": APP, "public/css/site.css": "p{color:red}"})
    (project / "public" / "leak.css").symlink_to(project / "app.py")
    with Server(["dev", "--project", str(project), "--no-reload"]) as server:
        status, headers, body = server.get("/assets/css/site.css")
        assert (status, body) == (200, b"p{color:red}"), server.output
        assert headers["Content-Type"] == "text/css; charset=utf-8"
        assert headers["Cache-Control"] == "public, max-age=60"
        assert server.get("/assets/leak.css")[0] == 404  # the symlink is not copied, nor followed
        assert server.get("/")[2] == b"app"
    assert (project / ".lz" / "static" / "dev" / "css" / "site.css").is_file()


def test_a_bucket_for_an_app_that_is_not_django_says_what_to_set(tmp_path: Path) -> None:
    from lz.cli.bundle import BuildError, build

    stage = _load(tmp_path, {"bucket": None})
    with pytest.raises(BuildError) as caught:
        build(stage, bytecode=False)
    assert "needs Django's collectstatic" in str(caught.value)
    assert '"static": {"dir": "static", "url": "/static/"}' in str(caught.value)


def test_a_file_too_large_for_a_lambda_response_fails_the_build(tmp_path: Path) -> None:
    """Lambda's synchronous response is 6 MB at most ("Lambda quotas", Invocation payload), and a
    binary body goes base64-encoded in it: the build says so before a request would fail."""
    from lz.cli.bundle import BuildError, build
    from lz.cli.bundle.static import LARGEST

    project = make_project(tmp_path, {"dev": {"app": "app:app", "static": {"dir": "public"}}},
                           {"app.py": APP, "public/ok.png": "x"})
    (project / "public" / "video.mp4").write_bytes(b"\0" * (LARGEST + 1))
    with pytest.raises(BuildError) as caught:
        build(load(project, "dev"), bytecode=False)
    message = str(caught.value)
    assert "video.mp4 (4.5 MiB)" in message and '"static": {"bucket": null}' in message
    (project / "public" / "video.mp4").write_bytes(b"\0" * LARGEST)  # the largest that fits
    built = build(load(project, "dev"), bytecode=False)
    assert built.static is not None and len(built.static.files) == 2


def test_the_bucket_lz_names_is_a_valid_s3_name() -> None:
    """S3 bucket names: 3-63 characters, lowercase letters, digits, dots and hyphens, starting and
    ending with a letter or digit ("General purpose bucket naming rules", Amazon S3 User Guide,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)."""
    import re

    from lz.cli.deploy.resources.static_bucket import bucket_name

    for stage in ("dev", "Prod_EU", "x" * 40):
        name = bucket_name("my-project", stage, "123456789012", "eu-west-1")
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name), name
