"""What the source gets back: header shapes, cookies, binary bodies, errors and limits (items 7-9)."""

from __future__ import annotations

import gzip
import json
import os
from typing import Any

import pytest

from lz.adapter import ASGIAdapter, WSGIAdapter
from tests.builders import KINDS, Context, make, response_body, response_headers
from tests.conftest import answer_handler

COOKIES = [("Set-Cookie", "a=1; Path=/; HttpOnly"), ("Set-Cookie", "b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT")]


def answer(front: str, kind: str, status: int = 200, headers: list | None = None, body: bytes = b"",
           method: str = "GET", **options: Any) -> dict[str, Any]:
    handler = answer_handler(front, status, headers or [], body, **options)
    return handler(make(kind, method=method), Context())


# 7. Response shapes -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["rest_v1", "http_v1"])
def test_rest_answers_with_multi_value_headers_keeping_every_cookie(front: str, kind: str) -> None:
    result = answer(front, kind, headers=COOKIES + [("X-A", "1"), ("X-A", "2")], body=b"hi")
    assert "headers" not in result
    assert result["multiValueHeaders"]["Set-Cookie"] == [v for _, v in COOKIES]
    assert result["multiValueHeaders"]["X-A"] == ["1", "2"]


@pytest.mark.parametrize("kind", ["http_v2", "function_url"])
def test_v2_answers_with_cookies_array_and_comma_joined_headers(front: str, kind: str) -> None:
    result = answer(front, kind, headers=COOKIES + [("X-A", "1"), ("x-a", "2"),
                                                    ("Content-Type", "text/plain")], body=b"hi")
    assert result["cookies"] == [v for _, v in COOKIES]
    assert "multiValueHeaders" not in result
    assert not any(k.lower() == "set-cookie" for k in result["headers"])
    assert result["headers"]["X-A"] == "1, 2"
    assert result["body"] == "hi" and result["isBase64Encoded"] is False


def test_alb_multi_value_mode_answers_with_multi_value_headers(front: str) -> None:
    result = answer(front, "alb_multi", status=404, headers=COOKIES, body=b"no")
    assert result["multiValueHeaders"]["Set-Cookie"] == [v for _, v in COOKIES]
    assert "headers" not in result
    assert result["statusDescription"] == "404 Not Found"


def test_alb_single_value_mode_joins_headers_and_sends_every_cookie(front: str, caplog,
                                                                    monkeypatch) -> None:
    """Single-value mode (ALB's default) holds one value per name: the second Set-Cookie goes
    under a case variant of the name, which ALB passes on as a header of its own (Mangum PR #189;
    issue 11 item 8). The hint to turn on multi-value mode is logged once per environment."""
    from lz.adapter.sources import alb

    monkeypatch.setattr(alb, "_told", False)
    result = answer(front, "alb_single", headers=COOKIES + [("X-A", "1"), ("X-A", "2")])
    assert "multiValueHeaders" not in result
    assert result["headers"]["X-A"] == "1, 2"
    assert result["headers"]["Set-Cookie"] == COOKIES[0][1]
    assert result["headers"]["set-cookie"] == COOKIES[1][1]
    assert result["statusDescription"] == "200 OK"
    assert "single-value header mode" in caplog.text and "multi_value_headers" in caplog.text
    caplog.clear()
    answer(front, "alb_single", headers=COOKIES)
    assert "single-value header mode" not in caplog.text


@pytest.mark.parametrize("kind", KINDS)
def test_no_header_is_added_that_the_app_did_not_send(front: str, kind: str) -> None:
    result = answer(front, kind, status=204)
    assert result["statusCode"] == 204
    assert response_headers(result) == []
    assert result["body"] == "" and result["isBase64Encoded"] is False


@pytest.mark.parametrize("kind", KINDS)
def test_head_responses_carry_no_body(front: str, kind: str) -> None:
    result = answer(front, kind, headers=[("Content-Type", "text/plain"), ("Content-Length", "5")],
                    body=b"hello", method="HEAD")
    assert result["body"] == ""
    assert ("content-length", "5") in response_headers(result)


