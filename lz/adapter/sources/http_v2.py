"""API Gateway HTTP API events in payload format 2.0.

`rawPath` and `rawQueryString` are used as delivered (never `requestContext.http.path`, which is
already decoded and loses `%2F`). A named stage sits at the front of `rawPath` and moves to
SCRIPT_NAME; `$default` adds nothing. Cookies come in `cookies[]` and leave in `cookies[]`; every
other repeated response header is comma-joined, the only form a 2.0 `headers` map can hold.
"""

from __future__ import annotations

from ..codec import LAMBDA_SYNC_LIMIT, SIZE_CHECK_FROM, check_size, decode_body, encode_body
from ..events import BadRequest, Options, Request, Response
from .common import principal, section, server, single_headers, string
from .rest_v1 import split_prefix

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


_PORTS = {"443": 443, "80": 80}
_SCHEMES = {"https": "https", "http": "http"}


def _is_v2(event: dict[str, Any]) -> dict[str, Any] | None:
    """The requestContext of a 2.0 event, else None."""
    rc = event.get("requestContext")
    if event.get("version") == "2.0" and type(rc) is dict and "http" in rc:
        return rc
    return None


def _lambda_url(rc: dict[str, Any]) -> bool:
    domain = rc.get("domainName")
    return type(domain) is str and ".lambda-url." in domain


