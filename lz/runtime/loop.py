"""The invocation loop: next -> handler -> response (or error), forever, on one connection.

Per invocation it does what awslambdaric does, in the same order: the request id goes to every log
record, _X_AMZN_TRACE_ID is set (or removed), the context is built from the headers, the event is
decoded (JSON, or the raw bytes of another content type), the handler runs, and its result is
encoded as awslambdaric encodes it (bytes as they are, anything else as JSON). A handler exception
is posted to /error in Lambda's {errorMessage, errorType, requestId, stackTrace} shape, with the
Lambda-Runtime-Function-Error-Type header, and logged as one event; the process keeps serving.

On a streaming stage an HTTP invocation's context carries `lz_stream` (see stream.py): a response
the handler streamed is finished here, an exception after its first byte goes into its trailers,
and a whole proxy result is sent as a stream too, since the front expects one.
"""

from __future__ import annotations

import os
import sys

from . import logs
from .context import LambdaContext

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    from .client import RuntimeClient


def _default(value: Any) -> Any:
    """JSON for what the handler may return beyond plain types: a Decimal (DynamoDB's numbers)
    as a number, as the managed runtime's encoder writes it."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        if value.is_nan():
            return float("nan")
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _header_json(text: str, what: str) -> Any:
    import json

    from .errors import CONTEXT_UNMARSHAL, Fault

    try:
        return json.loads(text)
    except ValueError as exc:
        raise Fault(CONTEXT_UNMARSHAL, f"Unable to parse {what} JSON: {exc}") from None


def run(client: RuntimeClient, handler: Callable[[Any, Any], Any], streaming: bool = False) -> None:
    """Serve invocations until the process ends (Lambda freezes and ends it; never returns)."""
    from json import JSONEncoder, loads

    # The managed runtime writes non-ASCII text as is from Python 3.12 on, escaped before.
    encode = JSONEncoder(ensure_ascii=sys.version_info < (3, 12), allow_nan=True,
                         default=_default).encode
    trace_env = _TraceEnv()
    next_invocation = client.next
    respond = client.respond
    conn = client.conn
    slot_class: Any = None
    if streaming:
        from .stream import StreamSlot

        slot_class = StreamSlot
    while True:
        invocation = next_invocation()
        request_id = invocation.request_id
        logs.request_id = request_id
        logs.tenant_id = invocation.tenant_id
        trace_env.set(invocation.trace_id)
        slot = None
        try:
            client_context = invocation.client_context
            identity = invocation.identity
            context = LambdaContext(
                request_id, invocation.deadline_ms, invocation.function_arn,
                _header_json(client_context, "Client Context") if client_context else None,
                _header_json(identity, "Cognito Identity") if identity else None,
                invocation.tenant_id,
            )
            if invocation.content_type == "application/json":
                try:
                    event = loads(invocation.body)
                except ValueError as exc:
                    from .errors import UNMARSHAL, Fault

                    raise Fault(UNMARSHAL, f"Unable to unmarshal input: {exc}") from None
            else:
                event = invocation.body
            if slot_class is not None and type(event) is dict and "requestContext" in event:
                slot = context.lz_stream = slot_class(conn, request_id)
            result = handler(event, context)
            if slot is not None and _streamed(slot, result):
                continue
            if type(result) is bytes:
                body, content_type = result, "application/unknown"
            else:
                try:
                    body = encode(result).encode("utf-8")
                except (TypeError, ValueError, RecursionError) as exc:
                    from .errors import MARSHAL, Fault

                    raise Fault(MARSHAL, f"Unable to marshal response: {exc}") from None
                content_type = "application/json"
        except Exception as exc:
            if slot is not None and slot.stream is not None:
                _fail_stream(slot, exc)
            else:
                _report(client, request_id, exc)
            continue
        try:
            respond(request_id, body, content_type)
        except Exception as exc:  # noqa: BLE001 - e.g. 413: Lambda has failed the invocation itself
            _lost(request_id, exc)


class _TraceEnv:
    """_X_AMZN_TRACE_ID in os.environ, set for each invocation (removed when one has none).

    os.environ[...] = value would also call setenv(), and glibc keeps every value it was ever
    given (it cannot know who still points at the old one): with a new trace id per invocation
    that is ~100 bytes a request for the life of the execution environment, awslambdaric's loop
    included. So the value goes into os.environ's own mapping, which is what Python code reads
    (os.environ, os.getenv: the X-Ray SDK, OpenTelemetry, boto3); a subprocess gets it when
    started with env=os.environ. Where the mapping is not CPython's, plain assignment."""

    KEY = "_X_AMZN_TRACE_ID"

    def __init__(self) -> None:
        environ = os.environ
        data = getattr(environ, "_data", None)
        encode = getattr(environ, "encodekey", None)
        encode_value = getattr(environ, "encodevalue", None)
        self.direct = type(data) is dict and encode is not None and encode_value is not None
        if self.direct:
            self.data, self.key, self.encode = data, encode(self.KEY), encode_value
            if self.key in data:  # set before this process started: take it back out of the C env
                os.unsetenv(self.KEY)

    def set(self, trace: str | None) -> None:
        if self.direct:
            if trace is not None:
                self.data[self.key] = self.encode(trace)
            else:
                self.data.pop(self.key, None)
        elif trace is not None:
            os.environ[self.KEY] = trace
        else:
            os.environ.pop(self.KEY, None)


def _streamed(slot: Any, result: Any) -> bool:
    """Finish what the handler streamed, or stream a whole proxy result; False: post `result`."""
    from .stream import prelude_of

    stream = slot.stream
    try:
        if stream is None:
            if type(result) is not dict or "statusCode" not in result:
                return False
            prelude, body = prelude_of(result)
            stream = slot(prelude)
            stream.write(body)
        stream.close()
    except Exception as exc:  # noqa: BLE001 - the stream is started: trailers, never a 2nd answer
        _fail_stream(slot, exc)
    return True


def _fail_stream(slot: Any, exc: BaseException) -> None:
    """An exception after the stream started: logged with the request id, then the trailers."""
    from .errors import describe, log_lines
    from .stream import ClientDisconnected

    if isinstance(exc, ClientDisconnected) and slot.stream.done:  # nobody left to tell
        logs.write(f"lz: the client went away before the response was complete "
                   f"(request_id={slot.request_id}, {slot.stream.sent:,} bytes sent)\n")
        return
    body, _ = describe(exc, slot.request_id)
    logs.write(f"lz: the streamed response of request {slot.request_id} failed after "
               f"{slot.stream.sent:,} bytes of body; the error goes into its trailers\n")
    logs.error(log_lines(body))
    try:
        slot.stream.fail(body)
    except ClientDisconnected:
        pass
    except Exception as err:  # noqa: BLE001
        _lost(slot.request_id, err)


def _report(client: RuntimeClient, request_id: str, exc: BaseException) -> None:
    from .errors import describe, encode, log_lines

    body, xray = describe(exc, request_id)
    logs.error(log_lines(body))
    try:
        client.error(request_id, encode(body), body["errorType"], xray)
    except Exception as err:  # noqa: BLE001
        _lost(request_id, err)


def _lost(request_id: str, exc: BaseException) -> None:
    logs.write(f"lz: the Runtime API did not take the result of request {request_id}: {exc}; "
               "serving the next invocation\n")
