"""Pieces the sources share: request headers from 1.0-shaped events, the few headers a server
needs, and response headers in the shapes AWS wants. Written for the hot path: one pass each."""

from __future__ import annotations

from ..codec import CACHEABLE
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
        if type(single) is not dict or not single:
            return multi, multi, True
        if len(single) > len(multi):  # a header only `headers` has is still a header
            multi = _merged(multi, single)
        return multi, single, True
    if not single:
        return {}, {}, False
    if type(single) is not dict:
        raise BadRequest("headers must be an object")
    return single, single, False


def _merged(multi: dict[str, Any], single: dict[str, Any]) -> dict[str, Any]:
    """`multiValueHeaders` plus the headers only `headers` has (test tools and proxies build such
    events), compared without regard to case, as header names are.

    API Gateway itself puts every header in both maps, so the caller only comes here when
    `headers` has more names: a length test is all the hot path pays (comparing the key sets
    would cost a lookup per header on every REST request)."""
    merged = dict(multi)
    known = {name.lower() for name in multi if type(name) is str}
    for name, value in single.items():
        if type(name) is str and name.lower() not in known:
            merged[name] = [value]
    return merged


def principal(rc: dict[str, Any]) -> str | None:
    """The caller the front's authorizer vouched for, as REMOTE_USER: a Lambda authorizer's
    `principalId`, a Cognito or JWT authorizer's `sub` claim, or the IAM caller's ARN. None when
    the request was not authorized by the front (then nothing may claim a user)."""
    auth = rc.get("authorizer")
    if type(auth) is dict:
        user = auth.get("principalId")  # REST Lambda authorizer
        if type(user) is str and user:
            return user
        claims = auth.get("claims")  # REST Cognito user pool / JWT authorizer
        if type(claims) is not dict:
            jwt = auth.get("jwt")  # HTTP API JWT authorizer
            claims = jwt.get("claims") if type(jwt) is dict else None
        user = claims.get("sub") if type(claims) is dict else None
        if type(user) is str and user:
            return user
        iam = auth.get("iam")  # HTTP API and Function URL IAM auth
        user = iam.get("userArn") if type(iam) is dict else None
        if type(user) is str and user:
            return user
    identity = rc.get("identity")  # REST IAM auth
    user = identity.get("userArn") if type(identity) is dict else None
    return user if type(user) is str and user else None


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
    """What is wrong with the app's header list, once an encoder has found something is. Names
    are quoted (repr, so a CR or LF shows as an escape) and cut short; values are never quoted,
    as they may carry a client's data or a secret."""
    if not isinstance(headers, (list, tuple)):
        return AppError(f"response headers must be a list, got {type(headers).__name__}")
    items = list(headers)
    for item in items:
        if type(item) is not tuple or len(item) != 2 or not isinstance(item[0], str) \
                or not isinstance(item[1], str):
            return AppError(f"response header must be a (str, str) tuple, got {item!r:.200}")
        name, value = item
        for part, text in (("name", name), ("value", value)):
            if "\r" in text or "\n" in text or "\0" in text:
                return AppError(
                    f"response header {name!r:.100} has a CR, LF or NUL in its {part}: refused, "
                    "as it could split the response (RFC 9110 section 5.5); remove or encode it"
                )
    return AppError(f"response headers {items!r:.300} are not (str, str) pairs")


_LOWER: dict[str, str] = {}
# Response header values already found free of CR, LF and NUL (and short): an app sends the same
# few values (content types, cache policies, "DENY"...) on every response, and a dict lookup is
# cheaper than three scans. Bounded in entries and, by CACHEABLE, in bytes.
_CLEAN: dict[str, None] = {}
# The size the encoders count (for Lambda's and ALB's limits): the characters of every name and
# value the caches did not vouch for, plus CACHEABLE for each repeated name. What goes uncounted
# is at most two cached strings per distinct name; up to _FEW names that stays, even at JSON's
# worst escaping (six times), inside the 65536 bytes check_size keeps in reserve. Past _FEW
# names each counts at its bound. So the size costs nothing but on the paths that need it.
_FEW = 16


