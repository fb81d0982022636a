"""Source detection: every AWS HTTP shape is recognised; anything else is UnknownEvent."""

from __future__ import annotations

import json

import pytest

from lz.adapter import UnknownEvent, adapt
from lz.adapter.events import detect
from tests.apps import wsgi_echo
from tests.builders import Context, fixture

EXPECTED = {
    "rest_v1": "rest_v1",
    "http_v1_payload": "rest_v1",
    "http_v2": "http_v2",
    "alb_single": "alb",
    "alb_multi": "alb",
    "function_url": "function_url",
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fixture_is_detected_as_its_source(name: str) -> None:
    assert detect(fixture(name)).name == EXPECTED[name]


S3_PUT = {"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": "b"}}}]}


@pytest.mark.parametrize("event", [S3_PUT, {}, {"version": "2.0"}, [], "GET /", None, 42])
def test_non_http_events_raise_unknown_event_naming_what_was_looked_for(event: object) -> None:
    with pytest.raises(UnknownEvent) as info:
        adapt(wsgi_echo)(event, Context())
    message = str(info.value)
    for looked_for in ("API Gateway REST", "HTTP API 2.0", "Function URL", "ALB"):
        assert looked_for in message
    if isinstance(event, dict) and event:
        assert sorted(event)[0] in message  # says what it got


def test_websocket_event_is_not_taken_for_http() -> None:
    event = {"requestContext": {"eventType": "MESSAGE", "connectionId": "x", "routeKey": "$default"},
             "body": "hi", "isBase64Encoded": False}
    with pytest.raises(UnknownEvent):
        detect(event)


def _v2(domain: object, stage: str = "prod", version: object = "2.0") -> dict:
    event = fixture("http_v2")
    event["version"] = version
    event["rawPath"] = f"/{stage}/x"
    event["requestContext"] = {**event["requestContext"], "stage": stage, "domainName": domain}
    return event


# Domains an HTTP API and a Function URL event may carry, odd ones too: the adapter's parse checks
# the shape itself and remembers the last domain it accepted (sources/http_v2.py), so an adapter
# that switches between them must still take each for the source detect() names.
SWITCHING = [
    _v2("abc.execute-api.us-east-1.amazonaws.com"),
    _v2("abcdefgh.lambda-url.us-east-1.on.aws"),
    _v2("abc.execute-api.us-east-1.amazonaws.com"),
    _v2("abcdefgh.lambda-url.us-east-1.on.aws"),
    _v2("api.example.com"),
    _v2(["x.lambda-url.y"]),
    _v2(".lambda-url."),
    _v2(None),
    _v2(7),
    _v2("abcdefgh.lambda-url.us-east-1.on.aws", version="1.0"),
    _v2("abcdefgh.lambda-url.us-east-1.on.aws"),
    _v2("api.example.com", version=2),
    _v2("api.example.com"),
]


def test_an_adapter_switching_between_v2_and_function_url_events_follows_detect() -> None:
    handler = adapt(wsgi_echo)
    for event in SWITCHING + SWITCHING[::-1]:
        try:
            expected = detect(event).name
        except UnknownEvent:
            with pytest.raises(UnknownEvent):
                handler(event, Context())
            continue
        result = handler(event, Context())
        assert handler.source.name == expected, event["requestContext"]["domainName"]
        # a named stage leaves the path on an HTTP API, never on a Function URL (no stages there)
        seen = json.loads(result["body"])
        assert (seen["script_name"], seen["path"]) == (
            ("", "/prod/x") if expected == "function_url" else ("/prod", "/x"))
