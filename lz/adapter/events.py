"""The values that cross the adapter: one Request in, one Response out, and the source detector.

Sources turn their own event shape into a Request; the WSGI and ASGI front ends turn a Request into
an environ or a scope. Neither side knows the other, so a new event source or a new front end is one
module, not a change to every pair.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~5 ms to import; annotations are strings here anyway
if TYPE_CHECKING:
    from typing import Any, Protocol
else:
    Protocol = object

__all__ = [
    "AdapterError",
    "AppError",
    "BadRequest",
    "Options",
    "Request",
    "Response",
    "Source",
    "UnknownEvent",
    "detect",
]


class AdapterError(Exception):
    """Base class of the errors the adapter raises on purpose."""


class UnknownEvent(AdapterError):
    """The event is not an HTTP event from any source lz knows.

    Raised rather than answered with an HTTP error: with no source there is no response shape to
    answer in, and the dispatcher routes non-HTTP events (tasks, schedules, records) before this.
    """


class BadRequest(AdapterError):
    """The event came from a known source but cannot be turned into a request (answered with 400)."""


class AppError(AdapterError):
    """The app answered something that is not a valid response (says what was wrong; answered
    with 500). Raised by the front ends, and by the sources' encoders for bad header pairs."""


class Options:
    """Per-adapter settings the sources read while parsing."""

    __slots__ = ("base_path", "text_mime_types", "strip_stage", "text_cache", "request_line",
                 "forwarded_host")

    def __init__(
        self,
        base_path: str | None = None,
        text_mime_types: tuple[str, ...] | list[str] = (),
        strip_stage: bool = True,
        forwarded_host: str | None = None,
    ) -> None:
        if base_path:
            base_path = "/" + base_path.strip("/")
            if base_path == "/":
                base_path = None
        self.base_path: str | None = base_path or None
        self.text_mime_types: frozenset[str] = frozenset(t.lower() for t in text_mime_types)
        self.strip_stage: bool = strip_stage
        # The custom name a CloudFront distribution in front of a Function URL sends as
        # X-Forwarded-Host (lz deploy sets both): taken as the host only when it is exactly this.
        self.forwarded_host: str | None = forwarded_host.lower() if forwarded_host else None
        # content type -> travels as text; filled by codec.is_text, bounded there.
        self.text_cache: dict[str, bool] = {}
        # Whether the adapter writes the request line (log.py) for every HTTP event it answers:
        # turned on by the runtime's Dispatcher, so a bundle's entry has it; adapt() alone not.
        self.request_line: bool = False


class Request:
    """One HTTP request, whatever event it came in.

    `path` is still percent-encoded, exactly as the source delivered it, minus `script_name`; the
    front ends decode it once, each in the form its spec wants (latin-1 bytes for WSGI, text plus
    raw bytes for ASGI). `headers` is the event's own map, passed on untouched: each name, as
    received, to its value, or, when `multi` is true (REST and ALB multi-value events), to the list
    of its values, which the front ends join (RFC 9110; cookies with '; '). A malformed event may
    hold values that are not text; the front ends skip them.
    """

    # No __slots__: CPython 3.12+ stores a plain instance's attributes inline and specialises
    # writing them, which measured cheaper here than slot descriptors (one Request per event).

    # The principal the front's authorizer vouched for (REMOTE_USER), set by the source only when
    # there is one: reading this class default costs less than passing None to every __init__.
    user: str | None = None

    def __init__(
        self,
        method: str,
        path: str,
        script_name: str,
        query: str,
        headers: dict[str, Any],
        body: bytes,
        client: str | None,
        scheme: str,
        host: str,
        port: int,
        event: dict[str, Any],
        context: Any,
        cookie: str | None = None,
        multi: bool = False,
    ) -> None:
        self.method = method
        self.path = path
        self.script_name = script_name
        self.query = query
        self.headers = headers
        self.body = body
        self.client = client
        self.scheme = scheme
        self.host = host
        self.port = port
        self.event = event
        self.context = context
        # HTTP API 2.0: the Cookie header rebuilt from cookies[] (then not among `headers`).
        self.cookie = cookie
        self.multi = multi


class Response:
    """What the app answered: status, header pairs as it sent them, the whole body."""

    # A plain class, like Request (see there); the front ends subclass it.

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class Source(Protocol):
    """One event source: knows its event shape going in and its result shape going out."""

    name: str
    # The event's key of the path as the front delivered it (the request line names it).
    path_key: str
    # The largest JSON result this source accepts from Lambda, in bytes.
    limit: int
    # Whether its front can stream a response (a Function URL, a REST API): then `prelude` gives
    # the JSON that goes before a streamed body (statusCode and the headers in the front's shape).
    streams: bool
    # Whether parse() checks the event's shape itself, answering None for an event of another
    # source (then the adapter asks the source of its last event no matches() first).
    checks_shape: bool
    # Whether its events have the 2.0 shape (HTTP API payload 2.0, Function URL): the WSGI front
    # end then builds the environ from the event itself (wsgi_direct.py), and calls `result`, the
    # encoder given the request's method alone.
    payload_v2: bool

    def matches(self, event: dict[str, Any]) -> bool: ...

    def parse(self, event: dict[str, Any], context: Any, options: Options) -> Request | None: ...

    def encode(self, response: Response, request: Request, options: Options) -> dict[str, Any]: ...

    def fallback_request(self, event: dict[str, Any], context: Any) -> Request: ...

    def prelude(self, response: Response, request: Request, options: Options) -> dict[str, Any]: ...


def _sources() -> tuple[Source, ...]:
    # Imported here, not at module level, so that importing lz.adapter stays cheap.
    global _SOURCES
    if _SOURCES is None:
        from .sources import alb, function_url, http_v2, rest_v1

        _SOURCES = (http_v2.SOURCE, function_url.SOURCE, rest_v1.SOURCE, alb.SOURCE)
    return _SOURCES


_SOURCES: tuple[Source, ...] | None = None


def detect(event: Any) -> Source:
    """Pick the source whose shape `event` has, or raise UnknownEvent naming what was looked for.

    The sources' shapes exclude each other, so the order they are asked in does not matter; each
    adapter asks the source of its previous event first, without coming here.
    """
    if type(event) is dict or isinstance(event, dict):
        for source in _SOURCES or _sources():
            if source.matches(event):
                return source
        keys = ", ".join(sorted(map(str, event))[:12]) or "no keys"
        got = f"a dict with {keys}"
    else:
        got = f"a {type(event).__name__}"
    raise UnknownEvent(
        "not an HTTP event lz can serve: looked for API Gateway REST (httpMethod + requestContext), "
        "HTTP API 2.0 or Function URL (version 2.0 + requestContext.http), ALB "
        f"(requestContext.elb); got {got}"
    )
