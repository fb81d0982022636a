"""Streamed responses end to end: a function on lz's loop (started through the exec wrapper, with
LZ_STREAM=1 as a streaming stage has it) streams through the local Runtime API to a reader that
takes each chunk as it arrives.

The wire format is Lambda's for streamed HTTP responses: `Lambda-Runtime-Function-Response-Mode:
streaming`, chunked, content type application/vnd.awslambda.http-integration-response, a JSON
prelude, 8 NUL bytes, the body; an error after the first byte in the trailers ("Building a custom
runtime", section "Implementing response streaming in a custom runtime", Lambda guide:
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming;
the prelude's fields: "Set up a Lambda proxy integration with payload response streaming in API
Gateway": https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from lz.cli.local.runner import LocalFunction
from tests.cli.conftest import need_python
from tests.runtime.support import LZ_LOOP, runtime_zip

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("runtime-stream")]

STREAMER = r'''
import hashlib, os, time

HTTP = {"requestContext": {}}


def chunk(i):
    return hashlib.sha256(b"%d" % i).digest() * 2048  # 64 KiB


def handler(event, context):
    what = event.get("do")
    open_stream = context.lz_stream
    if what == "task":
        return {"ran": True, "could_stream": open_stream is not None}
    if what == "whole" or open_stream is None:
        return {"statusCode": 201, "headers": {"content-type": "text/plain"},
                "cookies": ["a=1", "b=2"], "body": "made whole", "isBase64Encoded": False}
    stream = open_stream({"statusCode": 200, "headers": {"content-type": event.get("type", "text/plain")},
                          "cookies": ["seen=1"]})
    if what == "slow":
        for i in range(5):
            stream.write(b"tick %d %.6f\n" % (i, time.time()))
            time.sleep(0.2)
    elif what == "sse":
        for i in range(6):
            stream.write(b"event: n\ndata: %d\n\n" % i)
            time.sleep(0.1)
    elif what == "big":
        for i in range(320):
            stream.write(chunk(i))
    elif what == "disconnect":
        written = 0
        try:
            while written < 10_000:
                stream.write(b"data: %d\n\n" % written)
                written += 1
                time.sleep(0.05)
        except OSError as exc:
            with open(event["marker"], "w") as f:
                f.write("%s after %d" % (type(exc).__name__, written))
            raise
    elif what == "fail":
        stream.write(b"first ")
        stream.write(b"second ")
        raise ValueError("the database went away mid-stream")
    elif what == "empty-chunks":
        for part in (b"", b"a", b"", b"b"):
            stream.write(part)
    return None
'''


@pytest.fixture(scope="module")
def function(tmp_path_factory: pytest.TempPathFactory, lz_env) -> LocalFunction:
    bundle = runtime_zip(tmp_path_factory.mktemp("stream") / "b.zip", {"fn.py": STREAMER})
    fn = LocalFunction(bundle, "3.13", python=need_python("3.13"), handler="fn.handler", timeout=60,
                       environment={**LZ_LOOP, "LZ_STREAM": "1"})
    yield fn
    fn.close()


def _http(**event):
    return {"requestContext": {}, **event}


def test_the_first_chunk_arrives_before_the_app_finishes(function: LocalFunction) -> None:
    inv = function.invoke_stream(_http(do="slow"))
    assert inv.wait_started()
    assert inv.prelude == {"statusCode": 200, "headers": {"content-type": "text/plain"},
                           "cookies": ["seen=1"]}
    arrivals = []
    for data in inv.chunks():
        arrivals.append((time.time(), data))
    ended = inv.finish()
    assert ended.ok and ended.outcome.streamed
    ticks = [line for _, data in arrivals for line in data.decode().splitlines()]
    assert [t.split()[1] for t in ticks] == ["0", "1", "2", "3", "4"]
    written_last = float(ticks[-1].split()[2])
    first_arrival = arrivals[0][0]
    assert first_arrival < written_last - 0.5  # tick 0 was here while the app was still working


def test_server_sent_events_arrive_one_by_one(function: LocalFunction) -> None:
    inv = function.invoke_stream(_http(do="sse", type="text/event-stream"))
    assert inv.wait_started() and inv.prelude["headers"]["content-type"] == "text/event-stream"
    buffer, events = b"", []
    for data in inv.chunks():
        buffer += data
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            fields = dict(line.split(": ", 1) for line in event.decode().splitlines())
            events.append((time.perf_counter(), fields))
    assert inv.finish().ok
    assert [e["data"] for _, e in events] == ["0", "1", "2", "3", "4", "5"]
    assert all(e["event"] == "n" for _, e in events)
    assert events[-1][0] - events[0][0] > 0.3  # parsed as they came, not all at the end


def test_a_twenty_megabyte_body_arrives_intact(function: LocalFunction) -> None:
    inv = function.invoke_stream(_http(do="big"))
    assert inv.wait_started()
    digest, size = hashlib.sha256(), 0
    for data in inv.chunks():
        digest.update(data)
        size += len(data)
    assert inv.finish().ok
    expected = hashlib.sha256(b"".join(hashlib.sha256(b"%d" % i).digest() * 2048 for i in range(320)))
    assert size == 320 * 65536 and digest.hexdigest() == expected.hexdigest()


def test_a_reader_that_goes_away_stops_the_app(function: LocalFunction, tmp_path: Path) -> None:
    marker = tmp_path / "stopped"
    inv = function.invoke_stream(_http(do="disconnect", marker=str(marker)))
    assert inv.wait_started()
    starts = function.starts  # now: the function starts on its first use, whichever test that is
    for n, _ in enumerate(inv.chunks()):
        if n == 2:
            inv.close()
            break
    ended = inv.finish()
    assert ended.outcome.kind == "response" and ended.outcome.stream.disconnected
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    stopped = marker.read_text()
    assert stopped.startswith("ClientDisconnected after ")
    assert int(stopped.split()[-1]) < 100  # it stopped soon after, not at the end of its loop
    after = function.invoke({"do": "task"})  # the environment goes on serving
    assert after.ok and after.result["ran"] and function.starts == starts


def test_an_exception_mid_stream_goes_into_the_trailers(function: LocalFunction) -> None:
    inv = function.invoke_stream(_http(do="fail"))
    assert inv.wait_started()
    body = b"".join(inv.chunks())
    ended = inv.finish()
    assert body == b"first second "
    assert ended.outcome.kind == "error" and ended.outcome.error_type == "ValueError"
    assert ended.outcome.payload["errorMessage"] == "the database went away mid-stream"
    assert 'fn.py", line' in ended.outcome.payload["stackTrace"][0]
    assert ended.outcome.request_id not in function.api.late_posts  # never a second response
    assert any(f"request {ended.outcome.request_id} failed after 13 bytes" in line for line in ended.log)
    assert any("[ERROR] ValueError: the database went away mid-stream" in line for line in ended.log)
    assert function.invoke({"do": "task"}).ok


def test_empty_writes_do_not_end_the_body(function: LocalFunction) -> None:
    inv = function.invoke_stream(_http(do="empty-chunks"))
    assert inv.wait_started()
    assert b"".join(inv.chunks()) == b"ab" and inv.finish().ok


def test_a_whole_answer_on_a_streaming_stage_is_streamed(function: LocalFunction) -> None:
    inv = function.invoke_stream(_http(do="whole"))
    assert inv.wait_started()
    assert inv.prelude == {"statusCode": 201, "headers": {"content-type": "text/plain"},
                           "cookies": ["a=1", "b=2"]}
    assert b"".join(inv.chunks()) == b"made whole" and inv.finish().ok


def test_other_events_on_a_streaming_stage_are_buffered(function: LocalFunction) -> None:
    inv = function.invoke({"do": "task"})  # no requestContext: a task, a schedule, a record...
    assert inv.ok and inv.result == {"ran": True, "could_stream": False} and not inv.outcome.streamed


def test_whole_invoke_of_a_stream_gives_a_proxy_result(function: LocalFunction) -> None:
    import base64

    inv = function.invoke(_http(do="sse"))
    assert inv.ok and inv.outcome.streamed and inv.result["statusCode"] == 200
    assert base64.b64decode(inv.result["body"]).count(b"data: ") == 6
