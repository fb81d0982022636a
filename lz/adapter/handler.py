"""The call flow every front end shares: detect the source, parse, run the app, encode, and turn
every failure on the way into an answer in the source's own shape (never an unhandled exception)."""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any, Callable

import sys
from time import perf_counter as _clock

from .codec import PayloadTooLarge
from .events import AppError, BadRequest, Options, Request, Response, Source, UnknownEvent, detect
from .log import CENTS, HEADS, MS, NUMBERS, STATUSES, event_line, log, quote, request_id, request_line

_TEXT = [("Content-Type", "text/plain; charset=utf-8")]


def error_response(status: int, message: str) -> Response:
    return Response(status, list(_TEXT), message.encode())


class Adapter:
    """Base of WSGIAdapter and ASGIAdapter; subclasses provide `run(request) -> Response`."""

    def __init__(
        self,
        app: Callable[..., Any],
        *,
        base_path: str | None = None,
        text_mime_types: tuple[str, ...] | list[str] = (),
        strip_stage: bool = True,
        forwarded_host: str | None = None,
    ) -> None:
        self.app = app
        self.options = Options(base_path, text_mime_types, strip_stage, forwarded_host)
        self.source: Source | None = None  # the source of the last event

    def run(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def stream(self, request: Request, out: Any) -> Response | None:
        """Run the app for a response that may stream through `out` (streaming.Outgoing): None
        once it has, or a whole Response. Front ends that cannot stream answer whole."""
        return self.run(request)

    def __call__(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        options = self.options
        start = _clock() if options.request_line else 0
        # A function is nearly always invoked by one front: ask its source first, directly.
        source = self.source
        if source is None or type(event) is not dict or not (source.checks_shape or source.matches(event)):
            source = self.source = detect(event)
        try:
            request = source.parse(event, context, options)
            if request is None:  # a source that checks_shape, given another source's event
                source = self.source = detect(event)
                request = source.parse(event, context, options)
        except BadRequest as exc:
            return self._logged(start, event, context, self._fail(
                source, event, context, 400, "Bad Request", str(exc)))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return self._logged(start, event, context, self._fail(
                source, event, context, 400, "Bad Request", f"malformed {source.name} event: {exc!r}"))
        if source.streams and context is not None:
            opener = getattr(context, "lz_stream", None)  # a streaming stage's HTTP invocation
            if opener is not None:
                return self._logged(start, event, context, self._streamed(source, request, opener))
        try:
            response = self.run(request)
        except BaseException as exc:  # SystemExit, KeyboardInterrupt, CancelledError too
            response = _app_failure(exc, request)
        try:
            result = source.encode(response, request, options)
        except Exception as exc:
            result = _encode_failure(exc, source, request, options)
        if start:
            # The request line, from what was parsed and encoded: the method the app was given,
            # the path as the front delivered it, the status sent. Every piece comes from a table
            # or the C escaper; anything unusual (a method or status not in the tables, a path
            # that is not text, no request id) raises here and is written the careful way.
            # Under 10 ms the milliseconds are one table entry, under a second two: the same few
            # instructions whatever the duration, so that instruction counts (bench/) repeat.
            cents = int((_clock() - start) * 100000.0 + 0.5)
            try:
                line = (f'{HEADS[request.method]}{quote(event[source.path_key])}'
                        f'{STATUSES[result["statusCode"]]}'
                        f'{MS[cents] if cents < 1000 else NUMBERS[cents // 100] + "." + CENTS[cents % 100]}'
                        f',"request_id":{quote(context.aws_request_id)}}}\n')
            except (KeyError, IndexError, TypeError, AttributeError):
                line = request_line(request.method, event.get(source.path_key), result.get("statusCode"),
                                    _clock() - start, request_id(context))
            sys.stdout.write(line)
        return result

    def _logged(self, start: int, event: dict[str, Any], context: Any, result: Any) -> Any:
        """`result`, after writing its request line (when they are on) from the event itself."""
        if start:
            sys.stdout.write(event_line(event, result, _clock() - start, context))
        return result

    def _streamed(self, source: Source, request: Request, opener: Any) -> dict[str, Any]:
        """The streaming path of __call__: the app's response goes out through `opener` as it
        comes; failures before the first byte are answered as in __call__, after it in the
        stream's trailers (see streaming.py)."""
        from .streaming import ClientGone, Outgoing

        out = Outgoing(opener, source, request, self.options)
        try:
            response = self.stream(request, out)
        except BaseException as exc:  # SystemExit, CancelledError too: answered, never fatal
            if out.stream is not None:
                out.failed(exc)
                return out.result()
            response = _app_failure(exc, request)
        if response is None:
            return out.result()
        try:
            try:
                out.whole(response)
            except AppError as exc:  # header pairs found bad while making the prelude
                log().error("lz: invalid response from the app (request_id=%s, %s %s): %s",
                            request_id(request.context), request.method, request.path, exc)
                out.whole(error_response(500, "Internal Server Error"))
        except ClientGone:
            out.left()
        return out.result()

    def _fail(
        self, source: Source, event: dict[str, Any], context: Any, status: int, title: str,
        detail: str,
    ) -> dict[str, Any]:
        log().warning("lz: %s (request_id=%s)", detail, request_id(context))
        request = source.fallback_request(event, context)
        return source.encode(error_response(status, f"{title}: {detail}"), request, self.options)


def _app_failure(exc: BaseException, request: Request) -> Response:
    """The answer to an app that failed (before its response began, when it streams): a 500,
    logged with the request id, method and path. A BaseException (SystemExit,
    KeyboardInterrupt, CancelledError) too: raised on, it would end the runtime process and make
    the next request a cold start; a server answers 500 and keeps serving, and so does lz (as
    Mangum does)."""
    where = (request_id(request.context), request.method, request.path)
    if isinstance(exc, AppError):
        log().error("lz: invalid response from the app (request_id=%s, %s %s): %s", *where, exc)
    elif isinstance(exc, Exception):
        log().error("lz: unhandled exception in the app (request_id=%s, %s %s)", *where, exc_info=exc)
    else:
        log().error("lz: the app raised %s (request_id=%s, %s %s); answered 500 and kept the "
                    "execution environment", type(exc).__name__, *where, exc_info=exc)
    return error_response(500, "Internal Server Error")


def _encode_failure(exc: Exception, source: Source, request: Request, options: Options) -> Any:
    """The result when encoding the app's response failed: header pairs that are not (str, str)
    (AppError, found while encoding them) a 500, a result over the front's limit a 502 naming
    it, anything else a 500; each logged with the request id, method and path."""
    where = (request_id(request.context), request.method, request.path)
    if isinstance(exc, AppError):
        log().error("lz: invalid response from the app (request_id=%s, %s %s): %s", *where, exc)
        response = error_response(500, "Internal Server Error")
    elif isinstance(exc, PayloadTooLarge):
        log().error("lz: %s (request_id=%s, %s %s); answered 502 instead. Return less, or serve "
                    "big files from S3 with a presigned URL.", exc, *where)
        response = error_response(
            502, f"Bad Gateway: the {exc.what} limit was exceeded ({exc.size:,} bytes).")
    else:
        log().error("lz: could not encode the app's response (request_id=%s, %s %s)", *where,
                    exc_info=exc)
        response = error_response(500, "Internal Server Error")
    return source.encode(response, request, options)


__all__ = ["Adapter", "AppError", "UnknownEvent", "error_response"]
