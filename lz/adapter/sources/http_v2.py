"""API Gateway HTTP API events in payload format 2.0.

`rawPath` and `rawQueryString` are used as delivered (never `requestContext.http.path`, which is
already decoded and loses `%2F`). A named stage sits at the front of `rawPath` and moves to
SCRIPT_NAME; `$default` adds nothing. Cookies come in `cookies[]` and leave in `cookies[]`; every
other repeated response header is comma-joined, the only form a 2.0 `headers` map can hold.
"""

from __future__ import annotations

from typing import Any

from ..codec import LAMBDA_SYNC_LIMIT, check_size, decode_body, encode_body
from ..events import BadRequest, Options, Request, Response
from .common import section, server, string
from .rest_v1 import split_prefix


class HttpV2:
    name = "http_v2"
    limit = LAMBDA_SYNC_LIMIT

    def matches(self, event: dict[str, Any]) -> bool:
        rc = event.get("requestContext")
        return event.get("version") == "2.0" and isinstance(rc, dict) and "http" in rc

    def parse(self, event: dict[str, Any], context: Any, options: Options) -> Request:
        rc = section(event, "requestContext")
        http = section(rc, "http")
        method = string(http, "method")
        path = string(event, "rawPath", "/") or "/"
        query = string(event, "rawQueryString", "")

        hmap = section(event, "headers")
        headers = [(k, v) for k, v in hmap.items() if isinstance(v, str)]
        cookies = event.get("cookies")
        if cookies:
            if not isinstance(cookies, list):
                raise BadRequest("cookies must be a list")
            headers = [h for h in headers if h[0].lower() != "cookie"]
            headers.append(("cookie", "; ".join(c for c in cookies if isinstance(c, str))))
        scheme, host, port = server(hmap)

        script_name = ""
        base = options.base_path
        rest = split_prefix(path, base) if base else None
        if rest is not None:
            script_name, path = base, rest  # type: ignore[assignment]
        elif options.strip_stage:
            stage = rc.get("stage")
            if isinstance(stage, str) and stage and stage != "$default":
                rest = split_prefix(path, "/" + stage)
                if rest is not None:
                    script_name, path = "/" + stage, rest

        client = http.get("sourceIp")
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
        headers: dict[str, str] = {}
        names: dict[str, str] = {}
        cookies: list[str] = []
        for name, value in response.headers:
            lname = name.lower()
            if lname == "set-cookie":
                cookies.append(value)
                continue
            seen = names.get(lname)
            if seen is None:
                names[lname] = name
                headers[name] = value
            else:
                headers[seen] = f"{headers[seen]}, {value}"
        result: dict[str, Any] = {
            "statusCode": response.status,
            "headers": headers,
            "body": body,
            "isBase64Encoded": b64,
        }
        if cookies:
            result["cookies"] = cookies
        check_size(result, body, self.limit, "Lambda 6 MB response")
        return result

    def fallback_request(self, event: dict[str, Any], context: Any) -> Request:
        rc = event.get("requestContext")
        http = rc.get("http") if isinstance(rc, dict) else None
        method = http.get("method") if isinstance(http, dict) else None
        if not isinstance(method, str):
            method = "GET"
        return Request(self, method, "/", "", "", [], b"", None, "https", "", 443, event, context)


SOURCE = HttpV2()
