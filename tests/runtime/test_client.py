"""The Runtime API client and the response stream, in this process: against the local Runtime API,
and against a bare socket server where the point is what a server may do on the wire (drop an idle
keep-alive, answer chunked)."""

from __future__ import annotations

import json
import socket
import threading
from typing import Any, Callable

import pytest

from lz.cli.local.runtime_api import RuntimeAPI
from lz.runtime import loop, stream
from lz.runtime.client import RuntimeAPIError, RuntimeClient


@pytest.fixture
def api() -> Any:
    server = RuntimeAPI("client-test").start()
    yield server
    server.close()


def _serve_in_thread(api: RuntimeAPI, handler: Callable[[Any, Any], Any], streaming: bool = True) -> None:
    """lz's loop in a thread of this process (it ends when the Runtime API closes)."""
    def run() -> None:
        try:
            loop.run(RuntimeClient(api.address), handler, streaming=streaming)
        except (RuntimeAPIError, OSError):
            pass

    threading.Thread(target=run, daemon=True).start()


def test_next_and_response_on_one_connection(api: RuntimeAPI) -> None:
    _serve_in_thread(api, lambda event, context: {"got": event, "id": context.aws_request_id})
    outcomes = [api.invoke({"n": i}, 10) for i in range(20)]
    assert [o.payload["got"] for o in outcomes] == [{"n": i} for i in range(20)]
    assert all(o.payload["id"] == o.request_id for o in outcomes)
    assert api.connections == 1


def test_a_stream_past_the_limit_ends_with_the_limit_error(api: RuntimeAPI, monkeypatch) -> None:
    """Lambda takes up to 200 MB of streamed body ("Response streaming for Lambda functions",
    Lambda guide: https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html);
    the limit is made small here to see what happens at it."""
    assert stream.LIMIT == 200 * 1024 * 1024
    monkeypatch.setattr(stream, "LIMIT", 100)
    stopped = {}

    def handler(event: Any, context: Any) -> None:
        out = context.lz_stream({"statusCode": 200})
        out.write(b"x" * 60)
        try:
            out.write(b"y" * 60)
        except stream.StreamLimitExceeded as exc:
            stopped["message"] = str(exc)
            raise

    _serve_in_thread(api, handler)
    outcome = api.invoke({"requestContext": {}}, 10)
    assert outcome.streamed and outcome.kind == "error"
    assert outcome.error_type == "StreamLimitExceeded"
    assert "limit for streamed responses" in stopped["message"]
    assert outcome.stream.collected == [b"x" * 60]


def test_the_prelude_and_the_trailers_on_the_wire(api: RuntimeAPI) -> None:
    def handler(event: Any, context: Any) -> None:
        out = context.lz_stream({"statusCode": 404, "headers": {"x": "1"}})
        out.write(b"partial")
        raise KeyError("gone")

    _serve_in_thread(api, handler)
    outcome = api.invoke({"requestContext": {}}, 10)
    body = outcome.stream
    assert body.http and body.prelude == {"statusCode": 404, "headers": {"x": "1"}}
    assert body.trailers["lambda-runtime-function-error-type"] == "KeyError"
    assert outcome.payload["errorMessage"] == "'gone'" and outcome.payload["requestId"] == outcome.request_id
    assert body.collected == [b"partial"]


def test_a_second_stream_in_one_invocation_is_refused(api: RuntimeAPI) -> None:
    def handler(event: Any, context: Any) -> None:
        context.lz_stream({"statusCode": 200}).write(b"one")
        context.lz_stream({"statusCode": 200})

    _serve_in_thread(api, handler)
    outcome = api.invoke({"requestContext": {}}, 10)
    assert outcome.kind == "error" and "already started" in outcome.payload["errorMessage"]
    assert outcome.stream.collected == [b"one"]


class _OneShotServer:
    """Answers each connection's first request with `answer`, then closes the connection."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.accepted = 0
        threading.Thread(target=self._run, daemon=True).start()

    @property
    def address(self) -> str:
        return "127.0.0.1:%d" % self.sock.getsockname()[1]

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                conn.sendall(self.answer)


NEXT = (b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r-1\r\nLambda-Runtime-Deadline-Ms: 5\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4\r\n{\"a\"\r\n3\r\n: 1\r\n1\r\n}\r\n0\r\n\r\n")


def test_a_dropped_keep_alive_is_reopened_and_chunked_bodies_are_read() -> None:
    server = _OneShotServer(NEXT)
    client = RuntimeClient(server.address)
    first = client.next()
    second = client.next()  # the server closed the first connection: a new one, transparently
    assert json.loads(first.body) == json.loads(second.body) == {"a": 1}
    assert first.request_id == "r-1" and first.deadline_ms == 5
    assert server.accepted == 2 and client.conn.opened == 2
    server.sock.close()


def test_an_unexpected_status_is_an_error_naming_it() -> None:
    server = _OneShotServer(b"HTTP/1.1 500 Oops\r\nContent-Length: 7\r\n\r\nbroken!")
    with pytest.raises(RuntimeAPIError, match="answered /invocation/next with 500: broken!"):
        RuntimeClient(server.address).next()
    server.sock.close()
