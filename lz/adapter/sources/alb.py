"""Application Load Balancer target-group events, in both header modes.

ALB hands over query values still percent-encoded (so they are joined, never encoded again), and
answers in whichever header mode the target group uses: `multiValueHeaders` when the event had them,
otherwise single `headers`, where a repeated Set-Cookie cannot be represented at all. The client is
the right-most X-Forwarded-For entry: ALB appends it, anything to its left is the client's claim.
"""

from __future__ import annotations

from ..codec import (
    ALB_LIMIT,
    SIZE_CHECK_FROM,
    check_size,
    decode_body,
    encode_body,
    join_values,
)
from ..events import BadRequest, Options, Request, Response
from .common import header_list, multi_headers, server, single_headers, string
from .rest_v1 import split_prefix

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


_PORTS = {"443": 443, "80": 80}
_SCHEMES = {"https": "https", "http": "http"}
_REASONS: dict[int, str] = {}


def _reason(status: int) -> str:
    """"404 Not Found": the statusDescription ALB requires, with the standard reason phrase."""
    line = _REASONS.get(status)
    if line is None:
        from http import HTTPStatus

        try:
            line = f"{status} {HTTPStatus(status).phrase}"
        except ValueError:
            line = f"{status} Unknown"
        _REASONS[status] = line
    return line


def _raw_query(params: dict[str, Any]) -> str:
    parts = []
    for key, values in params.items():
        if isinstance(values, str):
            values = (values,)
        for value in values or ():
            parts.append(f"{key}={value}" if value else str(key))
    return "&".join(parts)


_NAMES: list[str] = []


def _cookie_names() -> list[str]:
    """"set-cookie" in each of its 512 mixes of case, lower case first (made on first use)."""
    base = "set-cookie"
    letters = [i for i, c in enumerate(base) if c.isalpha()]
    names = []
    for mask in range(1 << len(letters)):
        chars = list(base)
        for bit, i in enumerate(letters):
            if mask >> bit & 1:
                chars[i] = chars[i].upper()
        names.append("".join(chars))
    _NAMES[:] = names
    return names


_told = False  # whether the single-value mode hint has been logged in this environment


def _more_cookies(headers: dict[str, str], cookies: list[str], request: Request) -> int:
    """Put the Set-Cookies after the first into `headers` under other spellings of the name, and
    return the characters added.

    A single-value `headers` map holds one value per name, and Set-Cookie cannot be comma-joined.
    ALB passes each case variant on as a Set-Cookie header of its own (the workaround Mangum and
    serverless-wsgi use, Mangum PR #189), so a login's session and CSRF cookies both arrive. The
    hint to turn on multi-value mode, where no trick is needed, is logged once per environment.
    """
    global _told
    from ..log import log, request_id

    size = 0
    names = (name for name in _NAMES or _cookie_names() if name not in headers)
    for sent, cookie in enumerate(cookies):
        name = next(names, None)
        if name is None:  # over 500 cookies in one response: the rest cannot be sent at all
            log().error(
                "lz: ALB single-value header mode: more Set-Cookie headers than spellings of "
                "the name; dropped %d of them (request_id=%s)", len(cookies) - sent,
                request_id(request.context),
            )
            break
        headers[name] = cookie
        size += len(name) + len(cookie)
    if not _told:
        _told = True
        log().warning(
            "lz: ALB target group is in single-value header mode, where a header name holds one "
            "value; extra Set-Cookie headers are sent under case variants of the name. Turn on "
            "multi-value headers on the target group (lambda.multi_value_headers.enabled) "
            "(request_id=%s).", request_id(request.context),
        )
    return size


