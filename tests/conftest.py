from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from lz.adapter import ASGIAdapter, WSGIAdapter
from tests import apps
from tests.builders import Context, response_body

FRONTS = ("wsgi", "asgi")


@pytest.fixture(params=FRONTS)
def front(request: pytest.FixtureRequest) -> str:
    return request.param


def echo_handler(front: str, **options: Any) -> Callable[..., dict[str, Any]]:
    if front == "wsgi":
        return WSGIAdapter(apps.wsgi_echo, **options)
    return ASGIAdapter(apps.asgi_echo, **options)


def answer_handler(front: str, status: int, headers: list[tuple[str, str]], body: bytes = b"",
                   **options: Any) -> Callable[..., dict[str, Any]]:
    if front == "wsgi":
        from http import HTTPStatus

        line = f"{status} {HTTPStatus(status).phrase}"
        return WSGIAdapter(apps.wsgi_answer(line, headers, body), **options)
    return ASGIAdapter(apps.asgi_answer(status, headers, body), **options)


def echo(front: str, event: dict[str, Any], **options: Any) -> dict[str, Any]:
    """Run `event` through the echo app of `front` and return what the app saw (normalised)."""
    result = echo_handler(front, **options)(event, Context())
    assert result["statusCode"] == 200, result
    seen = json.loads(response_body(result))
    if front == "asgi":
        # One vocabulary for both front ends: the WSGI split (script_name + path) and the query.
        root = seen["root_path"]
        assert seen["path"].startswith(root)
        seen["script_name"] = root
        seen["path"] = seen["path"][len(root):]
        seen["remote_addr"] = seen["client"][0] if seen["client"] else None
    return seen
