"""The WSGI front end's direct path for 2.0 events against the general path (issue 16,
"Performance": the entry's overhead; DESIGN.md "The adapter's hot path").

HTTP API payload 2.0 and Function URL events get their environ straight from the event
(`environ.environ_v2`, inside `WSGIAdapter.__call__`), not through a Request. The direct path must
be a pure shortcut: for every event it takes, the environ, the result and the request line are
those of the general path (`build_environ(source.parse(event))`, `Adapter.__call__`), and every
event it does not take it leaves to the general path with nothing run. Checked here on events
hypothesis draws from the 2.0 fixtures (headers, paths, queries, cookies, bodies, stages,
authorizers, domains, methods, odd types), on the fuzz test's mutated events
(tests/adapter/fuzzing.py), under several adapter options, and with apps that fail in each way
the general path answers (exception, SystemExit, bad status, CR/LF header, a result over 6 MB).
"""

from __future__ import annotations

import io
import json
import logging
import random
import re
import sys
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lz.adapter import adapt
from lz.adapter.environ import build_environ, environ_v2
from lz.adapter.events import AdapterError, Options, UnknownEvent, detect
from lz.adapter.handler import Adapter
from tests.adapter import fuzzing
from tests.builders import Context

OPTIONS = {
    "defaults": {},
    "base path": {"base_path": "/api"},
    "stage kept": {"strip_stage": False},
    "forwarded host": {"forwarded_host": "www.example.com"},
}
CTX = Context("req-direct-1")

# ------------------------------------------------------------------------------- the events

_text = st.text(alphabet=st.sampled_from(list("aZ09-_/%:;=., \té\u2028\r\n\x00\ud800")),
                max_size=8)
_value = st.one_of(_text, st.sampled_from(["1", "text/plain", "www.example.com", "chunked", ""]),
                   st.sampled_from([None, 5, ["a"]]))
