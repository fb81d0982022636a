"""What the AWS front in front of a function refuses before the function ever runs: request bodies
over its size limit (413), requests whose framing is ambiguous (400), and events over Lambda's
synchronous invocation payload limit (413). `lz serve` answers these as the front would, so an upload
that cannot work on AWS does not quietly work locally.

Figures (each asserted by tests/cli/test_serve_limits.py, which cites the AWS page):
- HTTP API: "Payload size 10 MB" (API Gateway guide, "Quotas for configuring and running an HTTP API").
- REST API: "Payload size 10 MB" (API Gateway guide, "Quotas for configuring and running a REST API").
- Function URL (BUFFERED): "The maximum payload size is 6 MB" (Lambda API, "FunctionUrlConfig").
- ALB: "The maximum size of the request body that you can send to a Lambda function is 1 MB"
  (ELB guide, "Use Lambda functions as targets of an Application Load Balancer").
- Every synchronous invocation: "the maximum payload size is 6 MB" (Lambda API, "Invoke"), and the
  payload is the whole event, headers and base64 included.
"""

from __future__ import annotations

import json
from typing import Any

MB = 1024 * 1024
INVOKE_LIMIT = 6 * MB  # a synchronous Invoke's request payload: the event as JSON

BODY_LIMITS: dict[str, int] = {
    "http_api": 10 * MB,
    "rest_api": 10 * MB,
    "function_url": 6 * MB,
    "alb": 1 * MB,
}

FRONT_NAMES = {
    "http_api": "an API Gateway HTTP API",
    "rest_api": "an API Gateway REST API",
    "function_url": "a Lambda Function URL",
    "alb": "an Application Load Balancer",
}

# How long the front waits for the function before it answers 504 itself (None: as long as the
# function's own timeout). HTTP API: 30 s, not raisable; REST API: 29 s by default.
FRONT_TIMEOUTS: dict[str, float | None] = {
    "http_api": 30.0,
    "rest_api": 29.0,
    "function_url": None,
    "alb": None,
}

_HOW = ("Send large files straight to S3 (a presigned upload URL from the app) and pass the app "
        "their key instead.")


def framing_error(content_lengths: list[str], transfer_encodings: list[str]) -> str | None:
    """Why a request's body length is ambiguous (RFC 9112 section 6.3), or None when it is clear.

    Fronts refuse such requests with 400 rather than guess, because two parties that guess
    differently can be made to see different requests (request smuggling).
    """
    if transfer_encodings:
        if content_lengths:
            return ("the request has both Content-Length and Transfer-Encoding; send one of them "
                    "(RFC 9112 section 6.3)")
        codings = [c.strip().lower() for value in transfer_encodings for c in value.split(",")]
        if not codings or codings[-1] != "chunked":
            return (f"Transfer-Encoding {', '.join(transfer_encodings)!r} does not end in chunked, "
                    "so the body's length cannot be known (RFC 9112 section 6.3)")
        return None
    values = {v.strip() for value in content_lengths for v in value.split(",")}
    if not values:
        return None
    if not all(v.isdigit() for v in values):
        return f"Content-Length {', '.join(content_lengths)!r} is not a number (RFC 9112 section 6.3)"
    if len({int(v) for v in values}) > 1:
        return (f"the request has conflicting Content-Length values ({', '.join(content_lengths)}); "
                "send one (RFC 9112 section 6.3)")
    return None


def declared_length(content_lengths: list[str]) -> int | None:
    """The body length Content-Length declares (framing_error() already passed), else None."""
    for value in content_lengths:
        for part in value.split(","):
            if part.strip().isdigit():
                return int(part.strip())
    return None


def body_too_large(front: str, size: int | None) -> str | None:
    """The 413 message for a `size`-byte body sent to `front` (None: a chunked body found to be
    over the limit while it was read), or None when it fits."""
    limit = BODY_LIMITS[front]
    if size is not None and size <= limit:
        return None
    what = f"is {size:,} bytes" if size is not None else "(chunked) goes on past that"
    return (f"Request Entity Too Large: {FRONT_NAMES[front]} passes a Lambda function at most "
            f"{limit:,} bytes ({limit // MB} MB) of request body, and this body {what}. {_HOW}")


def event_too_large(event: dict[str, Any]) -> str | None:
    """The 413 message when `event` is over Lambda's synchronous payload limit, or None.

    The body travels inside the event, base64-encoded when binary, beside every header: a body
    under the front's own limit can still make an event Lambda refuses.
    """
    body = event.get("body")
    if not body or len(body) < INVOKE_LIMIT // 8:  # far from the limit: not worth serializing
        return None
    size = len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size <= INVOKE_LIMIT:
        return None
    encoded = " (the body is base64-encoded in it)" if event.get("isBase64Encoded") else ""
    return (f"Request Entity Too Large: the event for this request is {size:,} bytes{encoded}, over "
            f"Lambda's {INVOKE_LIMIT:,}-byte (6 MB) limit for a synchronous invocation's payload. "
            f"{_HOW}")