class HttpV2:
    name = "http_v2"
    path_key = "rawPath"  # the path as the front delivered it, for the request line
    limit = LAMBDA_SYNC_LIMIT
    has_stage = True
    url = False  # whether its domain is a Function URL's (*.lambda-url.*)
    # parse() answers None for an event of another source, so the adapter need not ask matches()
    # of the source it saw last (handler.py): one call per request instead of two.
    checks_shape = True
    streams = False  # HTTP APIs buffer every response; a Function URL (this shape) can stream
    payload_v2 = True  # the 2.0 shape: the WSGI front end builds its environ directly

    def matches(self, event: dict[str, Any]) -> bool:
        try:
            if event["version"] != "2.0":
                return False
            rc = event["requestContext"]
            return "http" in rc and ".lambda-url." not in rc["domainName"]
        except (KeyError, TypeError):
            rc = event.get("requestContext")
            if event.get("version") != "2.0" or type(rc) is not dict or "http" not in rc:
                return False
            domain = rc.get("domainName")
        return not (type(domain) is str and ".lambda-url." in domain)

    # The domain name of the last event found to be this source's: a function is served under one
    # or two names, and comparing with it costs less than looking for ".lambda-url." again.
    domain: str | None = None

    def _owns(self, domain: Any) -> bool:
        """Whether an event with this domain name (and the 2.0 shape) is this source's, as
        matches() decides it; a text one that is is remembered (a short one: it is the client's)."""
        if type(domain) is str and (".lambda-url." in domain) is self.url:
            if len(domain) <= 253:  # the longest DNS name
                self.domain = domain
            return True
        return False

    def parse(self, event: dict[str, Any], context: Any, options: Options) -> Request | None:
        """The Request, or None when `event` is not of this source (`matches` is false): the
        adapter asks its last source's parse first, with no separate matches() call (see
        handler.py), so the shape is checked here, in the lookups the parse does anyway."""
        # The hot path: plain lookups with inline type checks; the helpers only run to say what
        # is wrong with a malformed event, or (matches()) whether it is this source's at all.
        try:  # subscripts: cheaper than .get(), and every key is there in a real event
            rc = event["requestContext"]
            http = rc["http"]
            domain = rc["domainName"]
            if event["version"] != "2.0" or (domain != self.domain and not self._owns(domain)):
                raise KeyError  # maybe not this source's event: matches() below decides
            method = http["method"]
            path = event["rawPath"] or "/"
            query = event["rawQueryString"] or ""
            hmap = event["headers"]
        except (KeyError, TypeError):
            if not self.matches(event):
                return None
            rc = event.get("requestContext")
            http = rc.get("http") if type(rc) is dict else None
            method = http.get("method") if type(http) is dict else None
            path = event.get("rawPath") or "/"
            query = event.get("rawQueryString") or ""
            hmap = event.get("headers")
        if type(method) is not str or type(path) is not str or type(query) is not str:
            rc = section(event, "requestContext")
            string(section(rc, "http"), "method")
            string(event, "rawPath")
            string(event, "rawQueryString")
        if type(hmap) is not dict:
            hmap = section(event, "headers")

        headers = hmap  # the front ends only read it
        cookies = event.get("cookies")
        cookie = None
        if cookies:
            # cookies[] becomes one Cookie header, which the front ends add after `headers`
            if type(cookies) is not list:
                raise BadRequest("cookies must be a list")
            try:
                cookie = "; ".join(cookies)
            except TypeError:
                cookie = "; ".join([c for c in cookies if type(c) is str])
            if "cookie" in hmap:
                headers = hmap.copy()
                del headers["cookie"]

        try:  # what API Gateway sends; anything else (another port, a host:port...): server()
            scheme = _SCHEMES[hmap["x-forwarded-proto"]]
            host = hmap["host"]
            port = _PORTS[hmap["x-forwarded-port"]]
            if ":" in host or type(host) is not str:
                raise KeyError
        except (KeyError, TypeError):
            scheme, host, port = server(hmap)
        if options.forwarded_host is not None and hmap.get("x-forwarded-host") == options.forwarded_host:
            # a Function URL behind lz's CloudFront distribution: the app sees the custom name
            host = options.forwarded_host
            headers = {**headers, "host": host}

        script_name = ""
        base = options.base_path
        if base and (rest := split_prefix(path, base)) is not None:
            script_name, path = base, rest
        elif self.has_stage and options.strip_stage:
            stage = rc.get("stage")
            if stage != "$default" and type(stage) is str and stage:
                rest = split_prefix(path, "/" + stage)
                if rest is not None:
                    script_name, path = "/" + stage, rest

        body = event.get("body")
        if body:
            try:  # the common case, text, inline; decode_body() for base64 or to say what is wrong
                if event["isBase64Encoded"] is not False:
                    raise KeyError
                body = body.encode("utf-8")
            except (KeyError, AttributeError, UnicodeEncodeError):
                body = decode_body(event)
        else:
            body = b""
        client = http.get("sourceIp")
        # Every argument given, defaults too: CPython then specialises the class call and runs
        # __init__ inline (measured: a third of the cost of building the Request).
        request = Request(
            method, path, script_name, query, headers, body,
            client if type(client) is str else None, scheme, host, port, event, context, cookie,
            False,
        )
        if "authorizer" in rc:  # JWT claims, IAM caller (also a Function URL's AWS_IAM auth)
            request.user = principal(rc)
        return request

    def encode(self, response: Response, request: Request, options: Options) -> dict[str, Any]:
        return self.result(response, request.method, options)

    def result(self, response: Response, method: str, options: Options) -> dict[str, Any]:
        """encode() given the request's method alone: all it reads of the request (the WSGI
        front end's direct path has no Request, see wsgi_direct.py)."""
        headers, cookies, content_type, encoded, size = single_headers(response.headers, True)
        body = response.body
        if body and method != "HEAD":
            # encode_body()'s common case inline (a type already known as text): a call less
            if not encoded and options.text_cache.get(content_type):
                try:
                    body, b64 = body.decode(), False  # UTF-8, strict
                except UnicodeDecodeError:
                    body, b64 = encode_body(body, content_type, encoded, options)
            else:
                body, b64 = encode_body(body, content_type, encoded, options)
        else:
            body, b64 = "", False
        result: dict[str, Any] = {
            "statusCode": response.status,
            "headers": headers,
            "body": body,
            "isBase64Encoded": b64,
        }
        if cookies:
            result["cookies"] = cookies
        size += len(body)
        if size > SIZE_CHECK_FROM:
            check_size(result, size, self.limit, "Lambda 6 MB response")
        return result

    def prelude(self, response: Response, request: Request, options: Options) -> dict[str, Any]:
        """What goes before a streamed body: the status, the headers (repeats comma-joined), and
        Set-Cookie values in `cookies`, as in a buffered result."""
        headers, cookies = single_headers(response.headers, True)[:2]
        prelude: dict[str, Any] = {"statusCode": response.status, "headers": headers}
        if cookies:
            prelude["cookies"] = cookies
        return prelude

    def fallback_request(self, event: dict[str, Any], context: Any) -> Request:
        rc = event.get("requestContext")
        http = rc.get("http") if type(rc) is dict else None
        method = http.get("method") if type(http) is dict else None
        if type(method) is not str:
            method = "GET"
        return Request(method, "/", "", "", {}, b"", None, "https", "", 443, event, context)


SOURCE = HttpV2()
