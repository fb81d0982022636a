"""The PEP 3333 environ of a request, built two ways: from a Request (`build_environ`, every
source), and straight from a 2.0 event (`environ_v2`: HTTP API payload 2.0 and Function URLs, the
WSGI front end's direct path, see DESIGN.md "The adapter's hot path").

Both are written for the hot path: header names are translated through a cache, so a dozen headers
are translated once per execution environment, not once per request. `environ_v2` takes only the
events it can build exactly as build_environ(source.parse(event)) would, and answers None for any
other (then the general path serves the event); tests/adapter/test_wsgi_direct.py holds the two to
identical environs on generated and mutated events.
"""

from __future__ import annotations

import sys
from io import BytesIO

from .codec import CACHEABLE, join_values, unquote_to_bytes
from .sources.common import principal
from .sources.rest_v1 import split_prefix

TYPE_CHECKING = False  # importing typing costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any

    from .events import Options, Request, Source

_CGI: dict[str, str] = {}


def _cgi_key(name: str) -> str:
    """The environ key for a request header; '' for headers the environ must not take from it.

    Names with '_' are dropped: they would land on the same key as their '-' twin and let a client
    overwrite a header the AWS front set (as gunicorn and nginx do by default). Content-Length comes
    from the decoded body instead, which is what the app will actually read; and Transfer-Encoding
    goes, because the body arrives whole and already decoded (with `chunked` left in, werkzeug
    ignores CONTENT_LENGTH and reads no body at all).
    """
    key = _CGI.get(name)
    if key is None:
        upper = name.upper()
        if "_" in upper or upper in _DROPPED:
            key = ""
        elif upper == "CONTENT-TYPE":
            key = "CONTENT_TYPE"
        else:
            key = "HTTP_" + upper.replace("-", "_")
        if len(name) <= CACHEABLE:  # client-chosen names: bounded in entries and in bytes
            if len(_CGI) > 4096:
                _CGI.clear()
            _CGI[name] = key
    return key


_DROPPED = frozenset({"CONTENT-LENGTH", "TRANSFER-ENCODING"})


def _native(text: str) -> str:
    """A PEP 3333 native string: bytes as latin-1 code points."""
    try:
        text.encode("latin-1")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("latin-1")


class _EmptyInput:
    """wsgi.input of a request without a body: always at its end, so it holds no state and one
    instance serves every such request (most GETs), instead of a new BytesIO each time."""

    __slots__ = ()

    def read(self, size: int = -1) -> bytes:
        return b""

    def readline(self, size: int = -1) -> bytes:
        return b""

    def readlines(self, hint: int = -1) -> list[bytes]:
        return []

    def __iter__(self) -> Any:
        return iter(())


_EMPTY_INPUT = _EmptyInput()

