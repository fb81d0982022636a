"""The request line: one JSON object a request on stdout, which `lz tail` reads back.

The adapter writes it from what it parsed (adapter/log.py, handler.py); these tests hold it to the
line the runtime used to build by reading the event again (`_old_line` below, kept as the oracle),
for every source and whatever text an untrusted event carries, and hold the careful builders to
what json.dumps writes for the same values."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lz.adapter import adapt
from lz.adapter.log import event_line, milliseconds, request_line
from lz.runtime.dispatch import Dispatcher
from tests.builders import KINDS, Context, make

VALUES = st.one_of(st.text(), st.none(), st.integers(), st.booleans(), st.lists(st.text(), max_size=2))
MS = re.compile(r',"ms":(\d+\.\d\d),"request_id":')


def _reference(method, path, status, ms_text, rid) -> str:
    """json.dumps of the same values, with the line's milliseconds put in."""
    text = json.dumps({"lz": "request", "method": method, "path": path, "status": status, "ms": 0,
                       "request_id": rid}, separators=(",", ":"), default=repr) + "\n"
    # In JSON text every quote inside a string is escaped, so only the key itself matches.
    return text.replace(',"ms":0,"request_id":', f',"ms":{ms_text},"request_id":', 1)


def _old_line(event, result, ms_text, rid) -> str:
    """The line as the runtime's wrapper built it before the adapter wrote it (the oracle)."""
    ctx = event.get("requestContext")
    http_ctx = ctx.get("http") if type(ctx) is dict else None
    if type(http_ctx) is dict:
        method, path = http_ctx.get("method"), event.get("rawPath")
    else:
        method, path = event.get("httpMethod"), event.get("path")
    status = result.get("statusCode") if type(result) is dict else None
    return _reference(method, path, status, ms_text, rid)


@settings(max_examples=300, deadline=None)
@given(method=VALUES, path=VALUES, status=VALUES, seconds=st.floats(0, 1e6), rid=VALUES)
def test_the_careful_line_is_json_dumps_of_the_same_values(method, path, status, seconds, rid) -> None:
    line = request_line(method, path, status, seconds, rid)
    assert line == _reference(method, path, status, milliseconds(seconds), rid)
    assert json.loads(line)["ms"] == pytest.approx(seconds * 1000, abs=0.0051)


@settings(max_examples=300, deadline=None)
@given(method=VALUES, path=VALUES, status=VALUES, seconds=st.floats(0, 1e4), rid=st.text(), v2=st.booleans())
def test_the_line_read_from_an_event_is_the_old_one(method, path, status, seconds, rid, v2) -> None:
    if v2:
        event = {"requestContext": {"http": {"method": method}}, "rawPath": path}
    else:
        event = {"requestContext": {}, "httpMethod": method, "path": path}
    line = event_line(event, {"statusCode": status}, seconds, Context(rid))
    assert line == _old_line(event, {"statusCode": status}, milliseconds(seconds), rid)


@pytest.mark.parametrize(("seconds", "text"), [(0.0, "0.00"), (4.9e-6, "0.00"), (5.1e-6, "0.01"),
                                               (0.001234567, "1.23"), (0.0012351, "1.24"), (0.0999951, "100.00"),
                                               (10_000.0, "10000000.00")])
def test_milliseconds_have_two_decimals_rounded_half_up(seconds: float, text: str) -> None:
    assert milliseconds(seconds) == text


def _app(environ, start_response):
    start_response("201 Created", [("Content-Type", "text/plain")])
    return [b"ok"]


async def _asgi_app(scope, receive, send):
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