class Alb:
    name = "alb"
    path_key = "path"  # the path as the front delivered it, for the request line
    limit = ALB_LIMIT
    streams = False  # ALB buffers every response
    # parse() answers None for an event of another source, so the adapter need not ask matches()
    # of the source it saw last (handler.py): one call per request instead of two.
    checks_shape = True
    payload_v2 = False  # see http_v2.py

    def matches(self, event: dict[str, Any]) -> bool:
        rc = event.get("requestContext")
        return isinstance(rc, dict) and "elb" in rc

    def parse(self, event: dict[str, Any], context: Any, options: Options) -> Request | None:
        """The Request, or None when `event` is not of this source (`matches` is false): the
        adapter asks its last source's parse first, with no separate matches() call (see
        handler.py). The usual single-value event takes plain lookups with inline checks; the
        helpers (header_list, server, _raw_query, decode_body) only run for anything else."""
        rc = event.get("requestContext")
        if (type(rc) is not dict or "elb" not in rc) and not self.matches(event):
            return None
        method = event.get("httpMethod")
        path = event.get("path") or "/"
        if type(method) is not str or type(path) is not str:
            method = string(event, "httpMethod")
            path = string(event, "path", "/") or "/"
        try:  # single-value mode with the headers ALB sets, as it sends them (lower case)
            if event.get("multiValueHeaders"):
                raise KeyError
            headers = hmap = event["headers"]
            scheme = _SCHEMES[hmap["x-forwarded-proto"]]
            host = hmap["host"]
            port = _PORTS[hmap["x-forwarded-port"]]
            if ":" in host or type(host) is not str or type(hmap) is not dict:
                raise KeyError
            multi = False
        except (KeyError, TypeError):
            headers, hmap, multi = header_list(event)
            scheme, host, port = server(hmap)

        script_name = ""
        base = options.base_path
        if base:
            rest = split_prefix(path, base)
            if rest is not None:
                script_name, path = base, rest

        params = event.get("multiValueQueryStringParameters") or event.get(
            "queryStringParameters"
        )
        if params:
            if type(params) is not dict:
                raise BadRequest("queryStringParameters must be an object")
            try:  # single values, all text: `k + v` raises for None or a list (then _raw_query)
                query = "&".join([k + "=" + v if v else k + v for k, v in params.items()])
            except TypeError:
                query = _raw_query(params)
        else:
            query = ""

        # the right-most X-Forwarded-For entry is the one ALB itself added
        forwarded = hmap.get("x-forwarded-for")  # ALB sends header names in lower case
        if type(forwarded) is list:
            forwarded = join_values("x-forwarded-for", forwarded)
        if type(forwarded) is not str:
            forwarded = None
            for name, value in headers.items():  # an odd spelling: look through them all
                if type(name) is str and name.lower() == "x-forwarded-for":
                    forwarded = join_values(name, value) if type(value) is list else value
            if type(forwarded) is not str:
                forwarded = None
        client = (forwarded.rsplit(",", 1)[-1].strip() or None) if forwarded else None

        return Request(
            method, path, script_name, query, headers,
            decode_body(event) if event.get("body") else b"", client, scheme, host, port, event,
            context, None, multi,
        )

    def encode(self, response: Response, request: Request, options: Options) -> dict[str, Any]:
        status = response.status
        result: dict[str, Any] = {"statusCode": status, "statusDescription": _reason(status)}
        # The target group's header mode shows in the event: multi-value on, multiValueHeaders.
        if type(request.event.get("multiValueHeaders")) is dict:
            result["multiValueHeaders"], content_type, encoded, size = multi_headers(
                response.headers
            )
        else:
            headers, more, content_type, encoded, size = single_headers(response.headers, False)
            result["headers"] = headers
            if more:
                size += _more_cookies(headers, more, request)
        body = response.body
        if body and request.method != "HEAD":
            body, b64 = encode_body(body, content_type, encoded, options)
        else:
            body, b64 = "", False
        result["body"] = body
        result["isBase64Encoded"] = b64
        size += len(body)
        if size > SIZE_CHECK_FROM:
            check_size(result, size, self.limit, "ALB 1 MB response")
        return result

    def fallback_request(self, event: dict[str, Any], context: Any) -> Request:
        method = event.get("httpMethod")
        method = method if type(method) is str else "GET"
        return Request(method, "/", "", "", {}, b"", None, "https", "", 443, event, context)


SOURCE = Alb()