# 8. Binary ----------------------------------------------------------------------------------------

TEXT_TYPES = ["text/html; charset=utf-8", "text/csv", "application/json", "application/javascript",
              "application/xml", "application/vnd.api+json", "application/atom+xml", "image/svg+xml"]
BINARY_TYPES = ["image/png", "application/octet-stream", "application/pdf", "font/woff2", None]


@pytest.mark.parametrize("content_type", TEXT_TYPES)
def test_text_types_go_out_as_plain_text(front: str, content_type: str) -> None:
    result = answer(front, "http_v2", headers=[("Content-Type", content_type)], body="é✓".encode())
    assert result["isBase64Encoded"] is False and result["body"] == "é✓"


@pytest.mark.parametrize("content_type", BINARY_TYPES)
def test_other_types_go_out_as_base64(front: str, content_type: str | None) -> None:
    data = bytes(range(256))
    headers = [("Content-Type", content_type)] if content_type else []
    result = answer(front, "rest_v1", headers=headers, body=data)
    assert result["isBase64Encoded"] is True and response_body(result) == data


def test_any_content_encoding_forces_base64(front: str) -> None:
    data = gzip.compress(b"<p>hello</p>" * 10)
    result = answer(front, "http_v2", headers=[("Content-Type", "text/html"),
                                                ("Content-Encoding", "gzip")], body=data)
    assert result["isBase64Encoded"] is True and response_body(result) == data


def test_text_mime_types_option_extends_the_text_list(front: str) -> None:
    headers = [("Content-Type", "application/x-lz-report")]
    assert answer(front, "http_v2", headers=headers, body=b"r")["isBase64Encoded"] is True
    result = answer(front, "http_v2", headers=headers, body=b"r", text_mime_types=["application/x-lz-report"])
    assert result["isBase64Encoded"] is False and result["body"] == "r"


def test_text_type_that_is_not_utf8_still_arrives_intact(front: str) -> None:
    data = "café".encode("latin-1")
    result = answer(front, "http_v2", headers=[("Content-Type", "text/plain; charset=latin-1")], body=data)
    assert result["isBase64Encoded"] is True and response_body(result) == data


# 9. Errors ----------------------------------------------------------------------------------------

def _raising_wsgi(environ, start_response):
    raise RuntimeError("database is down: password=hunter2")


async def _raising_asgi(scope, receive, send):
    if scope["type"] == "http":
        raise RuntimeError("database is down: password=hunter2")


@pytest.mark.parametrize("kind", KINDS)
def test_app_exception_is_a_generic_500_and_one_log_line_with_traceback(front: str, kind: str, caplog) -> None:
    handler = WSGIAdapter(_raising_wsgi) if front == "wsgi" else ASGIAdapter(_raising_asgi)
    result = handler(make(kind, path="/boom"), Context("req-boom-1"))
    assert result["statusCode"] == 500
    body = response_body(result)
    assert body == b"Internal Server Error"
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1
    assert "req-boom-1" in errors[0].getMessage() and "/boom" in errors[0].getMessage()
    assert errors[0].exc_info and "hunter2" in str(errors[0].exc_info[1])


def _wsgi(status: Any, headers: Any, body: Any):
    def app(environ, start_response):
        start_response(status, headers)
        return body

    return app