HOSTILE = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from('"\\\x00\n\u2028\ud800/%'), max_size=12)


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=HOSTILE, path=HOSTILE, rid=HOSTILE)
def test_the_adapters_line_is_the_old_one_for_the_same_event(interface, kind, method, path, rid, capsys) -> None:
    """Hostile method, path and request id included: the adapter's line names what the old
    wrapper read from the event, escaped the same way."""
    entry = Dispatcher(adapt(_app if interface == "wsgi" else _asgi_app), request_log=True)
    event = make(kind)
    if "http" in event["requestContext"]:
        event["requestContext"]["http"]["method"] = method
        event["rawPath"] = path
    else:
        event["httpMethod"] = method
        event["path"] = path
    capsys.readouterr()
    result = entry(event, Context(rid))
    line = capsys.readouterr().out
    ms = MS.search(line)
    assert ms, line
    assert line == _old_line(event, result, ms.group(1), rid)
    assert json.loads(line)["status"] == result["statusCode"]


@pytest.mark.parametrize("event", [
    {"requestContext": {"http": {"method": ["GET"]}}, "version": "2.0", "rawPath": "/"},  # 400
    {"requestContext": {}, "httpMethod": "GET", "path": 5},  # 400: path not text
    {"requestContext": {}, "httpMethod": "GET", "path": None},  # served as "/", logged as null
    {"requestContext": {"elb": {}}, "httpMethod": "GET", "path": ""},
])
def test_odd_events_get_the_old_line_too(event, capsys) -> None:
    entry = Dispatcher(adapt(_app), request_log=True)
    capsys.readouterr()
    result = entry(event, Context("req-1"))
    line = capsys.readouterr().out
    assert line == _old_line(event, result, MS.search(line).group(1), "req-1")


def test_no_request_id_is_a_dash_and_no_context_too(capsys) -> None:
    entry = Dispatcher(adapt(_app), request_log=True)
    entry(make("http_v2", path="/a"), None)
    entry(make("rest_v1", path="/b"), Context(7))
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["path"], line["request_id"]) for line in lines] == [("/a", "-"), ("/b", "-")]


def test_an_adapter_writes_no_line_unless_the_dispatcher_turns_it_on(capsys) -> None:
    handler = adapt(_app)
    handler(make("http_v2"), Context())
    Dispatcher(handler, request_log=False)(make("http_v2"), Context())
    assert capsys.readouterr().out == ""
    Dispatcher(handler, request_log=True)(make("http_v2", path="/on"), Context())
    assert json.loads(capsys.readouterr().out)["path"] == "/on"


def test_a_handler_that_is_not_an_adapter_gets_the_line_from_the_runtime(capsys) -> None:
    entry = Dispatcher(lambda event, context: {"statusCode": 204}, request_log=True)
    entry(make("rest_v1", method="DELETE", path="/x"), Context("r-9"))
    line = capsys.readouterr().out
    assert line == _old_line(make("rest_v1", method="DELETE", path="/x"), {"statusCode": 204},
                             MS.search(line).group(1), "r-9")


@pytest.mark.parametrize(("method", "ticks", "ms"), [
    ("GET", (10.0, 10.00123), "1.23"),
    ("PROPFIND", (10.0, 10.00123), "1.23"),  # not in the method table: written the careful way
    ("GET", (10.0, 10.00999), "9.99"),  # the last entry of the table under 10 ms
    ("GET", (10.0, 10.01), "10.00"),  # 10 ms or more: whole milliseconds and hundredths
    ("GET", (10.0, 10.99999), "999.99"),
    ("GET", (10.0, 11.5), "1500.00"),  # a second or more: past the tables, the careful way
])
def test_the_milliseconds_are_the_adapters_own_clock(method, ticks, ms, monkeypatch, capsys) -> None:
    from lz.adapter import handler

    clock = iter(ticks + ticks[-1:])
    monkeypatch.setattr(handler, "_clock", lambda: next(clock))
    entry = Dispatcher(adapt(_app), request_log=True)
    event = make("rest_v1", method=method, path="/slow")
    result = entry(event, Context("r-1"))
    assert capsys.readouterr().out == _old_line(event, result, ms, "r-1")