def _checked(value: str) -> int:
    """The length of a response header value, after refusing one with CR, LF or NUL (RFC 9110
    §5.5: such a value could split the response; ValueError) or that is not text (TypeError).
    A short one is remembered as clean."""
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError
    if len(value) <= CACHEABLE:
        if len(_CLEAN) >= 2048:
            _CLEAN.clear()
        _CLEAN[value] = None
    return len(value)


def _lower(name: str) -> str:
    """`name` in lower case, remembered: an app sends the same few header names (the same string
    objects, mostly) on every response, and a dict lookup is cheaper than str.lower(). A name is
    checked for CR, LF and NUL here, before it is remembered, so the encoders need not check the
    names they find in the cache (ValueError for a name that has one)."""
    if type(name) is not str:
        raise TypeError
    if "\r" in name or "\n" in name or "\0" in name:
        raise ValueError
    lname = name.lower()
    if len(name) <= CACHEABLE:  # names the app may make up per request: bounded, in bytes too
        if len(_LOWER) >= 1024:
            _LOWER.clear()
        _LOWER[name] = lname
    return lname


def multi_headers(
    headers: list[tuple[str, str]],
) -> tuple[dict[str, list[str]], str | None, bool, int]:
    """`multiValueHeaders` (every value kept, in order, so every Set-Cookie survives), with the
    Content-Type, whether there was a Content-Encoding, and the size of the header text the
    result's limits must count (see _FEW), found in the same pass.

    The pairs are checked here, the one place that reads them all, for CR, LF and NUL (which also
    refuses what is not text): names where they are first lowercased (_lower), values where they
    are first seen (_checked)."""
    out: dict[str, list[str]] = {}
    content_type = None
    encoded = False
    lower = _LOWER
    clean = _CLEAN
    size = 0  # see _FEW
    try:
        for name, value in headers:
            try:
                lname = lower[name]
            except KeyError:
                lname = _lower(name)
                size += len(name)
            if value not in clean:
                size += _checked(value)
            values = out.get(name)
            if values is None:
                out[name] = [value]
                if lname == "content-type":
                    content_type = value
                elif lname == "content-encoding":
                    encoded = True
            else:
                values.append(value)
                size += CACHEABLE
    except (TypeError, ValueError):
        raise bad_header(headers) from None
    if len(out) > _FEW:
        size += 2 * CACHEABLE * len(out)
    return out, content_type, encoded, size


def single_headers(
    headers: list[tuple[str, str]], cookies: bool
) -> tuple[dict[str, str], list[str] | tuple[()], str | None, bool, int]:
    """A `headers` map with repeats comma-joined, and the Set-Cookie values it cannot hold: with
    `cookies` (HTTP API 2.0's `cookies[]`) all of them, otherwise every one after the first, which
    stays in the map. Those come as a list, or as an empty tuple when there are none (no list made
    for nothing on every response). The pairs are checked and sized here, as in multi_headers."""
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    extra: list[str] | tuple[()] = ()
    content_type = None
    encoded = False
    lower = _LOWER
    clean = _CLEAN
    size = 0  # see _FEW
    try:
        for name, value in headers:
            try:
                lname = lower[name]
            except KeyError:
                lname = _lower(name)
                size += len(name)
            if value not in clean:
                size += _checked(value)
            if lname not in seen:
                if lname != "set-cookie" or not cookies:
                    seen[lname] = name
                    out[name] = value
                    if lname == "content-type":
                        content_type = value
                    elif lname == "content-encoding":
                        encoded = True
                    continue
            elif lname != "set-cookie":
                first = seen[lname]
                out[first] = f"{out[first]}, {value}"
                size += CACHEABLE
                continue
            if extra:  # a Set-Cookie the map does not take
                extra.append(value)
            else:
                extra = [value]
            size += CACHEABLE
    except (TypeError, ValueError):
        raise bad_header(headers) from None
    if len(out) > _FEW:
        size += 2 * CACHEABLE * len(out)
    return out, extra, content_type, encoded, size
