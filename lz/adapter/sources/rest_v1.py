"""API Gateway REST API (payload 1.0), and HTTP API events sent in payload format 1.0.

Facts this module depends on: `path` carries a custom-domain base path but never the stage, and on an
execute-api host the stage is part of the URL the client used, so it becomes SCRIPT_NAME; an HTTP
API in payload 1.0 puts a named stage inside `path` itself. Query values arrive decoded and are
encoded again; answers go out as `multiValueHeaders` so that every Set-Cookie survives.
"""

from __future__ import annotations

from ..codec import (
    LAMBDA_SYNC_LIMIT,
    SIZE_CHECK_FROM,
    check_size,
    decode_body,
    encode_body,
    encode_query,
)
from ..events import BadRequest, Options, Request, Response
from .common import header_list, multi_headers, principal, section, server, string

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


_PORTS = {"443": 443, "80": 80}
_SCHEMES = {"https": "https", "http": "http"}


def split_prefix(path: str, prefix: str) -> str | None:
    """`path` without `prefix` when it starts with that whole segment, else None."""
    if path.startswith(prefix):
        if len(path) == len(prefix):
            return ""
        if path[len(prefix)] == "/":
            return path[len(prefix) :]
    return None


class RestV1:
    name = "rest_v1"
    path_key = "path"  # the path as the front delivered it, for the request line
    limit = LAMBDA_SYNC_LIMIT
    streams = True  # a REST API integration in response transfer mode STREAM
    checks_shape = False  # parse() is only given events matches() accepted
    payload_v2 = False  # see http_v2.py

    def matches(self, event: dict[str, Any]) -> bool:
        if "httpMethod" not in event:
            return False
        rc = event.get("requestContext")
        return not (type(rc) is dict and "elb" in rc)

    def parse(self, event: dict[str, Any], context: Any, options: Options) -> Request:
        method = event.get("httpMethod")
        path = event.get("path") or "/"
        rc = event.get("requestContext")
        if type(method) is not str or type(path) is not str:
            string(event, "httpMethod")
            string(event, "path")
        if type(rc) is not dict:
            rc = section(event, "requestContext")
        headers, hmap, multi = header_list(event)
        try:  # the spellings API Gateway passes from HTTP/1.1 clients; anything else: server()
            scheme = _SCHEMES[hmap["X-Forwarded-Proto"]]
            host = hmap["Host"]
            port = _PORTS[hmap["X-Forwarded-Port"]]
            if ":" in host or type(host) is not str:
                raise KeyError
        except (KeyError, TypeError):
            scheme, host, port = server(hmap)

        script_name = ""
        stage = rc.get("stage")
        base = options.base_path
        rest = split_prefix(path, base) if base else None
        if rest is not None:
            script_name, path = base, rest  # type: ignore[assignment]
        elif options.strip_stage and type(stage) is str and stage and stage != "$default":
            if event.get("version") == "1.0":
                # HTTP API, payload 1.0: a named stage is inside `path`, as in rawPath.
                rest = split_prefix(path, "/" + stage)
                if rest is not None:
                    script_name, path = "/" + stage, rest
            elif ".execute-api." in (rc.get("domainName") or host):
                script_name = "/" + stage

        query = ""
        params = event.get("multiValueQueryStringParameters") or event.get(
            "queryStringParameters"
        )
        if params:
            if type(params) is not dict:
                raise BadRequest("queryStringParameters must be an object")
            query = encode_query(params)

        identity = rc.get("identity")
        client = identity.get("sourceIp") if type(identity) is dict else None
        request = Request(
            method, path, script_name, query, headers,
            decode_body(event) if event.get("body") else b"",
            client if type(client) is str else None, scheme, host, port, event, context, None,
            multi,
        )
        try:  # REMOTE_USER: an authorizer's principal, or the IAM caller (identity.userArn)
            if identity["userArn"] or "authorizer" in rc:
                request.user = principal(rc)
        except (KeyError, TypeError):  # no identity, or no userArn in it (a subscript is cheaper)
            if "authorizer" in rc:
                request.user = principal(rc)
        return request

    def encode(self, response: Response, request: Request, options: Options) -> dict[str, Any]:
        headers, content_type, encoded, size = multi_headers(response.headers)
        body = response.body
        if body and request.method != "HEAD":
            body, b64 = encode_body(body, content_type, encoded, options)
        else:
            body, b64 = "", False
        result = {
            "statusCode": response.status,
            "multiValueHeaders": headers,
            "body": body,
            "isBase64Encoded": b64,
        }
        size += len(body)
        if size > SIZE_CHECK_FROM:
            check_size(result, size, self.limit, "Lambda 6 MB response")
        return result

    def prelude(self, response: Response, request: Request, options: Options) -> dict[str, Any]:
        """What goes before a streamed body: the status and every header, repeats kept."""
        return {"statusCode": response.status, "multiValueHeaders": multi_headers(response.headers)[0]}

    def fallback_request(self, event: dict[str, Any], context: Any) -> Request:
        method = event.get("httpMethod")
        method = method if type(method) is str else "GET"
        return Request(method, "/", "", "", {}, b"", None, "https", "", 443, event, context)


SOURCE = RestV1()
