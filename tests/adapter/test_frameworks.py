"""The example apps (real Flask and FastAPI) behind every source: what a user would click through."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from tests.builders import KINDS, Context, make, response_body, response_headers

flask_app = pytest.importorskip("example_flask.app")
fastapi_app = pytest.importorskip("example_fastapi.app")

APPS = {"flask": flask_app.handler, "fastapi": fastapi_app.handler}


@pytest.fixture(params=sorted(APPS))
def handler(request):
    return APPS[request.param]


def location(result: dict) -> str:
    return dict(response_headers(result))["location"]


def test_flask_redirect_behind_rest_stage_points_under_the_stage() -> None:
    result = APPS["flask"](make("rest_v1", path="/go", stage="dev"), Context())
    assert result["statusCode"] == 302
    assert location(result) == "/dev/api/items"


def test_fastapi_trailing_slash_redirect_behind_stage_points_under_the_stage() -> None:
    for kind in ("rest_v1", "http_v2"):
        result = APPS["fastapi"](make(kind, path="/api/items", stage="dev"), Context())
        assert result["statusCode"] == 307, result
        assert location(result).endswith("/dev/api/items/"), location(result)


def test_url_for_includes_the_stage(handler) -> None:
    result = handler(make("http_v2", path="/echo", stage="dev", query=[("a", "1")]), Context())
    seen = json.loads(response_body(result))
    assert seen["url"] == "https://abcdef1234.execute-api.us-east-1.amazonaws.com/dev/echo?a=1"


@pytest.mark.parametrize("kind", KINDS)
def test_json_cookies_and_query_through_every_source(handler, kind: str) -> None:
    event = make(kind, path="/cookies", headers=[("Cookie", "visits=4")])
    result = handler(event, Context())
    assert result["statusCode"] == 200
    assert json.loads(response_body(result)) == {"seen": {"visits": "4"}}
    cookies = [v for k, v in response_headers(result) if k == "set-cookie"]
    # ALB single-value mode too: the second goes under a case variant of the name (issue 11 #8)
    assert sorted(c.split(";")[0] for c in cookies) == ["flavour=oatmeal", "visits=5"]


@pytest.mark.parametrize("kind", ["rest_v1", "http_v2", "function_url", "alb_multi"])
def test_one_megabyte_binary_upload_and_download(handler, kind: str) -> None:
    data = os.urandom(1024 * 1024)
    result = handler(make(kind, method="POST", path="/upload", body=data,
                          headers=[("Content-Type", "application/octet-stream")]), Context())
    assert json.loads(response_body(result)) == {
        "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    size = 700_000 if kind.startswith("alb") else 1024 * 1024
    result = handler(make(kind, path="/download", query=[("size", str(size))]), Context())
    assert result["isBase64Encoded"] is True
    assert response_body(result) == bytes(i % 251 for i in range(size))


def test_flask_multipart_upload() -> None:
    data = os.urandom(200_000)
    boundary = "----lzboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    event = make("http_v2", method="POST", path="/upload", body=body,
                 headers=[("Content-Type", f"multipart/form-data; boundary={boundary}")])
    result = APPS["flask"](event, Context())
    assert json.loads(response_body(result))["sha256"] == hashlib.sha256(data).hexdigest()


def test_fastapi_pool_from_lifespan_keeps_working() -> None:
    counts = []
    for _ in range(4):
        result = APPS["fastapi"](make("http_v2", path="/pool"), Context())
        assert result["statusCode"] == 200, result
        counts.append(json.loads(result["body"])["queries"])
    assert counts == sorted(counts) and len(set(counts)) == 4


def test_fastapi_sync_endpoint_runs_in_a_thread_and_answers() -> None:
    result = APPS["fastapi"](make("rest_v1", path="/api/items/2"), Context())
    assert json.loads(result["body"]) == {"id": 2, "name": "teapot"}
    result = APPS["fastapi"](make("rest_v1", path="/api/items/99"), Context())
    assert result["statusCode"] == 404


def test_json_post_creates(handler) -> None:
    path = "/api/items" if handler is APPS["flask"] else "/api/items/"
    result = handler(make("http_v2", method="POST", path=path, body=b'{"name": "cup"}',
                          headers=[("Content-Type", "application/json")]), Context())
    assert result["statusCode"] == 201
    assert json.loads(response_body(result))["name"] == "cup"
