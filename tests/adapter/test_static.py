"""lz/adapter/static.py through lz's adapter, as a Lambda event reaches it: types, ETag and 304,
HEAD, cache headers from Django's manifest, .br/.gz twins, methods, and every way out of the folder
refused (traversal, encoded slashes, NUL, backslashes, symlinks)."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lz.adapter import adapt
from lz.adapter.static import IMMUTABLE, SHORT, StaticASGI, StaticWSGI, serve_static
from tests.builders import make

ROOT = Path(__file__).resolve().parents[2]
CSS = b"body { color: #123456; }\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "collected"
    (root / "admin" / "css").mkdir(parents=True)
    (root / "admin" / "css" / "base.css").write_bytes(CSS)
    (root / "admin" / "css" / "base.0123456789ab.css").write_bytes(CSS)
    (root / "staticfiles.json").write_text(json.dumps(
        {"version": "1.1", "paths": {"admin/css/base.css": "admin/css/base.0123456789ab.css"}}))
    (root / "app.js").write_bytes(b"console.log(1)\n")
    (root / "app.js.gz").write_bytes(gzip.compress(b"console.log(1)\n", mtime=0))
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (tmp_path / "secret.txt").write_text("outside the folder")
    return root


def _wsgi_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"the app"]


async def _asgi_app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"the app"})


def _headers(result: dict) -> dict[str, str]:
    if "multiValueHeaders" in result:
        return {k.lower(): v[-1] for k, v in result["multiValueHeaders"].items()}
    return {k.lower(): v for k, v in result.get("headers", {}).items()}


def _body(result: dict) -> bytes:
    body = result.get("body") or ""
    return base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()


@pytest.fixture(params=["wsgi", "asgi"])
def handler(request, folder: Path):
    app = serve_static(_wsgi_app if request.param == "wsgi" else _asgi_app, str(folder), "/static/")
    assert isinstance(app, StaticWSGI if request.param == "wsgi" else StaticASGI)
    handle = adapt(app, lifespan="off") if request.param == "asgi" else adapt(app)

    def call(path: str, method: str = "GET", headers: dict | None = None, kind: str = "http_v2") -> dict:
        return handle(make(kind, path=path, method=method, headers=list((headers or {}).items())), None)

    return call


def test_a_hashed_name_is_immutable_and_a_plain_one_revalidates(handler) -> None:
    hashed = handler("/static/admin/css/base.0123456789ab.css")
    assert hashed["statusCode"] == 200 and _body(hashed) == CSS
    head = _headers(hashed)
    assert head["content-type"] == "text/css; charset=utf-8"
    assert head["content-length"] == str(len(CSS))
    assert head["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert head["etag"].startswith('"') and head["etag"].endswith('"')
    plain = _headers(handler("/static/admin/css/base.css"))
    assert plain["cache-control"] == SHORT and plain["etag"] == head["etag"]  # same bytes, same tag


def test_if_none_match_gives_304_and_head_gives_no_body(handler) -> None:
    etag = _headers(handler("/static/app.js"))["etag"]
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = handler("/static/app.js", headers={"if-none-match": sent})
        assert again["statusCode"] == 304 and _body(again) == b"", sent
        assert _headers(again)["etag"] == etag
    assert handler("/static/app.js", headers={"if-none-match": '"other"'})["statusCode"] == 200
    head = handler("/static/app.js", method="HEAD")
    assert head["statusCode"] == 200 and _body(head) == b""
    assert _headers(head)["content-length"] == str(len(b"console.log(1)\n"))


def test_a_gzip_twin_goes_to_clients_that_accept_it(handler) -> None:
    zipped = handler("/static/app.js", headers={"accept-encoding": "br, gzip"})
    head = _headers(zipped)
    assert head["content-encoding"] == "gzip" and head["vary"] == "Accept-Encoding"
    assert gzip.decompress(_body(zipped)) == b"console.log(1)\n"
    assert head["content-type"] == "text/javascript; charset=utf-8"
    plain = handler("/static/app.js", headers={"accept-encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in _headers(plain) and _body(plain) == b"console.log(1)\n"
    assert _headers(plain)["etag"] != head["etag"]  # a tag per representation


def test_binary_files_round_trip(handler) -> None:
    png = handler("/static/logo.png")
    assert _headers(png)["content-type"] == "image/png"
    assert _body(png) == b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def test_other_paths_reach_the_app_and_other_methods_are_refused(handler) -> None:
    assert _body(handler("/")) == b"the app"
    assert _body(handler("/staticx/app.js")) == b"the app"
    posted = handler("/static/app.js", method="POST")
    assert posted["statusCode"] == 405 and _headers(posted)["allow"] == "GET, HEAD"
    assert handler("/static/missing.css")["statusCode"] == 404
    assert handler("/static/admin")["statusCode"] == 404  # a folder is not a file


@pytest.mark.parametrize("path", [
    "/static/../secret.txt", "/static/admin/../../secret.txt", "/static/%2e%2e/secret.txt",
    "/static/admin%2fcss/base.css", "/static/admin%2Fcss%2F..%2F..%2F..%2Fsecret.txt",
    "/static/admin%5ccss/base.css", "/static/app.js%00.png", "/static//etc/passwd",
    "/static/./app.js", "/static/", "/static/admin\\css\\base.css",
])
def test_ways_out_of_the_folder_are_refused(handler, path: str) -> None:
    for kind in ("http_v2", "rest_v1"):
        result = handler(path, kind=kind)
        assert result["statusCode"] in (400, 404), (kind, path, result)
        assert b"outside the folder" not in _body(result) and b"color" not in _body(result)


def test_symlinks_are_never_followed(folder: Path) -> None:
    (folder / "link.txt").symlink_to(folder.parent / "secret.txt")
    (folder / "linked").symlink_to(folder.parent, target_is_directory=True)
    handle = adapt(serve_static(_wsgi_app, str(folder), "/static/"))
    for path in ("/static/link.txt", "/static/linked/secret.txt"):
        result = handle(make("http_v2", path=path), None)
        assert result["statusCode"] == 404 and b"outside" not in _body(result), path


def test_the_url_must_be_a_path_prefix(folder: Path) -> None:
    with pytest.raises(ValueError, match="start and end with '/'"):
        serve_static(_wsgi_app, str(folder), "/static")


def test_asgi_lifespan_and_other_scopes_reach_the_app(folder: Path) -> None:
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    wrapped = serve_static(app, str(folder), "/static/")
    asyncio.run(wrapped({"type": "lifespan"}, None, None))
    assert seen == ["lifespan"]


def test_django_static_root_points_at_the_served_folder(folder: Path, tmp_path: Path) -> None:
    """The manifest storage reads staticfiles.json from STATIC_ROOT: the entry points it at the
    bundle's folder (a stand-in django.conf here, as the runtime only sets the attribute)."""
    fake = tmp_path / "fake"
    (fake / "django").mkdir(parents=True)
    (fake / "django" / "__init__.py").write_text("")
    (fake / "django" / "conf.py").write_text("class _S: STATIC_ROOT = '/build/machine'\nsettings = _S()\n")
    code = ("import django.conf, sys; from lz.adapter.static import serve_static; "
            f"serve_static(lambda e, s: [], {str(folder)!r}, '/static/', django=True); "
            "print(django.conf.settings.STATIC_ROOT)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": f"{fake}{os.pathsep}{ROOT}"})
    assert out.stdout.strip() == os.path.realpath(folder)
