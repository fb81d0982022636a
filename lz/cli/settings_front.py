"""Settings `domain`, `auth` and `throttle` (issue 12): which front can do each, checked once the
stage's values are merged, with errors that name the front that can; the domain's base path becomes
the adapter's, and a Function URL's custom name the adapter's trusted forwarded host."""

from __future__ import annotations

import json
from typing import Any

from .settings import SettingsError

# Which fronts each `auth` mode fits (an HTTP API: JWT authorizer or IAM on its routes; a Function
# URL: IAM; a REST API: API keys with a usage plan).
AUTH_FRONTS = {"jwt": ("http_api",), "aws_iam": ("http_api", "function_url"), "api_keys": ("rest_api",)}


def auth_mode(auth: str | dict | None) -> str | None:
    """The `auth` setting's mode: "jwt", "aws_iam", "api_keys", or None for anyone."""
    if auth is None:
        return None
    return auth if isinstance(auth, str) else next(iter(auth))


def check_front(stage: str, values: dict[str, Any]) -> None:
    """`domain`, `auth` and `throttle` each need a front that can do them; the domain's base path
    is the adapter's (one value: both set and different is an error)."""
    http, mode = values["http"], auth_mode(values["auth"])
    front = f'"http" is {json.dumps(http)}'
    if mode is not None and http not in AUTH_FRONTS[mode]:
        can = " or ".join(f'"{f}"' for f in AUTH_FRONTS[mode])
        raise SettingsError(f'stage "{stage}": "auth" {mode} needs "http" {can}, and {front}: change '
                            f'"http", or pick an auth mode the front has ({_modes_of(http)})')
    if mode == "aws_iam" and http == "function_url":
        values["url_auth"] = "AWS_IAM"  # the URL's own auth type is the IAM check
    if values["throttle"] is not None and http not in ("http_api", "rest_api"):
        raise SettingsError(f'stage "{stage}": "throttle" is set on the API stage, and {front}: '
                            'use "http": "http_api" or "rest_api", or remove "throttle" (a Function URL '
                            'has no throttle; reserved_concurrency caps the function itself)')
    domain = values["domain"]
    if domain is None:
        return
    if http is False:
        raise SettingsError(f'stage "{stage}": "domain" needs an HTTP front, and "http" is false')
    if http == "function_url" and values["url_auth"] == "AWS_IAM":
        raise SettingsError(f'stage "{stage}": "domain" on a Function URL puts CloudFront in front of it, '
                            'and lz sets up no origin access control to sign its requests to an AWS_IAM '
                            'URL: use auth NONE on the URL, or "http": "http_api" with "auth": "aws_iam"')
    base = (domain.get("base_path") or "").strip("/")
    adapter_base = ((values["adapter"] or {}).get("base_path") or "").strip("/")
    if base and adapter_base and base != adapter_base:
        raise SettingsError(f'stage "{stage}": "domain"."base_path" is "{base}" and "adapter"."base_path" '
                            f'is "{adapter_base}": the adapter strips the domain\'s; drop one of them')
    if base:
        values["adapter"] = {**(values["adapter"] or {}), "base_path": "/" + base}
    if http == "function_url":  # CloudFront sends the custom name as X-Forwarded-Host (distribution.py)
        values["adapter"] = {**(values["adapter"] or {}), "forwarded_host": domain["name"].lower()}


def _modes_of(http: str | bool) -> str:
    modes = [m for m, fronts in AUTH_FRONTS.items() if http in fronts]
    return f"{http} takes " + ", ".join(modes) if modes else "it takes none"
