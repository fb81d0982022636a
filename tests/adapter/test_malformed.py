"""Property-based: mutated events never escape as an unhandled exception (item 12).

Each example starts from a real fixture and applies random damage: keys removed, values replaced by
nulls, wrong types, invalid base64, lone surrogates. The handler must answer with a 4xx/5xx (or 2xx
where the damage was harmless) result dict, or raise UnknownEvent when no source is recognisable.
"""

from __future__ import annotations

import copy
import logging
import traceback
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lz.adapter import ASGIAdapter, UnknownEvent, WSGIAdapter
from tests.apps import asgi_echo, wsgi_echo
from tests.builders import Context, fixture

NAMES = ["rest_v1", "http_v1_payload", "http_v2", "alb_single", "alb_multi", "function_url"]
BASES = {name: fixture(name) for name in NAMES}
HANDLERS = [WSGIAdapter(wsgi_echo), ASGIAdapter(asgi_echo)]

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),
    st.binary(max_size=10),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=5)), max_size=3),
    st.dictionaries(st.text(max_size=5), st.one_of(st.none(), st.integers(), st.text(max_size=5)), max_size=3),
    st.just("!!not-base64!!"),
    st.just("%zz%%/../%00"),
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(_paths(item, prefix + (key,)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.extend(_paths(item, prefix + (index,)))
    return out


surrogates = st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=2)


@st.composite
def damaged_events(draw: st.DrawFn) -> dict[str, Any]:
    event = copy.deepcopy(BASES[draw(st.sampled_from(NAMES))])
    if draw(st.booleans()):
        event["isBase64Encoded"] = True
        event["body"] = draw(st.one_of(st.just("!!not-base64!!"), st.text(max_size=30), st.just("QUJD")))
    if draw(st.booleans()):
        # Text that JSON can carry but that is not valid Unicode, in the places text goes.
        for key in ("path", "rawPath", "rawQueryString"):
            if isinstance(event.get(key), str):
                event[key] += draw(surrogates)
        for key in ("headers", "multiValueHeaders"):
            if isinstance(event.get(key), dict):
                event[key]["X-Odd"] = draw(surrogates)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(event)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = event
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(junk)
    return event


class _AdapterCrashes(logging.Handler):
    """Collects logged tracebacks whose innermost frame is lz's own adapter code: those are lz
    failing on bad input (which must be a 4xx), not the app failing (a 500 is right for those)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.crashes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[2] is not None:
            frames = traceback.extract_tb(record.exc_info[2])
            if "/lz/adapter/" in frames[-1].filename:
                self.crashes.append("".join(traceback.format_exception(*record.exc_info)))


def answer_or_unknown(handler: Any, event: dict) -> dict | None:
    watcher = _AdapterCrashes()
    logger = logging.getLogger("lz")
    logger.addHandler(watcher)
    try:
        return handler(event, Context())
    except UnknownEvent:
        return None
    finally:
        logger.removeHandler(watcher)
        assert not watcher.crashes, watcher.crashes[0]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=damaged_events(), which=st.integers(min_value=0, max_value=1))
def test_damaged_events_get_an_answer_or_unknown_event(event: dict, which: int) -> None:
    result = answer_or_unknown(HANDLERS[which], event)
    if result is None:
        return
    assert isinstance(result, dict)
    assert isinstance(result["statusCode"], int)
    assert 200 <= result["statusCode"] <= 599
    assert isinstance(result["body"], str)


@settings(max_examples=200, deadline=None)
@given(event=st.dictionaries(st.sampled_from(["httpMethod", "version", "requestContext", "rawPath",
                                              "path", "headers", "body", "cookies"]), junk))
def test_random_top_level_shapes(event: dict) -> None:
    for handler in HANDLERS:
        result = answer_or_unknown(handler, event)
        if result is None:
            continue
        assert 400 <= result["statusCode"] <= 599 or result["statusCode"] == 200
