"""WSGI front end: Request -> PEP 3333 environ, run the app, collect its Response.

The environ is built in one pass with header names translated through a cache, because this is the
hot path: a dozen headers are translated once per execution environment, not once per request.
"""

from __future__ import annotations

import sys
from io import BytesIO
TYPE_CHECKING = False  # importing typing costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any, Callable

from .codec import CACHEABLE, join_values, unquote_to_bytes
from .events import Request, Response
from .handler import Adapter, AppError

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


def _roomy(template: dict[str, Any]) -> dict[str, Any]:
    """`template` with room in its hash table for an environ's headers.

    An 18-key dict has room for 21, so an environ resized on its fourth header (most events
    bring 4 to 16): measured, the resize cost more than the rest of the headers together.
    dict.copy() clones a table as it is, its size too, while at most a third of its entries are
    deleted ones (CPython's fast copy); so the template is grown by adding and deleting keys, and
    every copy starts with room for 15 more (a 64-slot table). Where the fast copy does not
    apply, the copy is merely the usual size."""
    grown = dict(template)
    extra = [("lz.room", i) for i in range(len(template) // 2)]
    for key in extra:
        grown[key] = None
    for key in extra:
        del grown[key]
    return grown


_TEMPLATE = _roomy(_TEMPLATE)


def build_environ(request: Request) -> dict[str, Any]:
    environ = _TEMPLATE.copy()
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
    headers = request.headers
    cache = _CGI
    isascii = str.isascii  # TypeError for a value that is not text
    # Names the environ must not take (Content-Length, names with '_') all map to the key '',
    # removed below; two names on one key (or two such names) show as a count short of `size`.
    size = len(environ) + len(headers)
    try:
        if request.multi:  # a list per name, nearly always of one
            for name, values in headers.items():
                try:
                    (value,) = values
                except ValueError:  # a repeated header (try costs nothing until it raises)
                    value = join_values(name, values)
                    if value is None:  # not one value is text: the count below notices
                        continue
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


_STATUS: dict[str, int] = {}


def _status_code(status: Any) -> int:
    """The code of a status line like '200 OK', remembered: apps use a handful of them."""
    if (
        type(status) is not str
        or len(status) < 3
        or not status[:3].isdigit()
        or status[3:4] not in ("", " ")
    ):
        raise AppError(f"WSGI status must be a string like '200 OK', got {status!r:.200}")
    code = int(status[:3])
    if len(status) <= 64:  # the app may put anything after the code: bounded in bytes too
        if len(_STATUS) > 512:
            _STATUS.clear()
        _STATUS[status] = code
    return code


class _Answer(Response):
    """The Response of one request, filled in by the app itself: this object is the
    start_response it is given (one object per request instead of two). Nothing is sent before
    the app returns, so a second call (error pages, the exc_info case) simply replaces the first;
    the status line becomes the int code and the chunks the body once the app is done."""

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None):
        self.status = status
        self.headers = headers
        return self.chunks.append


_new = object.__new__


class WSGIAdapter(Adapter):
    """Serve a WSGI app from Lambda HTTP events: `handler = WSGIAdapter(app)`."""

    def __call__(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        # 2.0 events (HTTP API, Function URL) take the direct path (wsgi_direct.py): no Request
        # in between. It answers None for an event it does not take, with nothing run yet.
        source = self.source
        if source is not None and source.payload_v2:
            result = _serve_v2(self, source, event, context)
            if result is not None:
                return result
        return _general(self, event, context)

    def run(self, request: Request | None, environ: dict[str, Any] | None = None) -> Response:
        """The app's Response to `request`, or to `environ` when the direct path built it."""
        response = _new(_Answer)  # no __init__: three stores here cost less than a call
        response.status = None
        response.chunks = chunks = []
        result = self.app(environ or build_environ(request), response)
        if type(result) is list and not chunks:
            chunks = result  # the common case; a list has no close() to call
        else:
            try:
                for data in result:
                    chunks.append(data)
            finally:
                close: Callable[[], Any] | None = getattr(result, "close", None)
                if close is not None:
                    close()
        status = response.status
        if status is None:
            raise AppError("WSGI app returned without calling start_response")
        try:
            response.status = _STATUS[status]
        except (KeyError, TypeError):
            response.status = _status_code(status)
        try:
            response.body = b"".join(chunks)  # one bytes chunk: join returns it, no copy
        except TypeError:
            bad = next(c for c in chunks if not isinstance(c, (bytes, bytearray, memoryview)))
            raise AppError(f"WSGI app yielded {type(bad).__name__}, expected bytes") from None
        # The header pairs are checked where they are read anyway: in the source's encoder.
        return response

    def stream(self, request: Request, out: Any) -> Response | None:
        """As run(), but each item the app's iterable yields goes out as it comes (Flask's
        stream_with_context generators, Response(generate())): the status and headers with the
        first non-empty item, as PEP 3333 has servers do. The iterable's close() runs at the end,
        on an error and when the client goes away (streaming.ClientGone)."""
        response = _new(_Answer)
        response.status = None
        response.chunks = chunks = []  # what the app passed to write(), sent before its next item
        result = self.app(build_environ(request), response)
        if (type(result) is list and not chunks) or request.method == "HEAD":
            return self._whole(response, result)
        try:
            for data in result:
                if not data and not chunks:
                    continue
                if out.stream is None:
                    out.start(_code(response.status), response.headers)
                if chunks:
                    for early in chunks:
                        out.write(early)
                    chunks.clear()
                out.write(data)
            if out.stream is None:  # nothing but empty items: the whole (empty) answer
                response.status = _code(response.status)
                response.body = b"".join(chunks)
                return response
            for early in chunks:
                out.write(early)
            out.close()
        except Exception as exc:
            from .streaming import ClientGone

            if isinstance(exc, ClientGone):
                out.left()
                return None
            raise
        finally:
            close: Callable[[], Any] | None = getattr(result, "close", None)
            if close is not None:
                close()
        return None

    def _whole(self, response: _Answer, result: Any) -> Response:
        """The app's whole answer, as run() makes it (the iterable read through and closed)."""
        chunks = response.chunks
        try:
            for data in result:
                chunks.append(data)
        finally:
            close: Callable[[], Any] | None = getattr(result, "close", None)
            if close is not None:
                close()
        response.status = _code(response.status)
        try:
            response.body = b"".join(chunks)
        except TypeError:
            bad = next(c for c in chunks if not isinstance(c, (bytes, bytearray, memoryview)))
            raise AppError(f"WSGI app yielded {type(bad).__name__}, expected bytes") from None
        return response


def _code(status: Any) -> int:
    """The int code of the app's status line (AppError when it never called start_response)."""
    if status is None:
        raise AppError("WSGI app returned without calling start_response")
    try:
        return _STATUS[status]
    except (KeyError, TypeError):
        return _status_code(status)


_general = Adapter.__call__


def _serve_v2(adapter: WSGIAdapter, source: Any, event: Any, context: Any) -> Any:
    """wsgi_direct.serve_v2, imported on the first 2.0 event (then it replaces this function)."""
    global _serve_v2
    from .wsgi_direct import serve_v2

    _serve_v2 = serve_v2
    return serve_v2(adapter, source, event, context)