def _header_environ(headers: dict[str, Any]) -> dict[str, str]:
    """The environ entries of every header, the careful way: names not seen yet, values to join
    (RFC 9110; cookies with '; '), convert to native strings, or skip because they are not text."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = _cgi_key(name) if type(name) is str else ""
        if not key:
            continue
        if type(value) is list:
            value = join_values(name, value)
            if value is None:
                continue
        elif type(value) is not str:
            continue
        if not value.isascii():
            value = _native(value)
        if key in out:
            out[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value
        else:
            out[key] = value
    return out


# The keys every environ has, in one table copied per request: a copy of a ready dict is cheaper
# than building an 18-key literal, and the constant entries come along for free.
_TEMPLATE: dict[str, Any] = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/",
    "QUERY_STRING": "",
    "CONTENT_LENGTH": "0",
    "SERVER_NAME": "",
    "SERVER_PORT": "443",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "127.0.0.1",
    "wsgi.version": (1, 0),
    "wsgi.url_scheme": "https",
    "wsgi.input": _EMPTY_INPUT,
    "wsgi.errors": sys.stderr,
    "wsgi.multithread": False,
    "wsgi.multiprocess": False,
    "wsgi.run_once": False,
    "aws.event": None,
    "aws.context": None,
}


def _roomy(template: dict[str, Any], room: int) -> dict[str, Any]:
    """`template` with room in its hash table for about `room` more keys: an environ's headers.

    A dict that runs out of room is resized: a new table allocated, every key re-inserted, the
    old one freed; measured, one resize cost more than all of a request's header stores.
    dict.copy() clones a table as it is, its size and its deleted entries too, while at most a
    third of its entries are deleted ones (CPython's fast copy); a resize makes a table of three
    times the live keys and drops the deleted ones. So: enough live keys that the resize picks
    the size wanted, deleted keys to bring the resize on, then the extra live keys deleted
    again, within the fast copy's third. Where the fast copy does not apply, the copy is merely
    the usual size."""
    keys = len(template)
    live = max(keys, (keys + room + 2) // 3)  # a resize with `live` keys makes the table wanted
    grown = dict(template)
    extra = [("lz.room", i) for i in range(live - keys)]
    for key in extra:
        grown[key] = None
    size = sys.getsizeof(grown)
    filler = 0
    while sys.getsizeof(grown) == size:  # deleted entries until the table is resized
        grown["lz.fill", filler] = None
        del grown["lz.fill", filler]
        filler += 1
    for key in extra:
        del grown[key]
    return grown


def _room(template: dict[str, Any]) -> int:
    """How many keys a copy of `template` takes before its table grows."""
    copy = template.copy()
    size = sys.getsizeof(copy)
    for added in range(256):
        copy["lz.room", added] = None
        if sys.getsizeof(copy) != size:
            return added
    return 256


# Two tables, chosen by the event's header count: a copy of the wide one is twice the memory
# (2.2 KB against 1.2 KB), and cache misses on that memory cost CPU time where instruction counts
# see none, so the narrow one serves most events (the benchmarks' 4 to 16 headers; 15 to 20
# from an API Gateway edge endpoint) and the wide one the rest (browsers behind CloudFront send
# up to 30). An environ takes at most two keys beyond its headers (HTTP_COOKIE from 2.0 cookies,
# REMOTE_USER), hence the two spare.
_WIDE = _roomy(_TEMPLATE, 60)
_TEMPLATE = _roomy(_TEMPLATE, 23)
_NARROW = _room(_TEMPLATE) - 2  # headers a copy of _TEMPLATE holds without growing
_SIZE = len(_TEMPLATE)


def build_environ(request: Request) -> dict[str, Any]:
    headers = request.headers
    count = len(headers)
    environ = (_TEMPLATE if count <= _NARROW else _WIDE).copy()
    path = request.path
    if "%" in path or not path.isascii():
        path = unquote_to_bytes(path).decode("latin-1")
    environ["PATH_INFO"] = path
    query = request.query
    if query:
        environ["QUERY_STRING"] = query if query.isascii() else _native(query)
    body = request.body
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = BytesIO(body)
    environ["REQUEST_METHOD"] = request.method
    environ["SCRIPT_NAME"] = request.script_name
    environ["SERVER_NAME"] = request.host
    port = request.port
    if port != 443:
        environ["SERVER_PORT"] = str(port)
    if request.client:
        environ["REMOTE_ADDR"] = request.client
    if request.scheme != "https":
        environ["wsgi.url_scheme"] = request.scheme
    environ["aws.event"] = request.event
    environ["aws.context"] = request.context
    # Header names are translated through a cache keyed by name alone: in Lambda every event is
    # newly parsed, and hashing each value (a long User-Agent, say) would cost more than isascii(),
    # which is O(1). The loops are as short as they can be, because they run for every header;
    # anything unusual leaves them for _header_environ, which does the whole map again carefully.
    cache = _CGI
    isascii = str.isascii  # TypeError for a value that is not text
    # Names the environ must not take (Content-Length, names with '_') all map to the key '',
    # removed below; two names on one key (or two such names) show as a count short of `size`.
    size = _SIZE + count
    try:
        if request.multi:  # a list per name, nearly always of one
            for name, values in headers.items():
                try:
                    (value,) = values
                except ValueError:  # a repeated header (try costs nothing until it raises)
                    if type(values) is not list or not values:  # the count below notices
                        continue
                    # join_values()'s work inline: a value that is not text raises TypeError
                    value = ("; " if cache[name] == "HTTP_COOKIE" else ", ").join(values)
                if isascii(value):
                    environ[cache[name]] = value
                else:
                    raise ValueError
        else:
            for name, value in headers.items():
                if isascii(value):
                    environ[cache[name]] = value
                else:
                    raise ValueError
        if len(environ) != size:
            raise ValueError
    except (KeyError, TypeError, ValueError):
        environ.update(_header_environ(headers))
    if "" in environ:
        del environ[""]
    cookie = request.cookie
    if cookie is not None:
        environ["HTTP_COOKIE"] = cookie if cookie.isascii() else _native(cookie)
    user = request.user
    if user is not None:  # the authorizer's principal (Django's RemoteUserMiddleware reads it)
        environ["REMOTE_USER"] = user if user.isascii() else _native(user)
    return environ


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
        count = len(hmap)
    except (KeyError, TypeError):
        return None
    environ = (_TEMPLATE if count <= _NARROW else _WIDE).copy()
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
        # (the host is one of the values just found to be ASCII text)
        if type(method) is not str or ":" in host or not isascii(path):
            return None
    except (KeyError, TypeError, AttributeError):
        return None
    if len(environ) != _SIZE + count:
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
            body = body.encode()  # UTF-8, strict
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
