"""`lz serve --auth-token-claims FILE`: emulate the HTTP API JWT authorizer (settings `auth.jwt`),
so views that read `lz.auth.claims(...)` work locally.

As API Gateway does, a request without an Authorization header is refused with 401
{"message":"Unauthorized"} before the function runs; one with any token gets the claims of FILE (a
JSON object) in requestContext.authorizer.jwt.claims (REST: requestContext.authorizer.claims).
The token is not verified: this is a local stand-in for the issuer. The file's claims travel to the
server (and its reloader's child) in LZ_SERVE_AUTH_CLAIMS.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ENV = "LZ_SERVE_AUTH_CLAIMS"


class ClaimsError(ValueError):
    """The claims file cannot be used; the message says why."""


def load(path: Path) -> dict[str, Any]:
    try:
        claims = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ClaimsError(f"--auth-token-claims {path}: not a readable JSON file ({exc})") from None
    if not isinstance(claims, dict):
        raise ClaimsError(f'--auth-token-claims {path}: must hold a JSON object of claims, like '
                          '{"sub": "user-1", "email": "a@example.com"}')
    return claims


def use(claims: dict[str, Any]) -> None:
    os.environ[ENV] = json.dumps(claims)


def current() -> dict[str, Any] | None:
    text = os.environ.get(ENV)
    return json.loads(text) if text else None


def authorize(event: dict[str, Any], front: str, claims: dict[str, Any]) -> bool:
    """Put the claims in the event as the front's authorizer would; False: no token, refuse (401)."""
    headers = event.get("multiValueHeaders") or event.get("headers") or {}
    if not any(isinstance(k, str) and k.lower() == "authorization" for k in headers):
        return False
    rc = event.setdefault("requestContext", {})
    if front == "rest_api":
        rc["authorizer"] = {"claims": dict(claims)}
    else:
        rc["authorizer"] = {"jwt": {"claims": dict(claims), "scopes": None}}
    return True
