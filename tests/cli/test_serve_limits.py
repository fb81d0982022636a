"""`lz serve` refuses what the emulated AWS front refuses, before the app runs: bodies over the
front's size limit or events over Lambda's payload limit (413), ambiguous request framing (400).

The figures, from AWS's pages:
- HTTP API "Payload size: 10 MB" - https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
  ("Quotas for configuring and running an HTTP API in API Gateway").
- REST API "Payload size: 10 MB" - https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html
  ("Quotas for configuring and running a REST API in API Gateway").
- Function URL, BUFFERED invoke mode: "The maximum payload size is 6 MB" -
  https://docs.aws.amazon.com/lambda/latest/api/API_FunctionUrlConfig.html ("FunctionUrlConfig").
- ALB: "The maximum size of the request body that you can send to a Lambda function is 1 MB" -
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
  ("Use Lambda functions as targets of an Application Load Balancer").
- Synchronous Invoke: "For synchronous invocations, the maximum payload size is 6 MB" (the event) -
  https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html ("Invoke").
- Framing: RFC 9112 section 6.3 (a request with Content-Length and Transfer-Encoding, or with a
  Transfer-Encoding not ending in chunked, or an invalid Content-Length, is answered 400).
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest

from tests.cli.serve_support import Server, raw_request, status_of

pytestmark = pytest.mark.slow

MB = 1024 * 1024
LIMITS = {"http_api": 10 * MB, "rest_api": 10 * MB, "function_url": 6 * MB, "alb": 1 * MB}

ECHO = '''
import hashlib, json

def app(environ, start_response):
    body = environ["wsgi.input"].read()
    print("app saw", environ["REQUEST_METHOD"], len(body), flush=True)
    answer = json.dumps({"length": len(body), "sha": hashlib.sha256(body).hexdigest()}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [answer]
'''


@pytest.fixture
def echo_dir(tmp_path: Path) -> Path:
    (tmp_path / "echoapp.py").write_text(ECHO)
    return tmp_path


def serve(echo_dir: Path, front: str) -> Server:
    return Server(["--app", "echoapp:app", "--front", front], cwd=echo_dir)


@pytest.mark.parametrize("front", sorted(LIMITS))
def test_a_body_over_the_front_limit_is_413_and_never_reaches_the_app(echo_dir, front) -> None:
    limit = LIMITS[front]
    with serve(echo_dir, front) as server:
        status, _, body = server.get("/up", data=b"x" * (limit + 1),
                                     headers={"Content-Type": "application/octet-stream"}, timeout=60)
        assert status == 413, body
        assert f"{limit:,} bytes" in body.decode() and "presigned" in body.decode()
        # the refusal closed that connection only: the server goes on
        status, _, body = server.get("/up", data=b"small", headers={"Content-Type": "text/plain"})
        assert status == 200 and json.loads(body)["length"] == 5
    assert "app saw POST 5" in server.output
    assert f"app saw POST {limit + 1}" not in server.output


def test_a_body_under_the_api_limit_but_over_lambdas_6_mb_event_limit_is_413(echo_dir) -> None:
    """An HTTP API takes 10 MB, but the event carrying 7 MB is over Invoke's 6 MB: still 413."""
    with serve(echo_dir, "http_api") as server:
        status, _, body = server.get("/up", data=b"y" * (7 * MB), headers={"Content-Type": "text/plain"},
                                     timeout=60)
        assert status == 413 and "6 MB" in body.decode() and "synchronous" in body.decode()
        # binary bodies travel base64-encoded: 5 MB of bytes make a ~6.7 MB event
        status, _, body = server.get("/up", data=bytes(range(256)) * (5 * MB // 256),
                                     headers={"Content-Type": "application/octet-stream"}, timeout=60)
        assert status == 413 and "base64" in body.decode()
        status, _, body = server.get("/up", data=b"z" * (4 * MB), headers={"Content-Type": "text/plain"},
                                     timeout=60)
        assert status == 200 and json.loads(body)["length"] == 4 * MB


def test_an_alb_body_of_exactly_1_mb_passes(echo_dir) -> None:
    with serve(echo_dir, "alb") as server:
        data = bytes(range(256)) * (MB // 256)
        status, _, body = server.get("/up", data=data, headers={"Content-Type": "application/octet-stream"})
        assert status == 200 and json.loads(body)["length"] == MB


def test_a_chunked_body_over_the_limit_is_413(echo_dir) -> None:
    with serve(echo_dir, "alb") as server:
        def chunks(total: int):
            for _ in range(total // 65536):
                yield b"c" * 65536

        for total, expected in ((2 * MB, 413), (MB // 2, 200)):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            conn.request("POST", "/up", body=chunks(total), encode_chunked=True,
                         headers={"Content-Type": "application/octet-stream"})
            response = conn.getresponse()
            body = response.read()
            conn.close()
            assert response.status == expected, body
            if expected == 413:
                assert b"chunked" in body and b"1,048,576" in body
            else:
                assert json.loads(body)["length"] == total


@pytest.mark.parametrize("headers, why", [
    ("Content-Length: 5\nContent-Length: 6", "conflicting Content-Length"),
    ("Content-Length: 5, 6", "conflicting Content-Length"),
    ("Content-Length: 5\nTransfer-Encoding: chunked", "both Content-Length and Transfer-Encoding"),
    ("Transfer-Encoding: gzip", "does not end in chunked"),
    ("Content-Length: five", "not a number"),
], ids=["two-headers", "one-list", "with-transfer-encoding", "not-chunked", "not-a-number"])
def test_ambiguous_framing_is_400_and_closes_the_connection(echo_dir, headers, why) -> None:
    with serve(echo_dir, "http_api") as server:
        answer = raw_request(server.port, f"POST /up HTTP/1.1\nHost: local\n{headers}\n", b"hello!")
        assert status_of(answer) == 400, answer
        assert why.encode() in answer and b"RFC 9112" in answer
        assert b"Connection: close" in answer
    assert "app saw" not in server.output


def test_repeated_equal_content_lengths_are_one_length(echo_dir) -> None:
    """RFC 9110 section 8.6: a list of identical values may be taken as that one value."""
    with serve(echo_dir, "http_api") as server:
        answer = raw_request(server.port, "POST /up HTTP/1.1\nHost: local\nContent-Length: 5, 5\n"
                                          "Content-Type: text/plain\n", b"hello")
        assert status_of(answer) == 200, answer
        assert b'"length": 5' in answer


def test_an_oversized_expect_100_continue_upload_is_refused_before_it_is_sent(echo_dir) -> None:
    """The front answers the headers alone: no "100 Continue", so the client never sends 11 MB."""
    with serve(echo_dir, "rest_api") as server:
        answer = raw_request(server.port, f"PUT /up HTTP/1.1\nHost: local\nContent-Length: {11 * MB}\n"
                                          "Expect: 100-continue\n")
        assert status_of(answer) == 413, answer
        assert b"100 Continue" not in answer
