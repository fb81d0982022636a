"""Pieces the sources share: request headers from 1.0-shaped events, the few headers a server
needs, and response headers in the shapes AWS wants. Written for the hot path: one pass each."""

from __future__ import annotations

from ..events import AppError, BadRequest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def header_list(event: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """Request headers of a 1.0-shaped event: (the map for the front ends, the map to look single
    headers up in, whether the first holds lists).

    `multiValueHeaders` wins and is passed on as it is, lists and all: the front ends read every
    header anyway and join a repeated one as they go, which costs less than a pass here to find
    out whether any header repeats (on CPython, a dozen headers make that pass a microsecond).
    """
    multi = event.get("multiValueHeaders")
    single = event.get("headers")
    if multi:
        if type(multi) is not dict:
            raise BadRequest("multiValueHeaders must be an object")
        # API Gateway sends both maps; the single one holds each header's last value, enough to
        # find the host and scheme. ALB in multi-value mode sends only the lists.
        return multi, single if type(single) is dict and single else multi, True
    if not single:
        return {}, {}, False
    if type(single) is not dict:
        raise BadRequest("headers must be an object")
    return single, single, False


_SERVER_HEADERS = ("x-forwarded-proto", "host", "x-forwarded-port")


def _first(value: Any) -> str | None:
    if type(value) is list:
        value = value[0] if value else None
    return value if type(value) is str else None


def server(headers: dict[str, Any]) -> tuple[str, str, int]:
    """(scheme, host, port) as the client addressed us, from the headers the AWS front sets.

    Tries the two usual spellings first; only an odd one costs a scan of all the headers.
    """
    scheme = headers.get("x-forwarded-proto") or headers.get("X-Forwarded-Proto")
    host = headers.get("host") or headers.get("Host")
    port = headers.get("x-forwarded-port") or headers.get("X-Forwarded-Port")
    if scheme is None or host is None or port is None:
        found = {}
        for key, value in headers.items():
            if type(key) is str and (lkey := key.lower()) in _SERVER_HEADERS:
                found[lkey] = value
        scheme = scheme or found.get("x-forwarded-proto")
        host = host or found.get("host")
        port = port or found.get("x-forwarded-port")
    scheme = _first(scheme) or "https"
    host = _first(host) or "localhost"
    port = _first(port)
    if ":" in host and not host.endswith("]"):
        host, _, hostport = host.rpartition(":")
        port = port or hostport
    return scheme, host, int(port) if port and port.isdigit() else (443 if scheme == "https" else 80)


def string(event: dict[str, Any], key: str, default: str | None = None) -> str:
    value = event.get(key, default)
    if type(value) is not str:
        if value is None and default is None:
            raise BadRequest(f"event has no {key!r}")
        raise BadRequest(f"event {key!r} must be a string, got {type(value).__name__}")
    return value


def section(event: dict[str, Any], key: str) -> dict[str, Any]:
    value = event.get(key)
    if type(value) is not dict:
        if value is None:
            return {}
        raise BadRequest(f"event {key!r} must be an object, got {type(value).__name__}")
    return value


def bad_header(headers: Any) -> AppError:
    """What is wrong with the app's header list, once an encoder has found something is."""
    try:
        items = list(headers)
    except TypeError:
        return AppError(f"response headers must be a list, got {type(headers).__name__}")
    for item in items:
        if type(item) is not tuple or len(item) != 2 or type(item[0]) is not str \
                or type(item[1]) is not str:
            return AppError(f"response header must be a (str, str) tuple, got {item!r}")
    return AppError(f"response headers {items!r} are not (str, str) pairs")


_LOWER: dict[str, str] = {}


def _lower(name: str) -> str:
    """`name` in lower case, remembered: an app sends the same few header names (the same string
    objects, mostly) on every response, and a dict lookup is cheaper than str.lower()."""
    if type(name) is not str:
        raise TypeError
    lname = name.lower()
    if len(_LOWER) >= 1024:  # names the app makes up per request: keep the cache bounded
        _LOWER.clear()
    _LOWER[name] = lname
    return lname


def multi_headers(
    headers: list[tuple[str, str]],
) -> tuple[dict[str, list[str]], str | None, bool]:
    """`multiValueHeaders` (every value kept, in order, so every Set-Cookie survives), with the
    Content-Type and whether there was a Content-Encoding, found in the same pass. The pairs are
    checked here, the one place that reads them all."""
    out: dict[str, list[str]] = {}
    content_type = None
    encoded = False
    lower = _LOWER
    try:
        for name, value in headers:
            try:
                lname = lower[name]
            except KeyError:
                lname = _lower(name)
            if type(value) is not str:
                raise TypeError
            values = out.get(name)
            if values is None:
                out[name] = [value]
                if lname == "content-type":
                    content_type = value
                elif lname == "content-encoding":
                    encoded = True
            else:
                values.append(value)
    except (TypeError, ValueError):
        raise bad_header(headers) from None
    return out, content_type, encoded


def single_headers(
    headers: list[tuple[str, str]], cookies: list[str] | None
) -> tuple[dict[str, str], list[str], str | None, bool]:
    """A `headers` map with repeats comma-joined; Set-Cookie values go to `cookies` when given,
    otherwise the first stays in the map and the rest are returned as not representable. The pairs
    are checked here, the one place that reads them all."""
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    extra: list[str] = []
    content_type = None
    encoded = False
    lower = _LOWER
    try:
        for name, value in headers:
            try:
                lname = lower[name]
            except KeyError:
                lname = _lower(name)
            if type(value) is not str:
                raise TypeError
            if lname not in seen:
                if lname == "set-cookie" and cookies is not None:
                    cookies.append(value)
                    continue
                seen[lname] = name
                out[name] = value
                if lname == "content-type":
                    content_type = value
                elif lname == "content-encoding":
                    encoded = True
            elif lname == "set-cookie":
                if cookies is not None:
                    cookies.append(value)
                else:
                    extra.append(value)
            else:
                first = seen[lname]
                out[first] = f"{out[first]}, {value}"
    except (TypeError, ValueError):
        raise bad_header(headers) from None
    return out, extra, content_type, encoded
