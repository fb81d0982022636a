"""The fuzz harness shared by tests/test_fuzz_entry.py (CI, ~20k events) and bench/fuzz.py (100k+).

Events go through the bundle entry exactly as the generated lz_handler.py builds it,
`Dispatcher(adapt(app))`, for a WSGI and an ASGI app that reflect what they were given (header
names and values, path, query, body) into their response headers and body: whatever a client can
put into an event, a careless app can put into a response. Each result is judged by what the
event's source accepts from Lambda, and every finding is counted by kind:

- `escape` — an exception left the entry (Lambda would report an error, or restart the runtime);
- `invalid` — a result the event's front would refuse (wrong types, limits);
- `crlf` — CR, LF or NUL in a result header name or value (RFC 9110 §5.5; response splitting);
- `unserializable` — a result Lambda cannot send (not JSON).

The mutator is seeded (`random.Random(seed)`): the same seed gives the same events, so a finding
can be replayed from its seed and index. tests/adapter/fuzz_run.py feeds the events and counts.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Callable

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"
TEXTS = {path.stem: path.read_text() for path in sorted(FIXTURES.glob("*.json"))}
HTTP_FIXTURES = ("rest_v1", "http_v1_payload", "http_v2", "function_url", "alb_single", "alb_multi")


# ------------------------------------------------------------------------------------- the apps

def reflect_wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """A careless WSGI app: every request header comes back as X-Echo-<name>, and so do the path
    and query (PATH_INFO is decoded: %0D%0A in the URL is CR LF here)."""
    headers = [("Content-Type", "text/plain; charset=utf-8")]
    for key, value in environ.items():
        if key.startswith("HTTP_") and type(value) is str:
            headers.append(("X-Echo-" + key[5:].replace("_", "-"), value))
    headers.append(("X-Echo-Path", environ["PATH_INFO"]))
    headers.append(("X-Echo-Query", environ["QUERY_STRING"]))
    headers.append(("Set-Cookie", "a=1; Path=/"))
    headers.append(("Set-Cookie", "b=2; Path=/"))
    body = environ["wsgi.input"].read()
    start_response("200 OK", headers)
    return [body]


async def reflect_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The ASGI twin of reflect_wsgi (raw header bytes, raw path and query)."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    headers += [(b"x-echo-" + name, value) for name, value in scope["headers"]]
    headers.append((b"x-echo-path", scope["path"].encode("utf-8", "surrogatepass")))
    headers.append((b"x-echo-query", scope["query_string"]))
    headers += [(b"set-cookie", b"a=1; Path=/"), (b"set-cookie", b"b=2; Path=/")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def entry(app: Any) -> Callable[[Any, Any], Any]:
    """The handler lz_handler.py builds (lz/cli/bundle/entry.py TEMPLATE)."""
    from lz.adapter import adapt
    from lz.runtime.dispatch import Dispatcher

    return Dispatcher(adapt(app))


class FuzzContext:
    """A Lambda context object, as the runtime passes one."""

    function_name = "lz-fuzz"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:lz-fuzz"

    def __init__(self, request_id: str) -> None:
        self.aws_request_id = request_id

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


# ---------------------------------------------------------------------------------- the mutator

_BAD_CHARS = ["\r\n", "\r", "\n", "\x00", "\r\nSet-Cookie: injected=1", "\nX-Injected: 1", "\t",
              "\x7f", "\u0085", "\u2028", "\ud800", "é", "\udcff"]
_BAD_ESCAPES = ["%0D%0A", "%0d%0aSet-Cookie:%20injected=1", "%00", "%0A", "%E2%80%A8", "%ZZ", "%"]
_BIG = "".join(random.Random(7).choice("abcdefghijklmnopqrstuvwxyz0123456789")
               for _ in range(1 << 20))
_KEYS = ["requestContext", "version", "httpMethod", "rawPath", "path", "headers",
         "multiValueHeaders", "body", "isBase64Encoded", "cookies", "queryStringParameters",
         "multiValueQueryStringParameters", "rawQueryString", "Records", "source", "lz"]


def _junk(rng: random.Random, serial: int) -> Any:
    choice = rng.randrange(16)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False, 0, -1, 2**70, 1.5, float("inf")])
    if choice == 2:
        return ""
    if choice == 3:
        return "x"
    if choice == 4:
        return rng.choice(_BAD_CHARS) * rng.randint(1, 3)
    if choice == 5:
        return [None, 1, "a", ["b"], {"c": 1}][: rng.randint(0, 5)]
    if choice == 6:
        return {"a": None, "b": 1, "elb": {}, "http": "x"}
    if choice == 7:
        return "!!not-base64!!"
    if choice == 8:
        return rng.choice(_BAD_ESCAPES) * rng.randint(1, 3)
    if choice == 9:
        return f"{serial}:" + _BIG[: rng.choice([1000, 1000, 1000, 70_000, 1 << 20])]
    if choice == 10:
        return [rng.choice(_BAD_CHARS)]
    if choice == 11:
        return {"x-a": rng.choice(_BAD_CHARS), "": "", "x_b": ["1", None]}
    if choice == 12:
        return "2.0"
    if choice == 13:
        return ["2.0", "1.0"]
    if choice == 14:
        return "/" + rng.choice(_BAD_ESCAPES)
    return rng.randint(-5, 600)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if type(node) is dict:
        for key, item in node.items():
            out.extend(_paths(item, prefix + (key,)))
    elif type(node) is list:
        for index, item in enumerate(node):
            out.extend(_paths(item, prefix + (index,)))
    return out


def _header_maps(event: dict[str, Any]) -> list[tuple[dict[str, Any], bool]]:
    maps = []
    for key, multi in (("headers", False), ("multiValueHeaders", True)):
        value = event.get(key)
        if type(value) is dict:
            maps.append((value, multi))
    return maps


def _set_header(event: dict[str, Any], name: Any, value: Any) -> None:
    for hmap, multi in _header_maps(event) or [(event.setdefault("headers", {}), False)]:
        if type(hmap) is dict:
            hmap[name] = [value] if multi else value


def mutate(rng: random.Random, serial: int) -> dict[str, Any] | Any:
    """One hostile event: a fixture with one to five changes, most of them the kinds a client can
    make (header names and values, path, query, body), some the kinds only a broken caller can."""
    name = rng.choice(HTTP_FIXTURES) if rng.random() < 0.85 else rng.choice(list(TEXTS))
    event = json.loads(TEXTS[name])
    for _ in range(rng.randint(1, 5)):
        kind = rng.randrange(14)
        if kind <= 2:  # a header value with CR/LF/NUL or other odd text, or a big unique one
            bad = rng.choice(_BAD_CHARS)
            if kind == 2 and rng.random() < 0.3:  # memory: caches must not keep these
                value = f"{serial}:" + _BIG[: rng.choice([300, 70_000, 70_000, 1 << 20])]
            else:
                value = f"v{bad}x"
            _set_header(event, rng.choice(["X-Evil", "x-evil", "Cookie", "Host", "User-Agent",
                                           "X-Forwarded-For", "X-Forwarded-Proto"]), value)
        elif kind == 3:  # a header name with CR/LF/NUL, '_' or odd case
            _set_header(event, rng.choice(["X\r\nEvil", "X\x00N", "x_forwarded_for",
                                           "CONTENT-LENGTH", "Transfer-Encoding", "a:b",
                                           f"X-{serial}-" + "n" * rng.choice([1, 300, 70_000])]),
                        rng.choice(["chunked", "1", "a\r\nb"]))
        elif kind == 4:  # the path and query with encoded or raw control characters
            bad = rng.choice(_BAD_ESCAPES + _BAD_CHARS)
            for key in ("path", "rawPath", "rawQueryString"):
                if type(event.get(key)) is str:
                    event[key] += bad
            params = event.get("queryStringParameters")
            if type(params) is dict:
                params[rng.choice(["q", bad])] = bad
        elif kind == 5:  # a body, maybe base64, maybe not
            event["body"] = rng.choice(["hello", "!!not-base64!!", "QUJD", "\ud800", "",
                                        _BIG[: rng.choice([10, 5000])]])
            event["isBase64Encoded"] = rng.random() < 0.5
        elif kind == 6:  # multiValueHeaders and headers disagreeing
            if type(event.get("headers")) is dict:
                event["headers"][f"X-Only-Single-{serial % 7}"] = "1"
            if type(event.get("multiValueHeaders")) is dict:
                event["multiValueHeaders"]["X-Multi"] = ["1", "2", None]
        elif kind == 7:  # many headers
            many = {f"X-Many-{i}": str(i) for i in range(rng.choice([20, 200]))}
            for hmap, multi in _header_maps(event):
                hmap.update({k: [v] for k, v in many.items()} if multi else many)
        elif kind in (8, 9):  # any node replaced by junk, or removed
            paths = _paths(event)
            if paths:
                path = rng.choice(paths)
                parent = event
                for key in path[:-1]:
                    parent = parent[key]
                if kind == 8 or type(parent) is list:
                    parent[path[-1]] = _junk(rng, serial)
                else:
                    del parent[path[-1]]
        elif kind == 10:  # a top-level key added, removed or given a wrong type
            key = rng.choice(_KEYS)
            if key == "lz":
                event["lz"] = rng.choice(["warm", "task", "schedule", None, 1])
                event.setdefault("name", "lz_fuzz_missing_module.nothing")
                event.setdefault("function", "lz_fuzz_missing_module.nothing")
            elif rng.random() < 0.5:
                event.pop(key, None)
            else:
                event[key] = _junk(rng, serial)
        elif kind == 11:  # the request context of another source
            rc = event.get("requestContext")
            if type(rc) is dict:
                rc[rng.choice(["elb", "http", "authorizer", "identity", "stage",
                               "domainName"])] = _junk(rng, serial)
        elif kind == 12:  # authorizer shapes (REMOTE_USER)
            rc = event.get("requestContext")
            if type(rc) is dict:
                rc["authorizer"] = rng.choice([
                    {"principalId": f"user\r\n{serial}"}, {"principalId": None},
                    {"claims": {"sub": "abc"}}, {"jwt": {"claims": {"sub": ["x"]}}},
                    {"iam": {"userArn": "arn:aws:iam::1:user/a"}}, "x", [1],
                ])
        else:  # not a dict at all, now and then
            if rng.random() < 0.1:
                return rng.choice([None, "event", 7, [event], b"bytes"])
    return event


# ------------------------------------------------------------------------------------ the judge

def _bad_text(text: str) -> bool:
    return "\r" in text or "\n" in text or "\x00" in text


def judge(event: Any, result: Any) -> list[str]:
    """The findings about one result (an empty list: valid for the event's source)."""
    from lz.adapter.events import UnknownEvent, detect

    findings: list[str] = []
    try:
        text = json.dumps(result)
    except (TypeError, ValueError) as exc:
        return [f"unserializable: {type(exc).__name__}"]
    # The dispatcher's HTTP route: a requestContext, and no "lz" or "Records" (other routes).
    is_http = type(event) is dict and "requestContext" in event and "lz" not in event \
        and "Records" not in event
    try:
        source = detect(event).name if is_http else None
    except UnknownEvent:
        source = None
    if source is None:
        if is_http and type(result) is not dict:
            findings.append("invalid: HTTP-looking event answered with a non-dict")
        return findings
    if type(result) is not dict:
        return [f"invalid: {source} result is a {type(result).__name__}"]
    status = result.get("statusCode")
    if type(status) is not int or not 100 <= status <= 599:
        findings.append(f"invalid: {source} statusCode {status!r}")
    if type(result.get("body")) is not str or type(result.get("isBase64Encoded")) is not bool:
        findings.append(f"invalid: {source} body/isBase64Encoded types")
    pairs: list[tuple[Any, Any]] = []
    single = result.get("headers")
    multi = result.get("multiValueHeaders")
    if single is not None:
        if type(single) is not dict:
            findings.append(f"invalid: {source} headers is not an object")
        else:
            pairs += list(single.items())
    if multi is not None:
        if type(multi) is not dict or any(type(v) is not list for v in multi.values()):
            findings.append(f"invalid: {source} multiValueHeaders is not an object of lists")
        else:
            pairs += [(k, v) for k, vs in multi.items() for v in vs]
    cookies = result.get("cookies")
    if cookies is not None:
        if source not in ("http_v2", "function_url") or type(cookies) is not list:
            findings.append(f"invalid: {source} cookies")
        else:
            pairs += [("set-cookie", c) for c in cookies]
    if source == "alb":
        if type(result.get("statusDescription")) is not str:
            findings.append("invalid: alb statusDescription")
        if len(text.encode()) > 1_000_000:
            findings.append("invalid: alb result over 1 MB")
    elif len(text.encode()) > 6_291_556:
        findings.append(f"invalid: {source} result over 6 MB")
    for name, value in pairs:
        if type(name) is not str or type(value) is not str:
            findings.append(f"invalid: {source} header pair {type(name).__name__}, "
                            f"{type(value).__name__}")
        elif _bad_text(name) or _bad_text(value):
            findings.append("crlf")
    return findings
