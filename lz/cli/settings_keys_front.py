"""The keys of a stage's front door (`domain`, `auth`, `throttle`) as plain data, in the form of
settings_keys.KEYS, which includes them at their place: JSON Schema, default, what each is for.
settings_front.py checks which front can do each once a stage's values are merged."""

from __future__ import annotations

from typing import Any

AUTH_MODES = ("aws_iam",)  # the string form of `auth`; the others are objects (jwt, api_keys)
QUOTA_PERIODS = ("DAY", "WEEK", "MONTH")
HOSTNAME = r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"

FRONT_KEYS: dict[str, tuple[dict[str, Any], Any, str]] = {
    "domain": (
        {
            "type": ["object", "null"],
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "pattern": HOSTNAME},
                "base_path": {"type": ["string", "null"], "pattern": r"^/?[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*/?$"},
                "certificate_arn": {"type": ["string", "null"], "pattern": r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/"},
                "zone": {"type": ["string", "null"], "pattern": r"^(/hostedzone/)?Z[A-Z0-9]{1,31}$"},
            },
        },
        None,
        "Custom domain of the front: {\"name\": \"api.example.com\", \"base_path\": \"v1\" (optional; "
        "the adapter strips it), \"certificate_arn\": ARN (optional; else an ISSUED ACM certificate "
        "covering the name, or one lz requests with DNS validation), \"zone\": Route 53 hosted zone id "
        "(optional; found from the name)}. HTTP and REST APIs get a regional API Gateway domain "
        "(TLS 1.2); a Function URL gets a CloudFront distribution (certificate in us-east-1).",
    ),
    "auth": (
        {"anyOf": [
            {"enum": [*AUTH_MODES, None]},
            {
                "type": "object",
                "additionalProperties": False,
                "minProperties": 1,
                "maxProperties": 1,
                "properties": {
                    "jwt": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["issuer", "audience"],
                        "properties": {
                            "issuer": {"type": "string", "pattern": r"^https://"},
                            "audience": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                    "api_keys": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "quota": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["limit", "period"],
                                "properties": {
                                    "limit": {"type": "integer", "minimum": 1},
                                    "period": {"enum": list(QUOTA_PERIODS)},
                                },
                            },
                        },
                    },
                },
            },
        ]},
        None,
        "Who may call the front: {\"jwt\": {\"issuer\": URL, \"audience\": [...]}} (HTTP API JWT "
        "authorizer on every route), \"aws_iam\" (HTTP API or Function URL: SigV4-signed callers "
        "with invoke permission), or {\"api_keys\": {\"quota\": {\"limit\": N, \"period\": \"DAY\"}}} "
        "(REST API keys and a usage plan; `lz keys create/list/revoke`). null: anyone.",
    ),
    "throttle": (
        {
            "type": ["object", "null"],
            "additionalProperties": False,
            "required": ["rate", "burst"],
            "properties": {
                "rate": {"type": "number", "minimum": 0},
                "burst": {"type": "integer", "minimum": 0},
            },
        },
        None,
        "Steady requests per second and burst on the HTTP API / REST stage (and the API keys' usage "
        "plan): {\"rate\": 100, \"burst\": 200}. null: AWS's account-level limits.",
    ),
}
