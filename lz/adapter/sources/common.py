"""Pieces the sources share: header lists, the few headers a server needs, result headers."""

from __future__ import annotations

from typing import Any

from ..codec import join_values
from ..events import BadRequest


def header_list(event: dict[str, Any]) -> list[tuple[str, str]]:
    """Request headers from a 1.0-shaped event; `multiValueHeaders` wins over `headers`."""
    multi = event.get("multiValueHeaders")
    if multi:
        if not isinstance(multi, dict):
            raise BadRequest("multiValueHeaders must be an object")
        return [
            (name, join_values(name, values))
            for name, values in multi.items()
            if isinstance(values, (list, str))
        ]
    single = event.get("headers")
    if not single:
        return []
    if not isinstance(single, dict):
        raise BadRequest("headers must be an object")
    return [(name, value) for name, value in single.items() if isinstance(value, str)]


def find(headers: dict[str, Any], name: str) -> Any:
    """Case-insensitive header lookup that is cheap for the usual spellings."""
    value = headers.get(name)
    if value is None:
        value = headers.get(name.title())
        if value is None:
            for key, candidate in headers.items():
                if key.lower() == name:
                    return candidate
    return value


def first(value: Any) -> str | None:
    """A single-value view of a header that may arrive as a list."""
    if isinstance(value, list):
        value = value[0] if value and isinstance(value[0], str) else None
    return value if isinstance(value, str) else None


def server(headers: dict[str, Any]) -> tuple[str, str, int]:
    """(scheme, host, port) as the client addressed us, from headers the AWS front sets."""
    scheme = first(find(headers, "x-forwarded-proto")) or "https"
    host = first(find(headers, "host")) or "localhost"
    port_text = first(find(headers, "x-forwarded-port"))
    if port_text and port_text.isdigit():
        port = int(port_text)
    else:
        port = 443 if scheme == "https" else 80
    if ":" in host and not host.endswith("]"):
        host = host.rsplit(":", 1)[0]
    return scheme, host, port


def string(event: dict[str, Any], key: str, default: str | None = None) -> str:
    value = event.get(key, default)
    if not isinstance(value, str):
        if value is None and default is None:
            raise BadRequest(f"event has no {key!r}")
        raise BadRequest(f"event {key!r} must be a string, got {type(value).__name__}")
    return value


def section(event: dict[str, Any], key: str) -> dict[str, Any]:
    value = event.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"event {key!r} must be an object, got {type(value).__name__}")
    return value


def multi_value_headers(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Response headers as API Gateway/ALB `multiValueHeaders`: every value kept, in order."""
    out: dict[str, list[str]] = {}
    for name, value in headers:
        values = out.get(name)
        if values is None:
            out[name] = [value]
        else:
            values.append(value)
    return out
