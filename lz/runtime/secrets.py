"""Secrets into os.environ at cold start, before the app is imported.

The function's configuration carries only references, in LZ_SECRETS (a JSON object, variable ->
reference); a reference names where a value lives and is not itself secret. The values are read
here, inside the execution environment, with the function's own role, and exist only in this
process's memory: never in the function's environment variables, the bundle, a plan or a log line.

References:
    ssm:/myapp/prod/db_password           an SSM parameter (String or SecureString, decrypted)
    ssm:arn:aws:ssm:REGION:ACCOUNT:parameter/myapp/prod/db_password
    secretsmanager:myapp/stripe           a Secrets Manager secret's whole SecretString
    secretsmanager:myapp/stripe#api_key   one key of a secret whose SecretString is a JSON object

SSM parameters are read with GetParameters (up to 10 names a call: one call for up to 10
parameters); each distinct Secrets Manager secret with one GetSecretValue, since
BatchGetSecretValue would need `secretsmanager:BatchGetSecretValue`, an action IAM cannot scope to
the stage's secrets. `lz deploy` has already checked that each exists; one that is missing here
(deleted since) fails the cold start with an init error naming the variable and its reference.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

ENV = "LZ_SECRETS"
SSM_BATCH = 10  # GetParameters takes at most 10 names ("GetParameters", SSM API reference)
SERVICES = ("ssm", "secretsmanager")


class SecretsError(RuntimeError):
    """A secret that cannot be read; the message names the variable and its reference, never a value."""


class Ref:
    """One reference: `service`, the parameter's or secret's name or ARN (`id`), and for Secrets
    Manager an optional JSON `key`."""

    __slots__ = ("service", "id", "key", "text")

    def __init__(self, service: str, id: str, key: str | None, text: str) -> None:
        self.service, self.id, self.key, self.text = service, id, key, text

    def __repr__(self) -> str:
        return f"Ref({self.text!r})"


def parse(text: str) -> Ref:
    """A reference as the settings write it; ValueError saying what a good one looks like."""
    service, sep, rest = text.partition(":") if isinstance(text, str) else ("", "", "")
    if not sep or service not in SERVICES or not rest.strip():
        raise ValueError(f"{text!r} is not a secret reference: write ssm:/NAME (an SSM parameter) or "
                         "secretsmanager:NAME or secretsmanager:NAME#KEY (a secret, or one key of a JSON "
                         "secret)")
    key = None
    if service == "secretsmanager" and "#" in rest:
        rest, key = rest.rsplit("#", 1)
        if not key or not rest:
            raise ValueError(f"{text!r}: a key after # and a secret before it are both needed "
                             "(secretsmanager:NAME#KEY)")
    if " " in rest:
        raise ValueError(f"{text!r}: names of parameters and secrets hold no spaces")
    return Ref(service, rest, key, text)


def references(raw: str) -> dict[str, Ref]:
    """LZ_SECRETS decoded: variable -> Ref."""
    import json

    try:
        data = json.loads(raw)
    except ValueError:
        raise SecretsError(f"{ENV} is not JSON: redeploy the stage (lz deploy) to set it again") from None
    if not isinstance(data, dict):
        raise SecretsError(f"{ENV} must be a JSON object of variable -> reference")
    out = {}
    for name, text in data.items():
        try:
            out[name] = parse(text)
        except ValueError as exc:
            raise SecretsError(f"secret {name}: {exc}") from None
    return out


def _ssm_name(ref: Ref) -> str:
    """What GetParameters answers with as the parameter's Name (it takes names or ARNs)."""
    if ref.id.startswith("arn:"):
        name = ref.id.split(":parameter", 1)[-1]
        return name if name.startswith("/") else name.lstrip("/")
    return ref.id


def read_ssm(refs: dict[str, Ref], call: Callable) -> dict[str, str]:
    """variable -> value for every ssm: reference, in calls of up to 10 names."""
    wanted = sorted({r.id for r in refs.values()})
    values: dict[str, str] = {}
    invalid: set[str] = set()
    for start in range(0, len(wanted), SSM_BATCH):
        answer = call("ssm", "GetParameters", {"Names": wanted[start:start + SSM_BATCH], "WithDecryption": True})
        for parameter in answer.get("Parameters") or []:
            values[parameter["Name"]] = parameter.get("Value", "")
            if parameter.get("ARN"):
                values[parameter["ARN"]] = parameter.get("Value", "")
        invalid.update(answer.get("InvalidParameters") or [])
    out, missing = {}, []
    for var, ref in refs.items():
        name = _ssm_name(ref)
        if ref.id in values or name in values:
            out[var] = values.get(ref.id, values.get(name))
        else:
            missing.append(f"{var} ({ref.text})")
    if missing:
        raise SecretsError("SSM parameter not found for secret " + ", ".join(missing)
                           + ": create it (aws ssm put-parameter) or fix the stage's \"secrets\"")
    return out


def read_secretsmanager(refs: dict[str, Ref], call: Callable) -> dict[str, str]:
    """variable -> value for every secretsmanager: reference, one call per distinct secret."""
    import json

    strings: dict[str, str] = {}
    for secret in sorted({r.id for r in refs.values()}):
        users = ", ".join(f"{v} ({r.text})" for v, r in refs.items() if r.id == secret)
        try:
            answer = call("secretsmanager", "GetSecretValue", {"SecretId": secret})
        except Exception as exc:
            code = getattr(exc, "code", "")
            if code == "ResourceNotFoundException":
                raise SecretsError(f"Secrets Manager secret not found for secret {users}: create it or fix "
                                   "the stage's \"secrets\"") from None
            raise SecretsError(f"cannot read the Secrets Manager secret of {users}: {exc}") from None
        if "SecretString" not in answer:
            raise SecretsError(f"the secret of {users} holds binary data (SecretBinary): lz reads "
                               "SecretString secrets only")
        strings[secret] = answer["SecretString"]
    out = {}
    for var, ref in refs.items():
        text = strings[ref.id]
        if ref.key is None:
            out[var] = text
            continue
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise SecretsError(f"secret {var} ({ref.text}): the secret is not a JSON object, so it has no "
                               f"key {ref.key!r}: drop #{ref.key} to read it whole")
        if ref.key not in document:
            raise SecretsError(f"secret {var} ({ref.text}): the secret has no key {ref.key!r}; its keys: "
                               + ", ".join(sorted(map(str, document))))
        value = document[ref.key]
        out[var] = value if isinstance(value, str) else json.dumps(value)
    return out


def resolve(refs: dict[str, Ref], call: Callable) -> dict[str, str]:
    """variable -> value for every reference; `call(service, operation, params)` is the AWS call
    (the runtime's sigv4.call; the CLI passes one made of boto3 clients)."""
    out: dict[str, str] = {}
    for service, reader in (("ssm", read_ssm), ("secretsmanager", read_secretsmanager)):
        mine = {v: r for v, r in refs.items() if r.service == service}
        if mine:
            try:
                out.update(reader(mine, call))
            except SecretsError:
                raise
            except Exception as exc:  # the call failed: denied, throttled, unreachable
                names = ", ".join(f"{v} ({r.text})" for v, r in mine.items())
                raise SecretsError(f"cannot read secret {names}: {exc}") from None
    return out


def load() -> None:
    """At cold start: every LZ_SECRETS reference into os.environ, or SecretsError (an init error)."""
    raw = os.environ.get(ENV)
    if not raw:
        return
    from .sigv4 import call

    os.environ.update(resolve(references(raw), call))
