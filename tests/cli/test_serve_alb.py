"""`lz serve --front alb`: the event an Application Load Balancer target group sends in its default
single-value header mode, through the adapter and back.

ALB in single-value mode keeps the last value of a repeated query key or header, hands query values
over still percent-encoded, and limits the request body to 1 MB - "Use Lambda functions as targets
of an Application Load Balancer",
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from tests.cli.serve_support import Server

pytestmark = pytest.mark.slow


def test_an_alb_front_round_trips_query_redirects_cookies_and_binary() -> None:
    with Server(["--app", "example_flask.app:app", "--front", "alb"]) as server:
        status, _, body = server.get("/echo?a=1&a=2&b=x%2By")
        assert status == 200
        assert json.loads(body)["args"] == {"a": ["2"], "b": ["x+y"]}  # single-value: the last one

        status, headers, _ = server.get("/go")
        assert status == 302 and headers["Location"].endswith("/api/items")

        status, headers, _ = server.get("/cookies", headers={"Cookie": "visits=2"})
        assert status == 200
        # both cookies, the second under a case variant of the name (the adapter's way through
        # single-value mode)
        assert sorted(c.split(";")[0] for c in headers.get_all("Set-Cookie")) == [
            "flavour=oatmeal", "visits=3"]

        data = os.urandom(512 * 1024)
        status, _, body = server.get("/upload", data=data, headers={"Content-Type": "application/octet-stream"})
        assert status == 200 and json.loads(body)["sha256"] == hashlib.sha256(data).hexdigest()