_HEADER_NAMES = ["accept", "x-custom", "X-Upper", "content-type", "content-length", "Content-Length",
                 "transfer-encoding", "x_under", "cookie", "Cookie", "host", "Host",
                 "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "user-agent"]


def _pick(draw: st.DrawFn, plain: list[Any], odd: list[Any]) -> Any:
    """A plain value five times in six, else an odd one (so that many events stay plain enough
    for the direct path, and every odd value still comes up)."""
    return draw(st.sampled_from(odd if draw(st.integers(0, 5)) == 0 else plain))


@st.composite
def v2_events(draw: st.DrawFn) -> dict[str, Any]:
    """A 2.0 event (HTTP API or Function URL) with any of its fields varied: mostly the values
    real clients and fronts send, now and then a wrong type or a hostile character."""
    event = json.loads(fuzzing.TEXTS[draw(st.sampled_from(["http_v2", "function_url"]))])
    rc = event["requestContext"]
    headers = event["headers"]
    for name in draw(st.lists(st.sampled_from(_HEADER_NAMES), max_size=3)):
        headers[name] = draw(_value)
    headers["host"] = _pick(draw, [headers["host"], "api.example.com"],
                            ["example.com:8443", "é.example", 5])
    event["rawPath"] = _pick(draw, ["/", "", "/api", "/api/items", "/apix", "/stage/a", "/a%2Fb%20c",
                                    "/%E2%82%AC", "/%"], ["/é", "/a\r\nb", None, 5])
    if draw(st.integers(0, 5)) == 0 and type(event["rawPath"]) is str:
        event["rawPath"] += draw(_text)
    event["rawQueryString"] = _pick(draw, ["", "a=1", "a=1&a=2&b=%20"], ["q=é", None, 7])
    cookies = _pick(draw, ["absent", [], ["a=1", "b=2"]],
                    [["é=1"], ["a\r\n=1"], "a=1", [1, "a=1"], None])
    if cookies == "absent":
        event.pop("cookies", None)
    else:
        event["cookies"] = cookies
    rc["http"]["method"] = _pick(draw, ["GET", "POST", "HEAD"], ["PURGE", "get", 5])
    rc["stage"] = _pick(draw, ["$default", "stage"], ["", None, 3])
    body = _pick(draw, ["absent", "", "hello", "{}"], ["é\u2028", "QUJD", "!!", 5, "\ud800"])
    if body != "absent":
        event["body"] = body
    event["isBase64Encoded"] = _pick(draw, [False], [True, "false", None])
    auth = _pick(draw, [None], [{"jwt": {"claims": {"sub": "user-1"}}},
                                {"iam": {"userArn": "arn:aws:iam::1:user/é"}}, {"lambda": {}}, "x"])
    if auth is not None:
        rc["authorizer"] = auth
    rc["http"]["sourceIp"] = _pick(draw, ["203.0.113.9", "2001:db8::1"], ["", None, 5])
    rc["domainName"] = _pick(draw, [rc["domainName"]], ["abc.lambda-url.us-east-1.on.aws",
                                                        "abc.execute-api.us-east-1.amazonaws.com",
                                                        None])
    event["version"] = _pick(draw, ["2.0"], ["1.0", 2])
    for key in ("x-forwarded-proto", "x-forwarded-port"):
        headers[key] = _pick(draw, [headers[key]], ["http", "80", "8443", None])
    return event


def mutated_v2_events(count: int, seed: int) -> list[dict[str, Any]]:
    """The fuzz test's hostile events, those still of a 2.0 source."""
    rng = random.Random(seed)
    events = []
    for serial in range(count * 20):
        event = fuzzing.mutate(rng, serial)
        if _v2_source(event) is not None:
            events.append(event)
            if len(events) == count:
                break
    return events


def _v2_source(event: Any) -> Any:
    if type(event) is not dict or "requestContext" not in event:
        return None
    try:
        source = detect(event)
    except UnknownEvent:
        return None
    return source if source.payload_v2 else None


def _copy(event: Any) -> Any:
    return json.loads(json.dumps(event))


# ------------------------------------------------------------------------ environ against environ

def _comparable(environ: dict[str, Any]) -> dict[str, Any]:
    """The environ with its body read out of wsgi.input (each path makes its own stream)."""
    env = dict(environ)
    env["wsgi.input"] = env["wsgi.input"].read()
    return env


def both_environs(event: dict[str, Any], options: Options) -> tuple[Any, Any]:
    """(general, direct) environs of one event: the general path's first, as the adapter runs it
    (it fills the header name cache and remembers the domain the direct path compares with).
    General is None where the general path answers 400 instead."""
    source = _v2_source(event)
    assert source is not None
    try:
        request = source.parse(event, CTX, options)
        general = None if request is None else build_environ(request)
    except (AdapterError, KeyError, TypeError, ValueError, AttributeError):
        general = None
    return general, environ_v2(event, CTX, options, source)


def check_environs(events: list[dict[str, Any]], options: Options) -> int:
    """Asserts that each event the direct path takes has the general path's environ; returns how
    many it took."""
    taken = 0
    for event in events:
        general, direct = both_environs(event, options)
        if direct is None:
            continue
        taken += 1
        assert general is not None, ascii(("the general path refuses it", event))[:3000]
        assert _comparable(direct) == _comparable(general), ascii(event)[:3000]
        assert direct["aws.event"] is event and direct["aws.context"] is CTX
    return taken


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_direct_environ_is_the_general_one_on_the_fixtures_and_bench_events(option: str) -> None:
    """The plain events (the fixtures as AWS sends them) all take the direct path, so it is not
    dead code, and give the same environ."""
    options = Options(**OPTIONS[option])
    events = [json.loads(fuzzing.TEXTS[name]) for name in ("http_v2", "function_url")]
    for event in events:  # once for the name cache, once for the comparison
        both_environs(_copy(event), options)
    assert check_environs([_copy(e) for e in events], options) == len(events)


def test_direct_environ_is_the_general_one_on_drawn_events() -> None:
    """Events hypothesis draws, under every option; the general path's environ for each one the
    direct path takes, and it takes many (a test that took none would pass by doing nothing)."""
    drawn: list[int] = []

    @settings(max_examples=500, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(event=v2_events(), option=st.sampled_from(sorted(OPTIONS)))
    def one(event: dict, option: str) -> None:
        if _v2_source(event) is None:
            return
        options = Options(**OPTIONS[option])
        both_environs(_copy(event), options)  # the general path first, as in the adapter
        drawn.append(check_environs([event], options))

    one()
    assert sum(drawn) >= 50, f"{sum(drawn)} of {len(drawn)} took the direct path"


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_direct_environ_is_the_general_one_on_mutated_events(option: str) -> None:
    events = mutated_v2_events(1500, seed=16)
    options = Options(**OPTIONS[option])
    for event in events:  # the general path first, as the adapter's first events would
        both_environs(_copy(event), options)
    taken = check_environs(events, options)
    assert taken > len(events) // 4, f"only {taken} of {len(events)} took the direct path"


# ------------------------------------------------------------------------ results and log lines

def _counted(app: Callable[..., Any], calls: list[int]) -> Callable[..., Any]:
    def counted(environ: dict[str, Any], start_response: Any) -> Any:
        calls.append(1)
        return app(environ, start_response)

    return counted


def _raises(environ: dict[str, Any], start_response: Any) -> Any:
    raise RuntimeError("boom")


def _exits(environ: dict[str, Any], start_response: Any) -> Any:
    raise SystemExit(3)


def _bad_status(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("OK", [])
    return [b""]


def _no_start(environ: dict[str, Any], start_response: Any) -> Any:
    return [b"x"]


def _crlf_header(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", [("X-Echo", "a\r\nSet-Cookie: x=1")])
    return [b"x"]


def _huge(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [b"\x00" * 4_800_000]  # 6.4 MB once base64-encoded: a 502 naming the limit


def _generator(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("201 Created", [("Content-Type", "text/plain"), ("Set-Cookie", "a=1"),
                                   ("set-cookie", "b=2"), ("X-A", "1"), ("x-a", "2")])
    yield environ["wsgi.input"].read()
    yield environ["PATH_INFO"].encode("latin-1")


APPS = {"reflect": fuzzing.reflect_wsgi, "raises": _raises, "exits": _exits,
        "bad status": _bad_status, "no start_response": _no_start, "crlf header": _crlf_header,
        "huge": _huge, "generator": _generator}
_MS = re.compile(r'"ms":[0-9.]+')


class Records(logging.Handler):
    """The lz logger's records, kept here only: not passed on to pytest's own capture (its
    report of them cannot carry the lone surrogates some of these events put in log lines)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.kept: list[tuple[str, str, bool]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.kept.append((record.levelname, record.getMessage(), record.exc_info is not None))


@pytest.fixture
def records() -> Any:
    return Records()


class _only:
    """`with _only(records):` the lz logger's records go to `records` alone, not on to pytest's
    capture handlers (set here, in the test's call, because pytest adds them for each phase)."""

    def __init__(self, handler: Records) -> None:
        self.handler = handler

    def __enter__(self) -> None:
        logger = logging.getLogger("lz")
        self.saved = logger.handlers, logger.propagate, logger.level
        logger.handlers = [self.handler]
        logger.propagate = False
        logger.setLevel(logging.INFO)

    def __exit__(self, *exc: Any) -> None:
        logger = logging.getLogger("lz")
        logger.handlers, logger.propagate, logger.level = self.saved


def _answer(call: Callable[[], Any], records: Records) -> tuple[Any, str, list]:
    """(result, request line with its milliseconds masked, log records) of one call."""
    out, sys.stdout = sys.stdout, io.StringIO()
    records.kept = []
    try:
        result = call()
        line = sys.stdout.getvalue()
    finally:
        sys.stdout = out
    return result, _MS.sub('"ms":0', line), records.kept


def check_answers(app_name: str, option: str, events: list[dict[str, Any]],
                  records: Records) -> int:
    """Each event answered by the general path, then by the adapter (the direct path when it
    takes the event): same result, request line and log records, the app run once each time.
    Returns how many took the direct path."""
    calls: list[int] = []
    adapter = adapt(_counted(APPS[app_name], calls), **OPTIONS[option])
    adapter.options.request_line = True
    taken = 0
    with _only(records):
        for event in events:
            general = _answer(lambda: Adapter.__call__(adapter, _copy(event), CTX), records)
            if adapter.source is not None and adapter.source.payload_v2:
                taken += environ_v2(_copy(event), CTX, adapter.options, adapter.source) is not None
            before = len(calls)
            direct = _answer(lambda: adapter(_copy(event), CTX), records)
            assert direct == general, ascii((event, general, direct))[:3000]
            assert len(calls) - before <= 1  # never run twice for one event
    return taken


@pytest.mark.parametrize("app_name", sorted(APPS))
def test_direct_answers_are_the_general_ones(app_name: str, records: Records) -> None:
    events = [json.loads(fuzzing.TEXTS[name]) for name in ("http_v2", "function_url")]
    rng = random.Random(len(app_name))
    for _ in range(12):
        event = json.loads(fuzzing.TEXTS[rng.choice(["http_v2", "function_url"])])
        event["rawPath"] = rng.choice(["/", "/api/x", "/a%2Fb", "/stage/x", "/%0D%0A"])
        event["body"] = rng.choice(["", "hello", "é"])
        event["requestContext"]["http"]["method"] = rng.choice(["GET", "POST", "HEAD", "PURGE"])
        events.append(event)
    for option in sorted(OPTIONS):
        taken = check_answers(app_name, option, events, records)
        assert taken >= len(events) // 2, (option, taken)


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_direct_answers_are_the_general_ones_on_mutated_events(
        option: str, records: Records) -> None:
    """The reflecting app (request headers, path and query into response headers) on the fuzz
    test's hostile events: CR/LF refusals, big values, odd types answered alike."""
    events = mutated_v2_events(400, seed=61)
    assert check_answers("reflect", option, events, records) > len(events) // 4


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(event=v2_events(), app_name=st.sampled_from(["reflect", "generator", "raises"]))
def test_direct_answers_are_the_general_ones_on_drawn_events(
        event: dict, app_name: str, records: Records) -> None:
    if _v2_source(event) is None:
        return
    check_answers(app_name, "defaults", [event], records)


def test_an_app_that_spoils_its_event_and_fails_still_gets_an_answer() -> None:
    """The direct path makes the failure handlers' Request only after the app ran: an app that
    emptied the event (its environ's aws.event) before raising still gets the general path's
    500, never an exception out of the handler."""
    def spoils(environ: dict[str, Any], start_response: Any) -> Any:
        environ["aws.event"].clear()
        raise RuntimeError("boom")

    adapter = adapt(spoils)
    event = json.loads(fuzzing.TEXTS["http_v2"])
    adapter(_copy(event), CTX)  # the general path, once
    assert environ_v2(_copy(event), CTX, adapter.options, adapter.source) is not None
    result = adapter(_copy(event), CTX)
    assert result["statusCode"] == 500 and result["body"] == "Internal Server Error"


def test_a_streaming_invocation_is_left_to_the_general_path() -> None:
    """A Function URL invocation of a streaming stage (the context carries lz_stream) is the
    general path's: the response goes out through the stream, not as a whole result."""
    from tests.adapter.test_streaming import Recorder, _context

    adapter = adapt(fuzzing.reflect_wsgi)
    event = json.loads(fuzzing.TEXTS["function_url"])
    adapter(_copy(event), CTX)  # the source is now the Function URL one
    assert adapter.source.payload_v2 and adapter.source.streams
    assert environ_v2(_copy(event), CTX, adapter.options, adapter.source) is not None
    stream = Recorder()
    result = adapter(_copy(event), _context(stream))
    assert result == {"statusCode": 200, "streamed": len(b"".join(stream.chunks))}
    assert stream.prelude["statusCode"] == 200 and stream.closed