@pytest.mark.parametrize(
    "app, says",
    [
        (_wsgi("OK", [], [b""]), "WSGI status must be a string like '200 OK'"),
        (_wsgi(200, [], [b""]), "WSGI status must be a string"),
        (_wsgi("200 OK", [], ["text"]), "WSGI app yielded str, expected bytes"),
        (_wsgi("200 OK", [("X-A", 1)], [b""]), "response header must be a (str, str) tuple"),
        (_wsgi("200 OK", None, [b""]), "response headers must be a list"),
        (lambda environ, start_response: [b"never started"], "without calling start_response"),
    ],
)
def test_malformed_wsgi_response_is_a_500_that_logs_what_was_wrong(app, says: str, caplog) -> None:
    result = WSGIAdapter(app)(make("http_v2"), Context("req-bad-wsgi"))
    assert result["statusCode"] == 500
    assert says in caplog.text and "req-bad-wsgi" in caplog.text


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "headers, says",
    [
        ([("X-A", "1"), (b"X-B", "2")], "got (b'X-B', '2')"),
        ([("X-A", "1", "extra")], "got ('X-A', '1', 'extra')"),
        ([("Set-Cookie", None)], "got ('Set-Cookie', None)"),
        (("X-A",), "got 'X-A'"),
        (7, "response headers must be a list, got int"),
    ],
)
def test_bad_header_pairs_are_a_500_on_every_source(kind: str, headers: Any, says: str,
                                                    caplog) -> None:
    result = WSGIAdapter(_wsgi("200 OK", headers, [b"hi"]))(make(kind), Context("req-bad-hdr"))
    assert result["statusCode"] == 500
    assert "response header" in caplog.text and says in caplog.text
    assert "req-bad-hdr" in caplog.text


def _asgi(*messages: dict):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        for message in messages:
            await send(message)

    return app


START = {"type": "http.response.start", "status": 200, "headers": []}


@pytest.mark.parametrize(
    "app, says",
    [
        (_asgi(), "returned without sending http.response.start"),
        (_asgi({"type": "http.response.start", "status": "200"}), "sent status '200'"),
        (_asgi(START, {"type": "http.response.body", "body": "text"}), "body of type str"),
        (_asgi({"type": "http.response.body", "body": b"x"}), "before http.response.start"),
        (_asgi(START, START), "http.response.start twice"),
        (_asgi({"type": "http.response.start", "status": 200, "headers": [("a", "b")]}), "expected (bytes, bytes) pairs"),
        (_asgi(START, {"type": "websocket.send"}), "unexpected message 'websocket.send'"),
    ],
)
def test_malformed_asgi_response_is_a_500_that_logs_what_was_wrong(app, says: str, caplog) -> None:
    result = ASGIAdapter(app)(make("http_v2"), Context("req-bad-asgi"))
    assert result["statusCode"] == 500
    assert says in caplog.text and "req-bad-asgi" in caplog.text


@pytest.mark.parametrize("kind", ["rest_v1", "http_v2", "function_url", "http_v1"])
def test_response_over_six_megabytes_after_base64_is_a_502_naming_the_limit(front: str, kind: str, caplog) -> None:
    data = os.urandom(5 * 1024 * 1024)  # 5 MiB of binary: 6.7 MiB once base64-encoded
    result = answer(front, kind, headers=[("Content-Type", "application/octet-stream")], body=data)
    assert result["statusCode"] == 502
    assert b"6 MB" in response_body(result) and b"limit" in response_body(result)
    assert "exceeds the Lambda 6 MB response limit" in caplog.text


def test_text_that_grows_when_json_escaped_is_measured_as_escaped(front: str) -> None:
    data = ('"' * (3_500_000)).encode()  # 3.5 MB of quotes: 7 MB once escaped into the JSON result
    result = answer(front, "http_v2", headers=[("Content-Type", "application/json")], body=data)
    assert result["statusCode"] == 502


def test_response_just_under_the_limit_passes(front: str) -> None:
    data = b"x" * 6_000_000
    result = answer(front, "http_v2", headers=[("Content-Type", "text/plain")], body=data)
    assert result["statusCode"] == 200 and len(result["body"]) == 6_000_000
    assert len(json.dumps(result)) < 6_291_556


@pytest.mark.parametrize("kind", ["alb_multi", "alb_single"])
def test_alb_response_over_one_megabyte_is_a_502(front: str, kind: str, caplog) -> None:
    result = answer(front, kind, headers=[("Content-Type", "text/plain")], body=b"x" * 1_100_000)
    assert result["statusCode"] == 502
    assert result["statusDescription"] == "502 Bad Gateway"
    assert b"ALB 1 MB" in response_body(result)
    assert "ALB 1 MB response limit" in caplog.text
    ok = answer(front, kind, headers=[("Content-Type", "text/plain")], body=b"x" * 900_000)
    assert ok["statusCode"] == 200
