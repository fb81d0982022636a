"""The tests' moto server (tests/cli/conftest.py): one request at a time, as AWS answers each call
atomically, and a request that would wait for itself is answered with a 500 that says so."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.cli import conftest
from tests.cli.stage import boto3_s3

pytest.importorskip("moto.server")


def test_requests_are_answered_one_at_a_time(aws_env, moto_endpoint, monkeypatch) -> None:
    from moto.s3.models import S3Backend

    real = S3Backend.list_buckets
    inside, most, count = [0], [0], threading.Lock()

    def listing(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        with count:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.2)  # a second request has long arrived by now
        with count:
            inside[0] -= 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(S3Backend, "list_buckets", listing)
    threads = [threading.Thread(target=lambda: boto3_s3().list_buckets()) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1


def test_a_request_that_calls_the_server_from_inside_it_fails_loudly(aws_env, moto_endpoint, monkeypatch) -> None:
    from moto.s3.models import S3Backend

    real = S3Backend.list_buckets
    heard: list[str] = []

    def listing(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        try:
            urllib.request.urlopen(f"{moto_endpoint}/moto-api/data.json", timeout=10)
        except urllib.error.HTTPError as exc:
            heard.append(exc.read().decode())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(S3Backend, "list_buckets", listing)
    monkeypatch.setattr(conftest, "LOCK_WAIT", 0.3)
    boto3_s3().list_buckets()  # the outer request is answered
    assert len(heard) == 1 and "GET /moto-api/data.json waited 0.3 s for the request before it" in heard[0]
