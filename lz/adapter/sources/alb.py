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


class Alb:
    name = "alb"
    limit = ALB_LIMIT

    def matches(self, event: dict[str, Any]) -> bool:
        rc = event.get("requestContext")
        return isinstance(rc, dict) and "elb" in rc

    def parse(self, event: dict[str, Any], context: Any, options: Options) -> Request:
        method = event.get("httpMethod")
        path = event.get("path") or "/"
        if type(method) is not str or type(path) is not str:
            method = string(event, "httpMethod")
            path = string(event, "path", "/") or "/"
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
        if params and type(params) is not dict:
            raise BadRequest("queryStringParameters must be an object")
        query = _raw_query(params) if params else ""

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
            method, path, script_name, query, headers, decode_body(event), client, scheme, host,
            port, event, context, None, multi,
        )

    def encode(self, response: Response, request: Request, options: Options) -> dict[str, Any]:
        status = response.status
        result: dict[str, Any] = {"statusCode": status, "statusDescription": _reason(status)}
        # The target group's header mode shows in the event: multi-value on, multiValueHeaders.
        if type(request.event.get("multiValueHeaders")) is dict:
            result["multiValueHeaders"], content_type, encoded = multi_headers(response.headers)
        else:
            headers, dropped, content_type, encoded = single_headers(response.headers, None)
            result["headers"] = headers
            if dropped:
                from ..log import log, request_id

                log().warning(
                    "lz: ALB target group is in single-value header mode, so only the first "
                    "Set-Cookie can be sent; dropped cookies %s (request_id=%s). Turn on "
                    "multi-value headers on the target group (lambda.multi_value_headers.enabled).",
                    ", ".join(c.split("=", 1)[0] for c in dropped), request_id(request.context),
                )
        body = response.body
        if body and request.method != "HEAD":
            body, b64 = encode_body(body, content_type, encoded, options)
        else:
            body, b64 = "", False
        result["body"] = body
        result["isBase64Encoded"] = b64
        if len(body) > SIZE_CHECK_FROM:
            check_size(result, body, self.limit, "ALB 1 MB response")
        return result

    def fallback_request(self, event: dict[str, Any], context: Any) -> Request:
        method = event.get("httpMethod")
        method = method if type(method) is str else "GET"
        return Request(method, "/", "", "", {}, b"", None, "https", "", 443, event, context)


SOURCE = Alb()
