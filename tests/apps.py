"""Raw WSGI and ASGI apps for the adapter tests: they echo what they were given, or answer exactly
what a test asks for, with no framework in between to hide a mistake."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def _describe_environ(environ: dict[str, Any]) -> dict[str, Any]:
    body = environ["wsgi.input"].read()
    return {
        "method": environ["REQUEST_METHOD"],
        "script_name": environ["SCRIPT_NAME"],
        "path": environ["PATH_INFO"].encode("latin-1").decode("utf-8", "replace"),
        "query": environ["QUERY_STRING"],
        "headers": {k: v for k, v in environ.items() if k.startswith("HTTP_")},
        "content_type": environ.get("CONTENT_TYPE"),
        "content_length": environ.get("CONTENT_LENGTH"),
        "remote_addr": environ.get("REMOTE_ADDR"),
        "scheme": environ["wsgi.url_scheme"],
        "server": [environ["SERVER_NAME"], environ["SERVER_PORT"]],
        "body_len": len(body),
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "has_event": isinstance(environ.get("aws.event"), dict),
        "request_id": getattr(environ.get("aws.context"), "aws_request_id", None),
    }


def wsgi_echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    data = json.dumps(_describe_environ(environ)).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [data]


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def asgi_echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        return  # no lifespan support: lifespan="auto" must cope
    body = await _read_body(receive)
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1")
        headers[key] = f"{headers[key]}, {value.decode('latin-1')}" if key in headers else value.decode("latin-1")
    data = {
        "method": scope["method"],
        "root_path": scope["root_path"],
        "path": scope["path"],
        "raw_path": scope["raw_path"].decode("latin-1"),
        "query": scope["query_string"].decode("latin-1"),
        "headers": headers,
        "client": list(scope["client"]) if scope["client"] else None,
        "scheme": scope["scheme"],
        "server": list(scope["server"]),
        "body_len": len(body),
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "has_event": isinstance(scope.get("aws.event"), dict),
        "request_id": getattr(scope.get("aws.context"), "aws_request_id", None),
    }
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(data).encode()})


def wsgi_answer(status: str, headers: list[tuple[str, str]], body: bytes = b"") -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, headers)
        return [body] if body else []

    return app


def asgi_answer(status: int, headers: list[tuple[str, str]], body: bytes = b"") -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.encode(), v.encode()) for k, v in headers]})
        await send({"type": "http.response.body", "body": body})

    return app
