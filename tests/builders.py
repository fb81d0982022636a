"""Event builders: each starts from an AWS-shaped fixture in fixtures/events/ and changes only what
a test names, following the rules of the source it imitates (which maps are decoded, which are not).
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote, unquote

FIXTURES = Path(__file__).parent / "fixtures" / "events"
KINDS = ("rest_v1", "http_v1", "http_v2", "alb_multi", "alb_single", "function_url")
_FILES = {"http_v1": "http_v1_payload"}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{_FILES.get(name, name)}.json").read_text())


class Context:
    """A Lambda context object with the attributes the runtime provides."""

    function_name = "lz-test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:lz-test"

    def __init__(self, request_id: str = "req-0001") -> None:
        self.aws_request_id = request_id

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _body(body: bytes | str, binary: bool | None) -> tuple[str | None, bool]:
    if isinstance(body, str):
        body = body.encode()
    if not body:
        return None, False
    if binary is None:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            binary = True
    if binary:
        return base64.b64encode(body).decode(), True
    return body.decode("utf-8"), False


def _group(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def make(
    kind: str,
    method: str = "GET",
    path: str = "/",
    query: Iterable[tuple[str, str]] = (),
    headers: Iterable[tuple[str, str]] = (),
    body: bytes | str = b"",
    binary: bool | None = None,
    stage: str | None = None,
    host: str | None = None,
    source_ip: str = "203.0.113.9",
) -> dict[str, Any]:
    """An event of `kind` for a client request to `path` (as the client sent it, %-encoded)."""
    query = list(query)
    headers = list(headers)
    text, b64 = _body(body, binary)
    event = fixture(kind)
    if kind in ("rest_v1", "http_v1"):
        if kind == "rest_v1":
            stage = "dev" if stage is None else stage
            event["path"] = path
        else:
            stage = "$default" if stage is None else stage
            event["path"] = path if stage == "$default" else f"/{stage}{path}"
        event["httpMethod"] = event["requestContext"]["httpMethod"] = method
        event["requestContext"]["stage"] = stage
        # API Gateway always sets these three itself (X-Forwarded-For gets the client appended).
        given = {h[0].lower() for h in headers}
        aws = [("Host", host or event["requestContext"]["domainName"])]
        aws += [(k, v) for k, v in (("X-Forwarded-For", source_ip), ("X-Forwarded-Proto", "https"),
                                    ("X-Forwarded-Port", "443")) if k.lower() not in given]
        mv = _group(aws + [h for h in headers if h[0].lower() != "host"])
        event["multiValueHeaders"] = mv
        event["headers"] = {k: v[-1] for k, v in mv.items()}
        q = _group(query)
        event["multiValueQueryStringParameters"] = q or None
        event["queryStringParameters"] = {k: v[-1] for k, v in q.items()} or None
        event["requestContext"]["identity"]["sourceIp"] = source_ip
        if host:
            event["requestContext"]["domainName"] = host
    elif kind in ("http_v2", "function_url"):
        stage = "$default" if stage is None else stage
        event["rawPath"] = path if stage == "$default" else f"/{stage}{path}"
        event["rawQueryString"] = "&".join(
            f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query
        )
        event["queryStringParameters"] = (
            {k: ",".join(v) for k, v in _group(query).items()} or None
        )
        h: dict[str, str] = {"host": host or event["requestContext"]["domainName"]}
        given = {k.lower() for k, _ in headers}
        for k, v in (("x-forwarded-for", source_ip), ("x-forwarded-proto", "https"),
                     ("x-forwarded-port", "443")):
            if k not in given:
                h[k] = v  # HTTP APIs and Function URLs always set these
        cookies: list[str] = []
        for name, value in headers:
            name = name.lower()
            if name == "cookie":
                cookies.extend(c.strip() for c in value.split(";"))
            elif name != "host":
                h[name] = f"{h[name]},{value}" if name in h else value
        event["headers"] = h
        if cookies:
            event["cookies"] = cookies
        else:
            event.pop("cookies", None)
        rc = event["requestContext"]
        rc["http"]["method"] = method
        rc["http"]["path"] = unquote(event["rawPath"])
        rc["http"]["sourceIp"] = source_ip
        rc["stage"] = stage
        if host:
            rc["domainName"] = host
    elif kind in ("alb_multi", "alb_single"):
        event["httpMethod"] = method
        event["path"] = path
        encoded = [(quote(k, safe=""), quote(v, safe="")) for k, v in query]
        hs = [("host", host or "lambda-846800462-us-east-1.elb.amazonaws.com"),
              ("x-forwarded-for", f"198.51.100.77, {source_ip}"),
              ("x-forwarded-proto", "https"), ("x-forwarded-port", "443")]
        hs += [(k.lower(), v) for k, v in headers if k.lower() not in ("host", "x-forwarded-for")]
        if kind == "alb_multi":
            event["multiValueQueryStringParameters"] = _group(encoded)
            event["multiValueHeaders"] = _group(hs)
        else:
            event["queryStringParameters"] = {k: v for k, v in encoded}
            single: dict[str, str] = {}
            for k, v in hs:
                single[k] = v  # single-value mode: ALB keeps the last value
            event["headers"] = single
    else:
        raise ValueError(kind)
    if text is None:
        event["body"] = "" if kind.startswith("alb") else None
        if kind in ("http_v2", "function_url"):
            event.pop("body", None)
    else:
        event["body"] = text
    event["isBase64Encoded"] = b64
    return copy.deepcopy(event)


def response_headers(result: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (name, value) a result carries, whatever shape the source uses."""
    out: list[tuple[str, str]] = []
    for name, values in (result.get("multiValueHeaders") or {}).items():
        out.extend((name.lower(), v) for v in values)
    for name, value in (result.get("headers") or {}).items():
        out.append((name.lower(), value))
    out.extend(("set-cookie", c) for c in result.get("cookies") or ())
    return out


def response_body(result: dict[str, Any]) -> bytes:
    body = result.get("body") or ""
    return base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
