"""The adapter's logger, created on first use so that `logging` is not imported on a cold start
that never logs (on Lambda the runtime has usually imported it already; locally it costs ~5 ms),
and the request line: one JSON object a request on stdout, which `lz tail` folds (cli/tail/fold.py).

    {"lz":"request","method":"GET","path":"/items","status":200,"ms":1.25,"request_id":"..."}

The adapter writes it itself when `Options.request_line` is on (the runtime's Dispatcher turns it
on, see runtime/dispatch.py), from the method it parsed and the status it encoded: the line costs a
format string and JSON's C string escaper, not a second reading of the event.
"""

from __future__ import annotations

# The C string escaper json.dumps itself uses (json.encoder would import `re`); on Lambda both
# runtimes have loaded it already, to read the event.
from _json import encode_basestring_ascii as quote

TYPE_CHECKING = False  # importing typing costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any

_logger: Any = None


def log() -> Any:
    global _logger
    if _logger is None:
        import logging

        _logger = logging.getLogger("lz")
    return _logger


def request_id(context: Any) -> str:
    """The Lambda request id, for every error line (so a log search finds the request)."""
    rid = getattr(context, "aws_request_id", None)
    return rid if isinstance(rid, str) else "-"


# The line's pieces that recur, as ready text: a table lookup costs less than formatting a number
# or calling the escaper, and each piece carries the constant text around it, so the hot path
# joins five pieces, not eleven. The line's head for each method clients send (method quoted);
# each status code with the keys around it; the milliseconds of a request under 10 ms, two
# decimals, and for one under a second its whole milliseconds and hundredths (round() and a
# float's repr() both run the shortest-digits algorithm, which cost more than the rest of the
# line). Anything past a table is written by request_line().
HEADS = {m: f'{{"lz":"request","method":{quote(m)},"path":'
         for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")}
STATUSES = {code: f',"status":{code},"ms":' for code in range(100, 600)}
CENTS = tuple(f"{i:02d}" for i in range(100))
NUMBERS = tuple(str(i) for i in range(1000))
MS = tuple(f"{i}.{c}" for i in range(10) for c in CENTS)


def milliseconds(seconds: float) -> str:
    """`seconds` as milliseconds with two decimals ("1.25"), rounded half up."""
    cents = int(seconds * 100000.0 + 0.5)
    return f"{cents // 100}.{CENTS[cents % 100]}"


def request_line(method: Any, path: Any, status: Any, seconds: float, rid: Any) -> str:
    """The line for any values at all: text is escaped by the same C code as the hot path's,
    anything else is what json.dumps writes for it (repr() of what JSON cannot hold), so `lz tail`
    can always read the line back."""
    from json import dumps

    def field(value: Any) -> str:
        if type(value) is str:
            return quote(value)
        return dumps(value, separators=(",", ":"), default=repr)

    return (f'{{"lz":"request","method":{field(method)},"path":{field(path)},"status":{field(status)},'
            f'"ms":{milliseconds(seconds)},"request_id":{field(rid)}}}\n')


def event_line(event: Any, result: Any, seconds: float, context: Any) -> str:
    """The line of an event the adapter could not parse (answered 400), of a streamed response,
    or of any other handler: every field read defensively from the event, which is untrusted."""
    ctx = event.get("requestContext") if type(event) is dict else None
    http_ctx = ctx.get("http") if type(ctx) is dict else None
    if type(http_ctx) is dict:
        method, path = http_ctx.get("method"), event.get("rawPath")
    elif type(event) is dict:
        method, path = event.get("httpMethod"), event.get("path")
    else:
        method = path = None
    status = result.get("statusCode") if type(result) is dict else None
    return request_line(method, path, status, seconds, request_id(context))
