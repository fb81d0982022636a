"""Byte-level helpers shared by the sources: percent coding, bodies, base64, text types, limits.

Written against the standard library's C parts (binascii, str/bytes methods) instead of
urllib.parse and base64: those pull in `re` and friends on import, and every cold start pays for it.
"""

from __future__ import annotations

import binascii

from .events import BadRequest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .events import Options

# Lambda refuses a synchronous result over 6 MB with an opaque error; these are the numbers it
# checks against (the JSON result, not the body). ALB's "1 MB" is taken in decimal, to stay under
# it whichever unit AWS means.
LAMBDA_SYNC_LIMIT = 6_291_556
ALB_LIMIT = 1_000_000
# Bodies and header text up to this many characters in all cannot make even an ALB result too
# large, however much JSON escaping grows them (at most six times), so only longer ones are measured.
SIZE_CHECK_FROM = (ALB_LIMIT - 65536) // 6
# The caches on the hot path keep only strings up to this long (key and value together): their
# keys are often client-chosen, so a bound on entries alone would let a client fill memory with
# big values (200 requests with 1 MB headers held 800 MB). Longer ones are simply not remembered.
CACHEABLE = 256

_HEX = "0123456789ABCDEFabcdef"
_HEXTOBYTE: dict[bytes, bytes] = {}
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_QUOTE = tuple(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in range(256))
# The same for ASCII text, as a str.translate table: one C call per value.
_QUOTE_ASCII = {b: _QUOTE[b] for b in range(128) if b not in _UNRESERVED}


def unquote_to_bytes(text: str) -> bytes:
    """Decode %XX escapes once; a malformed escape stays as it is (as browsers and servers do)."""
    data = text.encode("utf-8", "surrogatepass")
    if b"%" not in data:
        return data
    if not _HEXTOBYTE:
        _HEXTOBYTE.update(
            {(a + b).encode(): bytes.fromhex(a + b) for a in _HEX for b in _HEX}
        )
    parts = data.split(b"%")
    out = [parts[0]]
    hextobyte = _HEXTOBYTE
    for part in parts[1:]:
        decoded = hextobyte.get(part[:2])
        if decoded is None:
            out.append(b"%")
            out.append(part)
        else:
            out.append(decoded)
            out.append(part[2:])
    return b"".join(out)


def quote(text: str) -> str:
    """Percent-encode everything outside RFC 3986's unreserved set, as UTF-8."""
    if text.isascii():
        return text if text.isalnum() else text.translate(_QUOTE_ASCII)
    return "".join(map(_QUOTE.__getitem__, text.encode("utf-8", "surrogatepass")))


# (key, value) -> "key=value" encoded: a function's query parameters recur (page=2, sort=name...).
_PAIRS: dict[tuple[str, str], str] = {}


def encode_query(params: dict[str, Any]) -> str:
    """Rebuild a query string from API Gateway's already-decoded map (multi-value lists, or
    single values). The common case is one comprehension of dict subscripts."""
    pairs = _PAIRS
    try:
        return "&".join([
            pairs[key, value]
            for key, values in params.items()
            for value in (values if type(values) is list else (values,))
        ])
    except (KeyError, TypeError):  # a pair not seen yet, a None value, or a malformed entry
        pass
    parts = []
    for key, values in params.items():
        if isinstance(values, str):
            values = (values,)
        qkey = quote(key)
        for value in values or ():
            if value is None:
                parts.append(qkey)
                continue
            pair = qkey + "=" + quote(value)
            if len(key) + len(value) <= CACHEABLE:  # client-chosen strings: bounded in bytes
                if len(pairs) >= 4096:
                    pairs.clear()
                pairs[key, value] = pair
            parts.append(pair)
    return "&".join(parts)


def join_values(name: str, values: Any) -> str | None:
    """Fold a header's repeated values into one field value (RFC 9110; cookies use '; '); None
    when not one of them is text (the header is then skipped)."""
    if isinstance(values, str):
        return values
    values = [v for v in values if isinstance(v, str)]
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return ("; " if name.lower() == "cookie" else ", ").join(values)


def decode_body(event: dict[str, Any]) -> bytes:
    """The request body as bytes, base64-decoded exactly once when the event says so."""
    body = event.get("body")
    if not body:
        return b""
    if not isinstance(body, str):
        raise BadRequest(f"event body must be a string, got {type(body).__name__}")
    if event.get("isBase64Encoded"):
        try:
            return binascii.a2b_base64(body, strict_mode=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest(
                f"event body is marked isBase64Encoded but is not valid base64 ({exc})"
            ) from None
    try:
        return body.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("event body is not valid text (unpaired surrogate)") from None


_TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "application/xml",
        "application/xhtml+xml",
        "application/x-www-form-urlencoded",
        "application/graphql",
        "application/x-ndjson",
        "image/svg+xml",
    }
)


def is_text(content_type: str | None, options: Options) -> bool:
    """Whether a body of this type may travel as plain JSON text rather than base64."""
    if not content_type:
        return False
    cache = options.text_cache
    known = cache.get(content_type)
    if known is not None:
        return known
    mime = content_type.split(";", 1)[0].strip().lower()
    text = (
        mime.startswith("text/")
        or mime in _TEXT_TYPES
        or mime.endswith(("+json", "+xml"))
        or mime in options.text_mime_types
    )
    if len(content_type) <= CACHEABLE:
        if len(cache) > 1024:
            cache.clear()
        cache[content_type] = text
    return text


def encode_body(
    body: bytes, content_type: str | None, encoded: bool, options: Options
) -> tuple[str, bool]:
    """A non-empty body as the result's `body` string and its `isBase64Encoded` flag.

    `encoded`: the response had a Content-Encoding (gzip text is still binary).
    """
    if not encoded and content_type:
        text = options.text_cache.get(content_type)  # is_text's cache, without the call
        if text is None:
            text = is_text(content_type, options)
        if text:
            try:
                return body.decode(), False  # UTF-8, strict
            except UnicodeDecodeError:
                pass
    return binascii.b2a_base64(body, newline=False).decode("ascii"), True


class PayloadTooLarge(Exception):
    """The encoded result would exceed what Lambda (or ALB) accepts."""

    def __init__(self, size: int, limit: int, what: str) -> None:
        super().__init__(
            f"response of {size:,} bytes exceeds the {what} limit of {limit:,} bytes"
        )
        self.size = size
        self.limit = limit
        self.what = what


def check_size(result: dict[str, Any], text: int, limit: int, what: str) -> None:
    """Raise PayloadTooLarge before Lambda (or ALB) would refuse the result with an opaque error.

    `text`: the characters of the body and of every header name and value. The whole result
    counts, not the body alone. Only results that could come near the limit are measured exactly
    (JSON escaping can grow text up to six times); the encoders call this only for those.
    """
    if text * 6 + 65536 < limit:
        return
    import json  # rare path: only for bodies above about a sixth of the limit

    size = len(json.dumps(result, separators=(",", ":")))
    if size > limit:
        raise PayloadTooLarge(size, limit, what)
