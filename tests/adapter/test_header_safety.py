"""What the app may put in a response header, and how much a result may weigh (issue 11 items 5, 8,
12): CR/LF/NUL refused on every front end and source, every Set-Cookie through ALB's single-value
mode, and ALB's 1 MB limit counted over the whole result."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lz.adapter import ASGIAdapter, WSGIAdapter
from tests.builders import KINDS, Context, make, response_body, response_headers
from tests.conftest import answer_handler


def answer(front: str, kind: str, headers: list, body: bytes = b"ok", **kw: Any) -> dict:
    return answer_handler(front, 200, headers, body)(make(kind, **kw), Context("req-hdr"))


def _clean(result: dict) -> bool:
    return not any(c in text for pair in response_headers(result) for text in pair
                   for c in "\r\n\0")


# 5. CR, LF and NUL -------------------------------------------------------------------------------

SPLITTERS = [
    [("X-Echo", "a\r\nSet-Cookie: injected=1")],
    [("X-Echo", "a\nb")],
    [("X-Echo", "a\rb")],
    [("X-Echo", "a\x00b")],
    [("X-Evil\r\nSet-Cookie", "injected=1")],
    [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2\r\nX-Injected: 1")],
    [("Content-Type", "text/plain\r\n\r\n<script>")],
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("headers", SPLITTERS)
def test_cr_lf_nul_in_a_response_header_is_a_500_with_a_log_line(front: str, kind: str,
                                                                   headers: list, caplog) -> None:
    """RFC 9110 section 5.5 (Field Values): CR, LF and NUL are invalid in a field value, and a
    recipient must reject them or replace them; lz refuses the response, on every front end."""
    result = answer(front, kind, headers)
    assert result["statusCode"] == 500, result
    assert response_body(result) == b"Internal Server Error"
    assert _clean(result)
    assert "CR, LF or NUL" in caplog.text and "req-hdr" in caplog.text
    assert "injected=1" not in caplog.text.replace("'X-Evil\\r\\nSet-Cookie'", "")  # no values


@pytest.mark.parametrize("kind", ["http_v2", "rest_v1", "alb_single"])
def test_a_request_header_with_cr_lf_reflected_by_an_asgi_app_is_refused(kind: str,
                                                                         caplog) -> None:
    """The fuzz finding: an app that reflects a request header let `a\\r\\nSet-Cookie: ...`
    through the ASGI front end."""

    async def reflect(scope, receive, send):
        if scope["type"] != "http":
            return
        echo = [(b"x-echo-" + k, v) for k, v in scope["headers"] if k == b"x-name"]
        await send({"type": "http.response.start", "status": 200, "headers": echo})
        await send({"type": "http.response.body", "body": b"hi"})

    handler = ASGIAdapter(reflect)
    good = handler(make(kind, headers=[("X-Name", "ann")]), Context())
    assert good["statusCode"] == 200 and ("x-echo-x-name", "ann") in response_headers(good)
    bad = handler(make(kind, headers=[("X-Name", "a\r\nSet-Cookie: injected=1")]), Context())
    assert bad["statusCode"] == 500 and _clean(bad)
    assert "CR, LF or NUL" in caplog.text


def test_a_request_header_with_cr_lf_reflected_by_a_wsgi_app_is_refused() -> None:
    def reflect(environ, start_response):
        start_response("200 OK", [("X-Echo", environ.get("HTTP_X_NAME", ""))])
        return [b"hi"]

    event = make("http_v2", headers=[("X-Name", "a\r\nSet-Cookie: injected=1")])
    result = WSGIAdapter(reflect)(event, Context())
    assert result["statusCode"] == 500 and _clean(result)


@pytest.mark.parametrize("kind", KINDS)
def test_tab_and_non_ascii_text_are_not_refused(front: str, kind: str) -> None:
    """RFC 9110 allows HTAB and obs-text in a field value; only CR, LF and NUL are refused."""
    result = answer(front, kind, [("X-A", "a\tb"), ("Content-Type", "text/plain")])
    assert result["statusCode"] == 200
    assert ("x-a", "a\tb") in response_headers(result)


# 8. ALB single-value mode and Set-Cookie ---------------------------------------------------------

def test_alb_single_value_mode_sends_every_cookie_under_its_own_spelling(front: str) -> None:
    cookies = [("Set-Cookie", f"c{i}=v{i}; Path=/") for i in range(5)]
    result = answer(front, "alb_single", cookies + [("Content-Type", "text/plain")])
    sent = {k: v for k, v in result["headers"].items() if k.lower() == "set-cookie"}
    assert sorted(sent.values()) == sorted(v for _, v in cookies)
    assert len(set(sent)) == 5  # five distinct spellings of one name


def test_alb_single_value_mode_with_more_cookies_than_spellings_logs_the_rest(caplog) -> None:
    cookies = [("Set-Cookie", f"c{i}=1") for i in range(600)]
    result = answer("wsgi", "alb_single", cookies)
    sent = [k for k in result["headers"] if k.lower() == "set-cookie"]
    assert len(sent) == 512  # "set-cookie" has nine letters: 2**9 spellings
    assert "dropped 88 of them" in caplog.text


def test_alb_multi_value_mode_needs_no_spellings(front: str) -> None:
    result = answer(front, "alb_multi", [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    assert result["multiValueHeaders"]["Set-Cookie"] == ["a=1", "b=2"]


# 12. Size limits count the whole result ----------------------------------------------------------

@pytest.mark.parametrize("kind", ["alb_single", "alb_multi"])
def test_alb_limit_counts_headers_not_only_the_body(front: str, kind: str, caplog) -> None:
    """"The maximum size of the response JSON that the Lambda function can send is 1 MB": the
    JSON result, headers included. (Elastic Load Balancing, "Use Lambda functions as targets of
    an Application Load Balancer", Limits:
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html)"""
    headers = [(f"X-Big-{i}", "v" * 100_000) for i in range(11)]  # 1.1 MB of headers
    result = answer(front, kind, headers, body=b"small")
    assert result["statusCode"] == 502
    assert result["statusDescription"] == "502 Bad Gateway"
    assert "ALB 1 MB response limit" in caplog.text
    ok = answer(front, kind, headers[:8], body=b"small")  # 800 KB: within the limit
    assert ok["statusCode"] == 200
    assert len(json.dumps(ok)) < 1_000_000


def test_alb_limit_counts_body_and_headers_together(front: str) -> None:
    headers = [("Content-Type", "text/plain")]
    headers += [(f"X-Big-{i}", "v" * 100_000) for i in range(9)]
    result = answer(front, "alb_single", headers, body=b"x" * 120_000)
    assert result["statusCode"] == 502
    ok = answer(front, "alb_single", headers[:8], body=b"x" * 120_000)
    assert ok["statusCode"] == 200


@pytest.mark.parametrize("kind", ["alb_single", "alb_multi"])
def test_alb_limit_counts_many_short_headers_too(front: str, kind: str) -> None:
    """Short values are remembered by the encoders' caches; thousands of them still count."""
    same = [("X-Same", "v" * 250)] * 4200  # 1.05 MB of one short header, repeated
    assert answer(front, kind, same, body=b"small")["statusCode"] == 502
    many = [(f"X-N{i:04d}", "w" * 250) for i in range(4200)]  # 1.1 MB of distinct ones
    assert answer(front, kind, many, body=b"small")["statusCode"] == 502
    few = [(f"X-N{i:04d}", "w" * 250) for i in range(2000)]  # half a megabyte: fine
    assert answer(front, kind, few, body=b"small")["statusCode"] == 200


@pytest.mark.parametrize("kind", ["rest_v1", "http_v2"])
def test_six_megabyte_limit_counts_headers_too(front: str, kind: str) -> None:
    headers = [(f"X-Big-{i}", "v" * 1_000_000) for i in range(7)]
    result = answer(front, kind, headers, body=b"small")
    assert result["statusCode"] == 502
