"""lz.auth: the authorizer's verdict as a view reads it, from AWS-shaped events (tests/fixtures)."""

from __future__ import annotations

import copy

import lz
from lz.adapter import adapt
from tests.builders import fixture

CLAIMS = {"sub": "user-1", "email": "a@example.com", "cognito:groups": "[admins]"}
IAM = {"accessKey": "AKIAEXAMPLE", "accountId": "111122223333", "callerId": "AIDAEXAMPLE",
       "userArn": "arn:aws:iam::111122223333:user/alice", "userId": "AIDAEXAMPLE",
       "cognitoIdentity": None, "principalOrgId": None}


def seen_by_app(event: dict) -> dict:
    """What the view sees through the adapter (WSGI), as the deployed bundle runs it."""
    out = {}

    def app(environ, start_response):
        out.update(claims=lz.auth.claims(environ), caller=lz.auth.caller(environ),
                   key=lz.auth.api_key_id(environ), user=environ.get("REMOTE_USER"))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    assert adapt(app)(event, None)["statusCode"] == 200
    return out


def test_http_api_jwt_claims() -> None:
    event = copy.deepcopy(fixture("http_v2"))
    event["requestContext"]["authorizer"] = {"jwt": {"claims": dict(CLAIMS), "scopes": None}}
    seen = seen_by_app(event)
    assert seen["claims"] == CLAIMS and seen["user"] == "user-1" and seen["caller"] is None


def test_function_url_and_http_api_iam_caller() -> None:
    event = copy.deepcopy(fixture("http_v2"))
    event["requestContext"]["authorizer"] = {"iam": dict(IAM)}
    seen = seen_by_app(event)
    assert seen["claims"] == {}
    assert seen["caller"] == {k: v for k, v in IAM.items() if v is not None}


def test_rest_api_cognito_claims_iam_identity_and_api_key() -> None:
    event = copy.deepcopy(fixture("rest_v1"))
    event["requestContext"]["authorizer"] = {"claims": dict(CLAIMS)}
    event["requestContext"]["identity"].update(apiKeyId="k-123", userArn=IAM["userArn"], accountId="111122223333")
    seen = seen_by_app(event)
    assert seen["claims"] == CLAIMS and seen["key"] == "k-123"
    assert seen["caller"]["userArn"] == IAM["userArn"] and seen["caller"]["accountId"] == "111122223333"


def test_nothing_or_garbage_reads_as_nobody() -> None:
    assert lz.auth.claims({}) == {} and lz.auth.caller({}) is None and lz.auth.api_key_id({}) is None
    for bad in ({"aws.event": "x"}, {"aws.event": {"requestContext": []}},
                {"aws.event": {"requestContext": {"authorizer": {"jwt": {"claims": "no"}}}}},
                {"aws.event": {"requestContext": {"authorizer": {"iam": 5}, "identity": {"userArn": None}}}}):
        assert lz.auth.claims(bad) == {} and lz.auth.caller(bad) is None
    assert lz.auth.claims({"aws.event": None, "type": "http"}) == {}  # an ASGI scope without an event


def test_behind_lz_s_cloudfront_the_app_sees_the_custom_host_and_nothing_else() -> None:
    """A Function URL behind the distribution lz makes: CloudFront sends the URL's own Host and
    X-Forwarded-Host with the custom name (an origin header lz sets); the adapter takes it only when
    it is exactly the configured name."""
    seen = {}

    def app(environ, start_response):
        seen.update(host=environ.get("HTTP_HOST"), name=environ["SERVER_NAME"])
        start_response("302 Found", [("Location", f"https://{environ['HTTP_HOST']}/next")])
        return [b""]

    handler = adapt(app, forwarded_host="api.example.com")
    event = copy.deepcopy(fixture("function_url"))
    event["headers"]["x-forwarded-host"] = "api.example.com"
    assert handler(event, None)["headers"]["Location"] == "https://api.example.com/next"
    assert seen == {"host": "api.example.com", "name": "api.example.com"}
    event["headers"]["x-forwarded-host"] = "evil.example.net"  # a direct call to the URL, say
    handler(event, None)
    assert seen["host"] == event["headers"]["host"] != "evil.example.net"
    plain = copy.deepcopy(fixture("function_url"))
    plain["headers"]["x-forwarded-host"] = "api.example.com"
    adapt(app)(plain, None)  # not configured: the header means nothing
    assert seen["host"] == plain["headers"]["host"]
