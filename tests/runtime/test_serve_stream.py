"""`lz serve` of a streaming stage ("stream": true behind a Function URL), as a user runs it, with a
real HTTP client: chunks arrive as the app yields them (chunked transfer encoding), server-sent
events one by one, a client that leaves stops the app, an error after the first byte cuts the body
off (a client of a streaming Function URL sees the same: the status has gone already)."""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path

import pytest

from tests.cli.conftest import make_project
from tests.cli.serve_support import Server

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("runtime-serve")]

FLASK = '''
import os, time
from flask import Flask, Response, stream_with_context

app = Flask(__name__)
MARKS = os.environ["MARKS"]


@app.get("/ticks")
def ticks():
    def generate():
        for i in range(5):
            yield "tick %d %.6f\\n" % (i, time.time())
            time.sleep(0.2)
    return Response(stream_with_context(generate()), mimetype="text/plain")


@app.get("/forever")
def forever():
    def generate():
        try:
            for i in range(100000):
                yield "line %d\\n" % i
                time.sleep(0.05)
        finally:
            open(os.path.join(MARKS, "closed"), "w").write("closed")
    return Response(generate(), mimetype="text/plain")


@app.get("/broken")
def broken():
    def generate():
        yield "first\\n"
        raise RuntimeError("the upstream went away")
    return Response(generate(), mimetype="text/plain")


@app.get("/plain")
def plain():
    return {"whole": True}
'''

FASTAPI = '''
import asyncio, os
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

app = FastAPI()
MARKS = os.environ["MARKS"]


@app.get("/events")
async def events():
    async def generate():
        for i in range(5):
            yield "event: tick\\ndata: %d\\n\\n" % i
            await asyncio.sleep(0.15)
    return StreamingResponse(generate(), media_type="text/event-stream")


async def listening(scope, receive, send):
    """A raw ASGI app that streams until it hears http.disconnect."""
    await receive()
    heard = asyncio.Event()

    async def listen():
        message = await receive()
        with open(os.path.join(MARKS, "heard"), "w") as f:
            f.write(message["type"])
        heard.set()

    listener = asyncio.ensure_future(listen())
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/event-stream")]})
    try:
        for i in range(100000):
            await send({"type": "http.response.body", "body": b"data: %d\\n\\n" % i, "more_body": True})
            await asyncio.sleep(0.05)
    except OSError:
        await asyncio.wait_for(heard.wait(), 5)
    finally:
        listener.cancel()

app.mount("/raw", listening)
'''


def _serve(tmp_path: Path, source: str, marks: Path) -> Server:
    project = make_project(tmp_path, {"dev": {"app": "app:app", "http": "function_url", "stream": True,
                                              "environment": {"MARKS": str(marks)}}},
                           {"app.py": source})
    server = Server(["dev", "--project", str(project), "--no-reload"])
    assert server.wait_for_output("responses streamed"), server.output
    return server


def _get(server: Server, path: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    conn.request("GET", path)
    return conn.getresponse()


@pytest.fixture(scope="module")
def flask_server(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("flask-stream")
    marks = tmp / "marks"
    marks.mkdir()
    server = _serve(tmp, FLASK, marks)
    yield server, marks
    server.stop()


@pytest.fixture(scope="module")
def fastapi_server(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("fastapi-stream")
    marks = tmp / "marks"
    marks.mkdir()
    server = _serve(tmp, FASTAPI, marks)
    yield server, marks
    server.stop()


def test_a_generator_reaches_the_client_as_it_yields(flask_server) -> None:
    server, _ = flask_server
    response = _get(server, "/ticks")
    assert response.status == 200 and response.getheader("Transfer-Encoding") == "chunked"
    arrivals = []
    while line := response.readline():
        arrivals.append((time.time(), line.decode()))
    assert [text.split()[1] for _, text in arrivals] == ["0", "1", "2", "3", "4"]
    last_produced = float(arrivals[-1][1].split()[2])
    assert arrivals[0][0] < last_produced - 0.5  # tick 0 was here while the app still worked


def test_a_whole_answer_still_works(flask_server) -> None:
    server, _ = flask_server
    response = _get(server, "/plain")
    assert response.status == 200 and json.loads(response.read()) == {"whole": True}


def test_a_client_that_leaves_stops_the_generator(flask_server) -> None:
    server, marks = flask_server
    response = _get(server, "/forever")
    for _ in range(3):
        assert response.readline().startswith(b"line ")
    response.close()  # the client goes away mid-stream
    deadline = time.monotonic() + 15
    mark = marks / "closed"

    def closed() -> str:  # the app creates the file, then writes it: wait for the text itself
        return mark.read_text() if mark.exists() else ""

    while closed() != "closed" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert closed() == "closed"


def test_an_error_after_the_first_byte_cuts_the_body_off(flask_server) -> None:
    server, _ = flask_server
    response = _get(server, "/broken")
    assert response.status == 200
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    assert cut.value.partial == b"first\n"
    assert server.wait_for_output("the upstream went away"), server.output


def test_server_sent_events_are_parsed_one_by_one(fastapi_server) -> None:
    server, _ = fastapi_server
    response = _get(server, "/events")
    assert response.getheader("Content-Type").startswith("text/event-stream")
    events, fields = [], {}
    while line := response.readline():  # an SSE client: fields until a blank line, then dispatch
        line = line.decode().rstrip("\n")
        if not line:
            events.append((time.monotonic(), fields))
            fields = {}
            continue
        name, _, value = line.partition(": ")
        fields[name] = value
    assert [f["data"] for _, f in events] == ["0", "1", "2", "3", "4"]
    assert all(f["event"] == "tick" for _, f in events)
    assert events[-1][0] - events[0][0] > 0.4  # they came as they were sent


def test_an_asgi_app_hears_http_disconnect_when_the_client_leaves(fastapi_server) -> None:
    server, marks = fastapi_server
    response = _get(server, "/raw/")
    for _ in range(3):
        assert response.readline().startswith(b"data: ")
        response.readline()
    response.close()
    deadline = time.monotonic() + 15
    while not (marks / "heard").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (marks / "heard").read_text() == "http.disconnect"
