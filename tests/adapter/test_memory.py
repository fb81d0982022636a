"""Memory held by client-chosen data (issue 11 item 6): the hot path's caches are keyed by header
names, header pairs, query pairs and response pairs, which a client (or an app reflecting a
client) chooses. Bounded by entry count alone, 200 requests with 1 MB headers held 800 MB; they
must keep only small strings. Measured with tracemalloc, which counts what Python allocated and
still holds, whatever the allocator does with freed memory."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

import pytest

from lz.adapter import ASGIAdapter, WSGIAdapter
from tests.builders import Context, make

BIG = 100_000  # characters per hostile value
REQUESTS = 150
LIMIT = 4_000_000  # bytes still held after REQUESTS requests (each brings ~4 * BIG)


def reflect_wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    headers = [(key[5:].replace("_", "-"), value) for key, value in environ.items()
               if key.startswith("HTTP_X")]
    start_response("200 " + environ.get("HTTP_X_REASON", "OK"), headers)
    return [b"ok"]


async def reflect_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    headers = [(b"echo-" + k, v) for k, v in scope["headers"] if k.startswith(b"x")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


def _event(kind: str, n: int) -> dict[str, Any]:
    unique = f"{n:06d}"
    return make(kind, path="/p", query=[("q" + unique, unique + "v" * BIG)],
                headers=[("X-Big-" + unique + "n" * BIG, "1"),
                         ("X-Value", unique + "v" * BIG),
                         ("X-Reason", "OK " + unique + "r" * 1000),
                         ("Content-Type", "text/" + unique + "t" * BIG)])


def _empty_caches() -> None:
    """Start from empty caches: one that another test filled might be cleared (bounded by count)
    during the measurement, which would hide what this one keeps."""
    from lz.adapter import asgi, codec, environ, wsgi
    from lz.adapter.sources import common

    for cache in (environ._CGI, wsgi._STATUS, asgi._PAIRS, asgi._DECODED, codec._PAIRS,
                  common._LOWER, common._CLEAN):
        cache.clear()


def _held(handler: Any, kind: str) -> int:
    _empty_caches()
    for n in range(5):  # warm up: imports, first-use tables
        handler(_event(kind, n), Context())
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(5, 5 + REQUESTS):
            result = handler(_event(kind, n), Context())
            assert result["statusCode"] in (200, 502), result["statusCode"]
        del result
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("kind", ["rest_v1", "http_v2", "alb_multi"])
def test_big_unique_client_values_are_not_kept_by_any_cache(front: str, kind: str) -> None:
    handler = WSGIAdapter(reflect_wsgi) if front == "wsgi" else ASGIAdapter(reflect_asgi)
    held = _held(handler, kind)
    assert held < LIMIT, f"{held:,} bytes still held after {REQUESTS} hostile requests"


def test_small_values_are_still_remembered() -> None:
    """The bound is on size, not on caching: the usual headers still hit the caches."""
    from lz.adapter import asgi, environ
    from lz.adapter.sources import common

    WSGIAdapter(reflect_wsgi)(make("http_v2", headers=[("X-Small", "1")]), Context())
    ASGIAdapter(reflect_asgi)(make("http_v2", headers=[("X-Small", "1")]), Context())
    assert environ._CGI.get("x-small") == "HTTP_X_SMALL"
    assert ("x-small", "1") in asgi._PAIRS
    assert (b"echo-x-small", b"1") in asgi._DECODED
    assert "echo-x-small" in common._LOWER
