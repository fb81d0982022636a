"""API Gateway REST API (payload 1.0), and HTTP API events sent in payload format 1.0.

Facts this module depends on: `path` carries a custom-domain base path but never the stage, and on an
execute-api host the stage is part of the URL the client used, so it becomes SCRIPT_NAME; an HTTP
API in payload 1.0 puts a named stage inside `path` itself. Query values arrive decoded and are
encoded again; answers go out as `multiValueHeaders` so that every Set-Cookie survives.
"""

from __future__ import annotations

from typing import Any

from ..codec import LAMBDA_SYNC_LIMIT, check_size, decode_body, encode_body, encode_query
from ..events import BadRequest, Options, Request, Response
from .common import first, header_list, multi_value_headers, section, server, string


def split_prefix(path: str, prefix: str) -> str | None:
    """`path` without `prefix` when it starts with that whole segment, else None."""
    if path == prefix:
        return ""
    if path.startswith(prefix) and path[len(prefix)] == "/":
        return path[len(prefix) :]
    return None


class RestV1:
    name = "rest_v1"
    limit = LAMBDA_SYNC_LIMIT

    def matches(self, event: dict[str, Any]) -> bool:
        if "httpMethod" not in event:
            return False
        rc = event.get("requestContext")
        return not (isinstance(rc, dict) and "elb" in rc)

    def parse(self, event: dict[str, Any], context: Any, options: Options) -> Request:
        method = string(event, "httpMethod")
        path = string(event, "path", "/") or "/"
        rc = section(event, "requestContext")
        headers = header_list(event)
        hmap = event.get("multiValueHeaders") or event.get("headers") or {}
        scheme, host, port = server(hmap)

        script_name = ""
        stage = rc.get("stage")
        base = options.base_path
        rest = split_prefix(path, base) if base else None
        if rest is not None:
            script_name, path = base, rest  # type: ignore[assignment]
        elif options.strip_stage and isinstance(stage, str) and stage and stage != "$default":
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
            if not isinstance(params, dict):
                raise BadRequest("queryStringParameters must be an object")
            query = encode_query(params)

        identity = rc.get("identity")
        client = identity.get("sourceIp") if isinstance(identity, dict) else None
        return Request(
            self,
            method,
            path,
            script_name,
            query,
            headers,
            decode_body(event),
            client if isinstance(client, str) else None,
            scheme,
            host,
            port,
            event,
            context,
        )

    def encode(self, response: Response, request: Request, options: Options) -> dict[str, Any]:
        body, b64 = encode_body(response, request.method == "HEAD", options.text_mime_types)
        result = {
            "statusCode": response.status,
            "multiValueHeaders": multi_value_headers(response.headers),
            "body": body,
            "isBase64Encoded": b64,
        }
        check_size(result, body, self.limit, "Lambda 6 MB response")
        return result

    def fallback_request(self, event: dict[str, Any], context: Any) -> Request:
        method = first(event.get("httpMethod")) or "GET"
        return Request(self, method, "/", "", "", [], b"", None, "https", "", 443, event, context)


SOURCE = RestV1()
