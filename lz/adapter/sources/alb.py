"""Application Load Balancer target-group events, in both header modes.

ALB hands over query values still percent-encoded (so they are joined, never encoded again), and
answers in whichever header mode the target group uses: `multiValueHeaders` when the event had them,
otherwise single `headers`, where a repeated Set-Cookie cannot be represented at all. The client is
the right-most X-Forwarded-For entry: ALB appends it, anything to its left is the client's claim.
"""

from __future__ import annotations

from typing import Any

from ..codec import ALB_LIMIT, check_size, decode_body, encode_body
from ..events import BadRequest, Options, Request, Response
from .common import find, first, header_list, multi_value_headers, server, string


def _reason(status: int) -> str:
    try:
        from http import HTTPStatus

        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


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
        method = string(event, "httpMethod")
        path = string(event, "path", "/") or "/"
        multi = isinstance(event.get("multiValueHeaders"), dict)
        headers = header_list(event)
        hmap = event.get("multiValueHeaders") or event.get("headers") or {}
        scheme, host, port = server(hmap)

        script_name = ""
        base = options.base_path
        if base:
            from .rest_v1 import split_prefix

            rest = split_prefix(path, base)
            if rest is not None:
                script_name, path = base, rest

        params = event.get("multiValueQueryStringParameters") or event.get(
            "queryStringParameters"
        )
        if params and not isinstance(params, dict):
            raise BadRequest("queryStringParameters must be an object")
        query = _raw_query(params) if params else ""

        client = None
        forwarded = find(hmap, "x-forwarded-for")
        if isinstance(forwarded, list):
            forwarded = ",".join(v for v in forwarded if isinstance(v, str))
        if isinstance(forwarded, str) and forwarded:
            client = forwarded.rsplit(",", 1)[-1].strip() or None

        return Request(
            self,
            method,
            path,
            script_name,
            query,
            headers,
            decode_body(event),
            client,
            scheme,
            host,
            port,
            event,
            context,
            multi,
        )

    def encode(self, response: Response, request: Request, options: Options) -> dict[str, Any]:
        body, b64 = encode_body(response, request.method == "HEAD", options.text_mime_types)
        status = response.status
        result: dict[str, Any] = {
            "statusCode": status,
            "statusDescription": f"{status} {_reason(status)}",
            "isBase64Encoded": b64,
            "body": body,
        }
        if request.multi:
            result["multiValueHeaders"] = multi_value_headers(response.headers)
        else:
            result["headers"] = self._single_headers(response.headers, request)
        check_size(result, body, self.limit, "ALB 1 MB response")
        return result

    @staticmethod
    def _single_headers(headers: list[tuple[str, str]], request: Request) -> dict[str, str]:
        out: dict[str, str] = {}
        names: dict[str, str] = {}
        dropped: list[str] = []
        for name, value in headers:
            lname = name.lower()
            seen = names.get(lname)
            if seen is None:
                names[lname] = name
                out[name] = value
            elif lname == "set-cookie":
                dropped.append(value.split("=", 1)[0])
            else:
                out[seen] = f"{out[seen]}, {value}"
        if dropped:
            from ..log import log

            log().warning(
                "lz: ALB target group is in single-value header mode, so only the first "
                "Set-Cookie can be sent; dropped cookies %s (request_id=%s). Turn on "
                "multi-value headers on the target group (lambda.multi_value_headers.enabled).",
                ", ".join(dropped),
                getattr(request.context, "aws_request_id", "-"),
            )
        return out

    def fallback_request(self, event: dict[str, Any], context: Any) -> Request:
        method = first(event.get("httpMethod")) or "GET"
        multi = isinstance(event.get("multiValueHeaders"), dict)
        return Request(
            self, method, "/", "", "", [], b"", None, "https", "", 443, event, context, multi
        )


SOURCE = Alb()
