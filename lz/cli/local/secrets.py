"""`lz serve STAGE` sees what Lambda sees: the stage's `secrets` are read the way the function reads
them (lz/runtime/secrets.py, one parser and one reader), here with the developer's own AWS
credentials through boto3, or from an env file for offline work (`--env-file .env`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable


class LocalSecretsError(Exception):
    """The stage's secrets cannot be read here; the message says which and what to do."""


def _boto3_call(region: str | None) -> Callable[[str, str, dict], dict]:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from lz.runtime.sigv4 import AwsCallError

    session = boto3.Session(region_name=region) if region else boto3.Session()
    clients: dict[str, Any] = {}

    def call(service: str, operation: str, params: dict) -> dict:
        if service not in clients:
            clients[service] = session.client(service)
        method = "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")
        try:
            return getattr(clients[service], method)(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise AwsCallError(f"{service} {operation}: {error.get('Code')}: {error.get('Message')}",
                               str(error.get("Code", ""))) from None
        except BotoCoreError as exc:
            raise AwsCallError(f"{service} {operation}: {exc}", "Client") from None

    return call


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (blank lines, # comments, `export `, and single or double quotes allowed)."""
    out = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LocalSecretsError(f"cannot read --env-file {path}: {exc.strerror}") from None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not name.strip():
            raise LocalSecretsError(f"{path}:{number}: expected NAME=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[name.strip()] = value
    return out


def local_secrets(stage: Any, env_file: Path | None = None) -> dict[str, str]:
    """The values of the stage's secrets (variable -> value) for a local run; from `env_file` (every
    variable it holds, which must include each secret), else read from AWS as the function does."""
    if env_file is not None:
        values = read_env_file(env_file)
        missing = sorted(set(stage.secrets) - set(values))
        if missing:
            raise LocalSecretsError(f"--env-file {env_file} has no {', '.join(missing)}: stage {stage.name} "
                                    "reads them from its \"secrets\"; add them to the file")
        return values
    if not stage.secrets:
        return {}
    from lz.runtime.secrets import SecretsError, parse, resolve

    try:
        return resolve({name: parse(text) for name, text in stage.secrets.items()}, _boto3_call(stage.region))
    except SecretsError as exc:
        raise LocalSecretsError(f"{exc} (read with your AWS credentials; for offline work pass --env-file "
                                "FILE with NAME=VALUE lines)") from None
