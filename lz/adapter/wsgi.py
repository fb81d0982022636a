"""WSGI front end: Request -> PEP 3333 environ (environ.py), run the app, collect its Response.

2.0 events (HTTP API payload 2.0, Function URLs) take a direct path, `WSGIAdapter.__call__`: the
environ straight from the event (environ.environ_v2), the app run, the result encoded and the
request line written, with no Request in between. Any event it does not take (environ_v2 answers
None, with nothing run yet) goes the general way, Adapter.__call__; the app's and the encoder's
failures get the general path's own answers, given the Request it would have built.
"""

from __future__ import annotations

import sys
from time import perf_counter as _clock

TYPE_CHECKING = False  # importing typing costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any, Callable

from .environ import build_environ, environ_v2
from .events import Request, Response
from .handler import Adapter, AppError, _app_failure, _encode_failure
from .log import CENTS, HEADS, MS, NUMBERS, STATUSES, quote, request_id, request_line

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
        """The result of an HTTP event. A 2.0 event of the source of the last one takes the
        direct path (see the module's docstring); anything else Adapter.__call__. Never raises."""
        source = self.source
        if source is None or not source.payload_v2 or (
                source.streams and context is not None
                and getattr(context, "lz_stream", None) is not None):  # Adapter._streamed
            return _general(self, event, context)
        options = self.options
        start = _clock() if options.request_line else 0
        environ = environ_v2(event, context, options, source)
        if environ is None:
            return _general(self, event, context)
        method = environ["REQUEST_METHOD"]
        try:
            response = self.run(None, environ)
        except BaseException as exc:  # answered as Adapter.__call__ answers it (never fatal)
            response = _app_failure(exc, _request(source, event, context, options))
        try:
            result = source.result(response, method, options)
        except Exception as exc:
            result = _encode_failure(exc, source, _request(source, event, context, options), options)
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


def _request(source: Any, event: dict[str, Any], context: Any, options: Any) -> Request:
    """The Request the general path would have made of `event`, for the failure handlers' log
    lines and answers (the direct path made none). An app can change its environ's aws.event,
    which is `event`: whatever parse() then thinks of it, the fallback still names the method."""
    try:
        request = source.parse(event, context, options)
    except Exception:
        request = None
    return request if request is not None else source.fallback_request(event, context)
