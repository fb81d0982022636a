"""Requests that AWS (or the tools that imitate it) shape unusually (issue 11 items 10, 16, 18):
a chunked upload whose body arrives whole, REST events whose two header maps disagree, and the
authorizer's principal as REMOTE_USER."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from lz.adapter import WSGIAdapter
from tests.builders import KINDS, Context, make
from tests.conftest import echo


# 10. Transfer-Encoding: chunked ------------------------------------------------------------------

def _chunked_upload(kind: str, read: Callable[[dict], bytes]) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def app(environ, start_response):
        seen["environ"] = dict(environ)
        seen["data"] = read(environ)
        start_response("200 OK", [])
        return []

    event = make(kind, method="POST", body=b"hello world",
                 headers=[("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain")])
    assert WSGIAdapter(app)(event, Context())["statusCode"] == 200
    return seen


@pytest.mark.parametrize("kind", KINDS)
def test_chunked_transfer_encoding_is_dropped_and_content_length_is_the_body(kind: str) -> None:
    """The front has already de-chunked the body, so the app must see a plain body of
    CONTENT_LENGTH bytes (PEP 3333), not a chunked one."""
    seen = _chunked_upload(
        kind, lambda environ: environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
    assert seen["data"] == b"hello world"
    assert "HTTP_TRANSFER_ENCODING" not in seen["environ"]
    assert seen["environ"]["CONTENT_LENGTH"] == "11"


@pytest.mark.parametrize("kind", ["rest_v1", "http_v2", "alb_single"])
def test_werkzeug_reads_the_body_of_a_chunked_upload(kind: str) -> None:
    """With `chunked` left in the environ, werkzeug ignores CONTENT_LENGTH and reads nothing."""
    wrappers = pytest.importorskip("werkzeug.wrappers")
    seen = _chunked_upload(kind, lambda environ: wrappers.Request(environ).get_data())
    assert seen["data"] == b"hello world"


def test_chunked_with_a_content_length_header_and_odd_case(front: str) -> None:
    event = make("rest_v1", method="POST", body=b"abc",
                 headers=[("transfer-ENCODING", "chunked"), ("Content-Length", "999")])
    seen = echo(front, event)
    assert seen["body_len"] == 3
    if front == "wsgi":
        assert seen["content_length"] == "3"
        assert "HTTP_TRANSFER_ENCODING" not in seen["headers"]


# 16. REST: headers that only `headers` has -------------------------------------------------------

@pytest.mark.parametrize("kind", ["rest_v1", "http_v1"])
def test_a_header_missing_from_multi_value_headers_is_merged_not_dropped(front: str,
                                                                       kind: str) -> None:
    event = make(kind, headers=[("X-Both", "1")])
    event["headers"]["X-Only-Single"] = "yes"  # as some test tools and proxies build events
    seen = echo(front, event)
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    only = headers.get("http_x_only_single") or headers.get("x-only-single")
    both = headers.get("http_x_both") or headers.get("x-both")
    assert (only, both) == ("yes", "1")


def test_merging_ignores_case_and_keeps_multi_value_lists(front: str) -> None:
    event = make("rest_v1", headers=[("X-A", "1"), ("X-A", "2")])
    event["headers"]["x-a"] = "2"  # the same header in another case: not a new one
    event["headers"]["X-New"] = "n"
    del event["headers"]["X-A"]  # same count as multiValueHeaders, yet a name it lacks
    seen = echo(front, event)
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    assert headers.get("http_x_a", headers.get("x-a")) == "1, 2"
    assert headers.get("http_x_new", headers.get("x-new")) == "n"


# 18. REMOTE_USER ---------------------------------------------------------------------------------

def _remote_user(event: dict) -> Any:
    seen: dict[str, Any] = {}

    def app(environ, start_response):
        seen["user"] = environ.get("REMOTE_USER")
        start_response("200 OK", [])
        return []

    assert WSGIAdapter(app)(event, Context())["statusCode"] == 200
    return seen["user"]


def test_rest_lambda_authorizer_principal_id_is_remote_user() -> None:
    """A Lambda authorizer's output "must include the principal identifier (principalId)", which
    the integration reads as $context.authorizer.principalId, in a proxy event
    requestContext.authorizer.principalId (API Gateway, "Output from an API Gateway Lambda
    authorizer", https://docs.aws.amazon.com/apigateway/latest/developerguide/
    api-gateway-lambda-authorizer-output.html)."""
    event = make("rest_v1")
    event["requestContext"]["authorizer"] = {"principalId": "user-42", "integrationLatency": 3}
    assert _remote_user(event) == "user-42"


def test_rest_cognito_authorizer_sub_claim_is_remote_user() -> None:
    event = make("rest_v1")
    event["requestContext"]["authorizer"] = {"claims": {"sub": "c0ffee", "email": "a@b.c"}}
    assert _remote_user(event) == "c0ffee"


def test_rest_iam_caller_arn_is_remote_user() -> None:
    """IAM auth on REST: requestContext.identity.userArn ($context.identity.userArn in API
    Gateway, "Variables for data transformations for API Gateway")."""
    event = make("rest_v1")
    event["requestContext"]["identity"]["userArn"] = "arn:aws:iam::123456789012:user/ann"
    assert _remote_user(event) == "arn:aws:iam::123456789012:user/ann"


@pytest.mark.parametrize("kind", ["http_v2", "function_url"])
def test_v2_jwt_sub_and_iam_user_arn_are_remote_user(kind: str) -> None:
    """HTTP API 2.0 and Function URL payloads: requestContext.authorizer.jwt.claims and
    requestContext.authorizer.iam.userArn (API Gateway, "Create AWS Lambda proxy integrations for
    HTTP APIs in API Gateway", https://docs.aws.amazon.com/apigateway/latest/developerguide/
    http-api-develop-integrations-lambda.html; Lambda, "Invoking Lambda function URLs", request
    payload, https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html)."""
    event = make(kind)
    event["requestContext"]["authorizer"] = {"jwt": {"claims": {"sub": "jwt-sub"},
                                                     "scopes": None}}
    assert _remote_user(event) == "jwt-sub"
    event["requestContext"]["authorizer"] = {"iam": {"userArn": "arn:aws:iam::1:user/bo",
                                                     "accessKey": "AKIA..."}}
    assert _remote_user(event) == "arn:aws:iam::1:user/bo"


@pytest.mark.parametrize("kind", KINDS)
def test_no_authorizer_means_no_remote_user(kind: str) -> None:
    event = make(kind, headers=[("Remote-User", "mallory"), ("X-Remote-User", "mallory")])
    assert _remote_user(event) is None


@pytest.mark.parametrize("authorizer", [{"principalId": ""}, {"principalId": None},
                                        {"claims": {"sub": 7}}, {"jwt": "x"}, "x", [1],
                                        {"lambda": {"user": "x"}}])
def test_unusable_authorizer_values_set_no_remote_user(authorizer: Any) -> None:
    for kind in ("rest_v1", "http_v2"):
        event = make(kind)
        event["requestContext"]["authorizer"] = authorizer
        assert _remote_user(event) is None
