"""`lz serve` of a streaming stage: the function's streamed response goes to the HTTP client as it
is produced (chunked transfer encoding), so a browser sees server-sent events as they come.

In process, the handler's context carries `lz_stream` (a LocalSlot) with the protocol lz's runtime
loop gives it on Lambda (lz/runtime/stream.py): call it with the prelude, `write()` chunks,
`close()`, or `fail()` after the first byte. The chunks go through a small queue to the werkzeug
response; a client that goes away makes the next `write()` raise ClientDisconnected, as on Lambda.
With `--bundle`, the local Runtime API hands the chunks out as the function sends them
(runner.StreamedInvocation).

An error after the first byte cannot change the status any more: the chunked body is cut off
without its last chunk, so the client sees a broken response (what a Function URL's client sees),
and the error is printed.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from typing import Any, Callable, Iterator

from lz.runtime.stream import ClientDisconnected

_END = object()
_BACKLOG = 64  # chunks waiting for a slow client before the app's write() waits too


def _say(message: str) -> None:
    print(f"lz serve: {message}", file=sys.stderr, flush=True)


class StreamedResult:
    """What a handler answers when its response streams: the prelude and the body's chunks."""

    def __init__(self, prelude: dict[str, Any], chunks: Iterator[bytes], on_close: Callable[[], None]):
        self.prelude = prelude
        self.chunks = chunks
        self.on_close = on_close

    def http(self) -> tuple[int, list[tuple[str, str]]]:
        """(status, header pairs) as the front sends them: headers, multiValueHeaders, cookies."""
        prelude = self.prelude
        status = prelude.get("statusCode", 200)
        headers: list[tuple[str, str]] = []
        for name, values in (prelude.get("multiValueHeaders") or {}).items():
            headers.extend((name, str(v)) for v in values)
        for name, value in (prelude.get("headers") or {}).items():
            headers.append((name, str(value)))
        headers.extend(("Set-Cookie", str(c)) for c in prelude.get("cookies") or ())
        return (status if isinstance(status, int) else 502), headers

    def body(self) -> Iterator[bytes]:
        """The body for werkzeug; closing it (the client went away) tells the producer."""
        try:
            yield from self.chunks
        finally:
            self.on_close()


class LocalStream:
    """One streamed response of an in-process handler."""

    def __init__(self, slot: LocalSlot) -> None:
        self.slot = slot
        self.sent = 0
        self.done = False
        self.error: dict[str, Any] | None = None

    def write(self, data: bytes) -> None:
        if self.slot.gone.is_set() or self.done:
            self.done = True
            raise ClientDisconnected("the client went away")
        if not data:
            return
        self.sent += len(data)
        while True:
            try:
                self.slot.pipe.put(bytes(data), timeout=0.1)
                return
            except queue.Full:
                if self.slot.gone.is_set():
                    self.done = True
                    raise ClientDisconnected("the client went away") from None

    def close(self) -> None:
        if not self.done:
            self.done = True
            self.slot.pipe.put(_END)

    def fail(self, error: dict[str, Any]) -> None:
        if not self.done:
            self.error = error
            self.done = True
            self.slot.pipe.put(_END)


class LocalSlot:
    """`context.lz_stream` in process: the handler calls it to start streaming."""

    def __init__(self) -> None:
        self.pipe: queue.Queue[Any] = queue.Queue(_BACKLOG)
        self.started = threading.Event()
        self.gone = threading.Event()  # the client went away
        self.stream: LocalStream | None = None
        self.prelude: dict[str, Any] = {}

    def __call__(self, prelude: dict[str, Any]) -> LocalStream:
        if self.stream is not None:
            raise RuntimeError("this invocation's response stream was already started")
        self.prelude = dict(prelude)
        self.stream = LocalStream(self)
        self.started.set()
        return self.stream

    def chunks(self, deadline: float, what: str) -> Iterator[bytes]:
        """The body as the handler writes it, until it ends or the stage's timeout passes."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                _say(f"{what}: the stream was still open at the stage's \"timeout\": cut off, as "
                     "Lambda ends the invocation there")
                self.gone.set()
                raise TimeoutError("the function timed out mid-stream")
            try:
                item = self.pipe.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            if item is _END:
                stream = self.stream
                if stream is not None and stream.error is not None:
                    _say(f"{what}: the function raised after the first byte: "
                         f"{stream.error.get('errorType')}: {stream.error.get('errorMessage')} "
                         "(the client gets a cut-off body, as from Lambda)")
                    raise RuntimeError("the function failed mid-stream")
                return
            yield item


def stream_in_process(handler: Callable[[dict, Any], Any], event: dict, context: Any,
                      timeout: float, what: str) -> Any:
    """Run `handler` with a LocalSlot on its context, in a thread of its own: a StreamedResult as
    soon as it starts streaming, else its whole result (or a 502 past `timeout`)."""
    slot = LocalSlot()
    context.lz_stream = slot
    finished = threading.Event()
    outcome: list[Any] = []
    deadline = time.monotonic() + timeout

    def work() -> None:
        try:
            result = handler(event, context)
            if slot.stream is not None:
                slot.stream.close()
            outcome.append(("result", result))
        except BaseException as exc:  # noqa: BLE001 - reported below, the server goes on
            if slot.stream is not None and not slot.stream.done:
                slot.stream.fail({"errorType": type(exc).__name__, "errorMessage": str(exc)})
            outcome.append(("error", exc))
        finally:
            finished.set()
            slot.started.set()

    threading.Thread(target=work, daemon=True, name=f"lz-stream-{context.aws_request_id[:8]}").start()
    slot.started.wait(timeout)
    if slot.stream is not None:
        return StreamedResult(slot.prelude, slot.chunks(deadline, what), slot.gone.set)
    if not finished.is_set():
        _say(f"{what}: timed out after {timeout:g} s (the stage's \"timeout\"): answered 502")
        return {"statusCode": 502, "headers": {"Content-Type": "text/plain; charset=utf-8"},
                "body": f"Bad Gateway: the function timed out after {timeout:g} s\n"}
    kind, value = outcome[0]
    if kind == "error":
        _say(f"{what}: the function raised {type(value).__name__}: {value}; answered 502")
        return {"statusCode": 502, "headers": {"Content-Type": "text/plain; charset=utf-8"},
                "body": f"Bad Gateway: the function raised {type(value).__name__}: {value}\n"}
    return value


def stream_from_bundle(invocation: Any, what: str, done: Callable[[], None]) -> Any:
    """A StreamedResult for a bundle's streamed response (runner.StreamedInvocation), or None
    when the function answered without streaming (then `invocation.finish()` has the answer).
    `done()` runs once the invocation is over, however the client left."""
    if not invocation.wait_started():
        return None

    def chunks() -> Iterator[bytes]:
        complete = False
        try:
            yield from invocation.chunks()
            complete = True
        finally:
            if not complete:
                invocation.close()  # the client went away: the function's next write fails
            ended = invocation.finish()
            for line in ended.log:
                print(line, file=sys.stderr, flush=True)
            done()
        stream = ended.outcome.stream
        if not ended.ok and not (stream is not None and stream.disconnected):
            _say(f"{what}: the function {ended.describe()} after the first byte (the client gets a "
                 "cut-off body, as from Lambda)")
            raise RuntimeError("the function failed mid-stream")

    return StreamedResult(invocation.prelude, chunks(), lambda: None)
