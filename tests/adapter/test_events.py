"""Source detection: every AWS HTTP shape is recognised; anything else is UnknownEvent."""

from __future__ import annotations

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
