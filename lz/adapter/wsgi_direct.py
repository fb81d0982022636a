"""The WSGI front end's direct path for 2.0 events (HTTP API payload 2.0, Function URLs): the
environ straight from the event, the app run, the result encoded and the request line written,
with no Request in between.

Why a second path: on CPython each call, attribute and lookup costs, and for the commonest events
the general path (source.parse -> Request -> build_environ) reads every value twice and builds an
object only to read it back. Measured with bench/instructions.py, the direct path costs ~6k
instructions less per request (a third of what the adapter adds to a raw WSGI app).

What keeps the two paths equal: `environ_v2` takes only events it can build exactly as the
general path would and answers None for anything else (a header name not seen yet, a value that is
not ASCII text, a cookie list with something odd in it, a base64 body, another port or scheme, a
domain other than the last event's...), and then the general path serves the event. Failures of
the app or of the encoder are answered by the general path's own handlers, given the Request it
would have built. tests/adapter/test_wsgi_direct.py holds the two paths to identical environs,
results and request lines on generated and mutated events.
"""

from __future__ import annotations

import sys
from io import BytesIO
from time import perf_counter as _clock

from .codec import unquote_to_bytes
from .handler import _app_failure, _encode_failure
from .log import CENTS, HEADS, MS, NUMBERS, STATUSES, quote, request_line, request_id
from .sources.common import principal
from .sources.rest_v1 import split_prefix
from .wsgi import _CGI, _TEMPLATE, _native

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .events import Options, Source
    from .wsgi import WSGIAdapter


def environ_v2(event: dict[str, Any], context: Any, options: Options, source: Source) -> dict | None:
    """The PEP 3333 environ of a 2.0 event, exactly as build_environ(source.parse(...)) makes it,
    or None when the event needs anything the general path does that this one does not (then the
    general path serves it). `source` is the source of the adapter's last event (its `domain` is
    that event's domain name: an event with another one goes the general way, which decides
    whose it is)."""
    try:  # the lookups the general path makes first, all of them subscripts (cheaper than .get)
        rc = event["requestContext"]
        http = rc["http"]
        hmap = event["headers"]
        if event["version"] != "2.0" or rc["domainName"] != source.domain \
                or hmap["x-forwarded-proto"] != "https" or hmap["x-forwarded-port"] != "443":
            return None
        method = http["method"]
        path = event["rawPath"] or "/"
        query = event["rawQueryString"]
        host = hmap["host"]
    except (KeyError, TypeError):
        return None
    environ = _TEMPLATE.copy()
    # Every header, through the name cache only: a name not cached yet, a value that is not ASCII
    # text, or two names on one key (the count) leave the work to the general path.
    cache = _CGI
    isascii = str.isascii
    try:
        for name, value in hmap.items():
            if isascii(value):
                environ[cache[name]] = value
            else:
                return None
        if type(method) is not str or ":" in host or not isascii(host) or not isascii(path):
            return None
    except (KeyError, TypeError, AttributeError):
        return None
    if len(environ) != len(_TEMPLATE) + len(hmap):
        return None
    if "" in environ:  # a name the environ must not take (Content-Length, names with '_')
        del environ[""]
    if query:
        if type(query) is not str:
            return None
        environ["QUERY_STRING"] = query if isascii(query) else _native(query)
    cookies = event.get("cookies")
    if cookies:  # after the headers: cookies[] is the Cookie header (the general path drops it)
        try:
            cookie = "; ".join(cookies)
        except TypeError:  # not a list of text: the general path says what is wrong
            return None
        if type(cookies) is not list:
            return None
        environ["HTTP_COOKIE"] = cookie if isascii(cookie) else _native(cookie)
    forwarded = options.forwarded_host  # a Function URL behind lz's CloudFront distribution
    if forwarded is not None and hmap.get("x-forwarded-host") == forwarded:
        if not isascii(forwarded):
            return None
        host = environ["HTTP_HOST"] = forwarded
    base = options.base_path
    if base and (rest := split_prefix(path, base)) is not None:
        environ["SCRIPT_NAME"], path = base, rest
    elif source.has_stage and options.strip_stage:
        stage = rc.get("stage")
        if stage != "$default" and type(stage) is str and stage:
            rest = split_prefix(path, "/" + stage)
            if rest is not None:
                environ["SCRIPT_NAME"], path = "/" + stage, rest
    environ["PATH_INFO"] = unquote_to_bytes(path).decode("latin-1") if "%" in path else path
    body = event.get("body")
    if body:
        try:  # text; a base64 body (or a malformed one) goes the general way
            if event["isBase64Encoded"] is not False:
                return None
            body = body.encode("utf-8")
        except (KeyError, AttributeError, UnicodeEncodeError):
            return None
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = BytesIO(body)
    environ["REQUEST_METHOD"] = method
    environ["SERVER_NAME"] = host
    client = http.get("sourceIp")
    if client and type(client) is str:
        environ["REMOTE_ADDR"] = client
    environ["aws.event"] = event
    environ["aws.context"] = context
    if "authorizer" in rc:  # JWT claims, IAM caller (also a Function URL's AWS_IAM auth)
        user = principal(rc)
        if user is not None:
            environ["REMOTE_USER"] = user if isascii(user) else _native(user)
    return environ


def serve_v2(adapter: WSGIAdapter, source: Source, event: dict[str, Any], context: Any) -> Any:
    """The result of a 2.0 event by the direct path, or None when it is not one for it (nothing
    has been run then: the general path serves the event from the start). As Adapter.__call__,
    it never raises: the app's and the encoder's failures get the general path's answers."""
    if source.streams and context is not None and getattr(context, "lz_stream", None) is not None:
        return None  # a streaming stage's invocation: Adapter._streamed
    options = adapter.options
    start = _clock() if options.request_line else 0
    environ = environ_v2(event, context, options, source)
    if environ is None:
        return None
    method = environ["REQUEST_METHOD"]
    try:
        response = adapter.run(None, environ)
    except BaseException as exc:  # answered as Adapter.__call__ answers it (never fatal)
        response = _app_failure(exc, source.parse(event, context, options))
    try:
        result = source.result(response, method, options)
    except Exception as exc:
        result = _encode_failure(exc, source, source.parse(event, context, options), options)
    if start:  # as in Adapter.__call__ (see there)
        cents = int((_clock() - start) * 100000.0 + 0.5)
        try:
            line = (f'{HEADS[method]}{quote(event["rawPath"])}{STATUSES[result["statusCode"]]}'
                    f'{MS[cents] if cents < 1000 else NUMBERS[cents // 100] + "." + CENTS[cents % 100]}'
                    f',"request_id":{quote(context.aws_request_id)}}}\n')
        except (KeyError, IndexError, TypeError, AttributeError):
            line = request_line(method, event.get("rawPath"), result.get("statusCode"),
                                _clock() - start, request_id(context))
        sys.stdout.write(line)
    return result
