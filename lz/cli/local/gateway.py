"""Plays the AWS front locally: turns a real HTTP request into the event that front would send,
and the function's result back into an HTTP response, following the same rules AWS applies."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, unquote

FRONTS = ("http_api", "rest_api", "function_url", "alb")
ALB_TARGET_GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lz-local/0123456789abcdef"
_TEXT_PREFIXES = ("text/", "application/json", "application/xml", "application/javascript")


def _is_text(content_type: str) -> bool:
    return content_type.startswith(_TEXT_PREFIXES) or content_type.endswith(("+json", "+xml"))


def _body(body: bytes, content_type: str) -> tuple[str | None, bool]:
    if not body:
        return None, False
    if _is_text(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def build_event(
    front: str,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    client_ip: str,
    stage: str = "$default",
    scheme: str = "https",
    port: int = 443,
) -> dict[str, Any]:
    """The event `front` would deliver for this request (`raw_path` still percent-encoded).

    AWS sets X-Forwarded-For/-Proto/-Port itself; so does this, from the local server's view.
    """
    forwarded = [("X-Forwarded-For", client_ip), ("X-Forwarded-Proto", scheme),
                 ("X-Forwarded-Port", str(port))]
    headers = [h for h in headers if not h[0].lower().startswith("x-forwarded-")] + forwarded
    if front not in FRONTS:
        raise ValueError(f"front must be one of {', '.join(FRONTS)}, not {front!r}")
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    text, b64 = _body(body, content_type)
    now = time.time()
    request_id = str(uuid.uuid4())
    if front == "rest_api":
        return _rest(method, raw_path, raw_query, headers, text, b64, client_ip, stage, request_id, now)
    if front == "alb":
        return _alb(method, raw_path, raw_query, headers, text, b64)
    lower: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        lower[key] = f"{lower[key]},{value}" if key in lower else value
    domain = lower.get("host", "localhost")
    if front == "function_url":
        domain = "local.lambda-url.localhost"
    path = raw_path if stage == "$default" else f"/{stage}{raw_path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": lower,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": method,
                "path": unquote(path),
                "protocol": "HTTP/1.1",
                "sourceIp": client_ip,
                "userAgent": lower.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": stage,
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": b64,
    }
    if cookies:
        event["cookies"] = cookies
    if raw_query:
        pairs = parse_qsl(raw_query, keep_blank_values=True)
        joined: dict[str, str] = {}
        for key, value in pairs:
            joined[key] = f"{joined[key]},{value}" if key in joined else value
        event["queryStringParameters"] = joined
    if text is not None:
        event["body"] = text
    return event


def _rest(method, raw_path, raw_query, headers, text, b64, client_ip, stage, request_id, now):
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        multi.setdefault(name, []).append(value)
    # The stage becomes SCRIPT_NAME only for execute-api hosts; the local API plays one, while the
    # Host header stays the one the browser used, so absolute URLs keep working.
    domain = "local.execute-api.localhost"
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query.setdefault(key, []).append(value)
    path = unquote(raw_path)
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in multi.items()},
        "multiValueHeaders": multi,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": domain,
            "httpMethod": method,
            "identity": {"sourceIp": client_ip, "userAgent": multi.get("User-Agent", [""])[0]},
            "path": f"/{stage}{path}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTimeEpoch": int(now * 1000),
            "resourcePath": "/{proxy+}",
            "stage": stage,
        },
        "body": text,
        "isBase64Encoded": b64,
    }


def _alb(method: str, raw_path: str, raw_query: str, headers: list[tuple[str, str]],
         text: str | None, b64: bool) -> dict[str, Any]:
    """A target group's event in its default (single-value) header mode: names lowercased, the
    last of repeated headers and query keys kept, query values and path still percent-encoded."""
    single: dict[str, str] = {}
    for name, value in headers:
        single[name.lower()] = value
    query: dict[str, str] = {}
    for part in raw_query.split("&") if raw_query else ():
        key, _, value = part.partition("=")
        query[key] = value
    return {
        "requestContext": {"elb": {"targetGroupArn": ALB_TARGET_GROUP}},
        "httpMethod": method,
        "path": raw_path,
        "queryStringParameters": query,
        "headers": single,
        "body": text or "",
        "isBase64Encoded": b64,
    }


def result_to_http(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) from a Lambda proxy result, as API Gateway would send them."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        return 502, [("Content-Type", "text/plain")], b"Bad Gateway: malformed Lambda proxy response"
    headers: list[tuple[str, str]] = []
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(v)) for v in values)
    for name, value in (result.get("headers") or {}).items():
        headers.append((name, str(value)))
    headers.extend(("Set-Cookie", c) for c in result.get("cookies") or ())
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    return result["statusCode"], headers, data
