"""Checks and parsers for the settings of running a stage in production: `secrets`, `alarms`,
`deploy` (canary), `log_format`/`log_level`. The schema (settings_keys.py) checks shapes; these
check what a shape cannot say (a secret shadowing an `environment` variable, a log level without
JSON logs, a canary of 0 %)."""

from __future__ import annotations

import re
from typing import Any

# Lambda sets these itself and refuses them as function variables ("Defined runtime environment
# variables", Lambda guide); lz's own LZ_ variables are its runtime's.
RESERVED = ("AWS_", "LAMBDA_", "_HANDLER", "_X_AMZN_TRACE_ID", "LZ_", "TZ", "LANG", "PATH",
            "LD_LIBRARY_PATH", "PYTHONPATH")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _error(message: str) -> Exception:
    from .settings import SettingsError

    return SettingsError(message)


def percent(text: str) -> float:
    """"10%" -> 0.1."""
    return float(text.rstrip("%")) / 100


def duration(text: str) -> int:
    """"30s", "10m", "3h", "2d" -> seconds; ValueError for anything else."""
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration: write a number and a unit, like 30s, 10m, 3h or 2d")
    return int(match.group(1)) * _UNITS[match.group(2)]


def check_operations(stage: str, values: dict[str, Any]) -> None:
    from lz.runtime.secrets import parse

    for name, reference in values["secrets"].items():
        where = f'stage "{stage}": "secrets"."{name}"'
        if not _NAME.match(name):
            raise _error(f"{where}: a variable name is letters, digits and _, not starting with a digit")
        if name.startswith(RESERVED) or name in RESERVED:
            raise _error(f"{where}: {name} is reserved by Lambda or lz; choose another name")
        if name in values["environment"]:
            raise _error(f'{where}: "environment" sets {name} too; a secret would replace it at cold '
                         "start: keep one of them")
        try:
            parse(reference)
        except ValueError as exc:
            raise _error(f"{where}: {exc}") from None
    if values["log_level"] and values["log_format"] != "json":
        raise _error(f'stage "{stage}": "log_level" needs "log_format": "json" (Lambda applies log levels '
                     'to JSON logs only): add "log_format": "json" or remove "log_level"')
    canary = values["deploy"].get("canary")
    if canary is not None and not 0 < percent(canary) < 1:
        raise _error(f'stage "{stage}": "deploy"."canary" is the share of traffic the new version gets '
                     f'while it is watched: more than 0% and less than 100%, got {canary}')
    if values["deploy"].get("for") is not None and canary is None:
        raise _error(f'stage "{stage}": "deploy"."for" is how long a canary is watched: add "canary" '
                     '(e.g. "10%") or remove "for"')
    rate = values["alarms"].get("error_rate")
    if rate is not None and not 0 < percent(rate) <= 1:
        raise _error(f'stage "{stage}": "alarms"."error_rate" must be more than 0% and at most 100%, got {rate}')
    if values["alarms"] and set(values["alarms"]) == {"notify"}:
        raise _error(f'stage "{stage}": "alarms" has only "notify": add at least one of error_rate, '
                     "p99_ms, throttles, dlq")


def refuse_secret_targets(sources: list, secrets: dict[str, str]) -> None:
    """A "${VAR}" source target naming one of the stage's secrets: secrets exist only inside the
    function, at run time, and are never interpolated into settings (nor bucket, queue or topic
    names); RegistryError saying to use `environment` instead."""
    from .registry import RegistryError

    for source in sources:
        target = source.target
        if target.startswith("${") and target.endswith("}") and target[2:-1] in secrets:
            raise RegistryError(f"{source.origin}: @on_{source.kind} names {target}, one of the stage's "
                                '"secrets": secrets are read inside the function only and never interpolated '
                                'into settings; put the name in "environment" instead')
