"""lz_settings.json: stages, `extends` inheritance, validation against one schema, and that schema
published as JSON Schema (`lz schema`).

The schema is plain data, written once; the validator walks it to give errors that name the stage,
the key, what was expected, and the nearest valid key, which a generic JSON Schema validator would
not say as plainly.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .settings_keys import ARCHITECTURES, KEYS, RUNTIMES

__all__ = ["ARCHITECTURES", "FILENAME", "KEYS", "RUNTIMES", "SettingsError", "Stage", "load", "schema"]
FILENAME = "lz_settings.json"


class SettingsError(Exception):
    """A settings file that cannot be used; the message says what and how to fix it."""


def function_name(project: str, stage: str) -> str:
    """PROJECT-STAGE (64 characters at most): the deployed function's name, and the stem of its
    role's, log group's, API's and task queue's names."""
    return f"{project}-{stage}"[:64]


def log_group_name(project: str, stage: str) -> str:
    """Where Lambda writes the function's log (deploy sets its retention, tail reads it)."""
    return f"/aws/lambda/{function_name(project, stage)}"


def role_name(project: str, stage: str) -> str:
    """The function's execution role."""
    return f"{project}-{stage}-lambda"[:64]


@dataclass(frozen=True)
class Stage:
    """One stage's settings, validated, with defaults filled in."""

    name: str
    project: str
    root: Path
    app: str
    runtime: str
    architecture: str
    requirements: str | None
    region: str | None
    memory: int
    http: str | bool
    url_auth: str
    binary_media_types: list[str]
    cors: dict
    on_failure: str | None
    log_retention_days: int
    ephemeral_storage: int
    layers: list[str]
    vpc: dict[str, list[str]]
    reserved_concurrency: int | None
    tracing: bool
    snap_start: bool
    dead_letter: str | None
    permissions: list[dict]
    policy_arns: list[str]
    events: list[dict]
    include: list[str]
    exclude: list[str]
    environment: dict[str, str]
    timeout: int
    keep_boto3: bool
    dependency_sources: bool
    build_from_source: list[str]
    adapter: dict[str, Any] = field(default_factory=dict)
    tasks: dict[str, Any] = field(default_factory=dict)
    task_bucket: str | None = None
    allow_raw_invoke: bool = False
    keep_tests: list[str] = field(default_factory=list)
    workflows: dict[str, dict[str, Any]] = field(default_factory=dict)  # per @workflow name
    stream: bool = False  # responses streamed (fronts that can: function_url, rest_api)
    static: bool | dict[str, Any] = True  # static files: see lz/cli/bundle/static.py
    engine: str = "lz"  # who deploys: lz's engine or a CloudFormation stack (lz/cli/stack/)
    secrets: dict[str, str] = field(default_factory=dict)  # variable -> reference (lz/runtime/secrets.py)
    alarms: dict[str, Any] = field(default_factory=dict)
    deploy: dict[str, str] = field(default_factory=dict)  # canary, for
    log_format: str = "text"
    log_level: str | None = None
    domain: dict[str, Any] | None = None  # custom domain (front.py): name, base_path, certificate_arn, zone
    auth: str | dict[str, Any] | None = None  # "aws_iam", {"jwt": ...}, {"api_keys": ...}
    throttle: dict[str, Any] | None = None  # {"rate": n, "burst": n} on the API stage

    @property
    def function_name(self) -> str:
        return function_name(self.project, self.name)

    @property
    def log_group(self) -> str:
        return log_group_name(self.project, self.name)

    @property
    def python_version(self) -> str:
        return self.runtime.removeprefix("python")


def schema() -> dict[str, Any]:
    """The JSON Schema of lz_settings.json."""
    stage = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            key: {**spec, "description": text, **({"default": default} if default not in (None, [], {}) else {})}
            for key, (spec, default, text) in KEYS.items()
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "lz settings",
        "description": "lz_settings.json: one object per stage (stage names: letters, digits, - and _).",
        "type": "object",
        "propertyNames": {"pattern": r"^[A-Za-z0-9_-]{1,40}$"},
        "additionalProperties": stage,
    }


# Other names users know a value by: spelling is no guide for these (amd64 is not close to x86_64).
SYNONYMS = {"amd64": "x86_64", "x86-64": "x86_64", "x64": "x86_64", "intel": "x86_64",
            "aarch64": "arm64", "graviton": "arm64", "arm64v8": "arm64"}
WHY_RUNTIMES = ("lz supports the Lambda Python runtimes on Amazon Linux 2023, whose glibc 2.34 it "
                "picks wheels for; python3.11 and older run on Amazon Linux 2 (glibc 2.26), which lz "
                "does not build for: move the app to python3.12 or newer")


def _nearest(word: str, options: list[str]) -> str:
    synonym = SYNONYMS.get(word.lower())
    if synonym in options:
        return f' (did you mean "{synonym}"? it is the same architecture by another name)'
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)


def _check(value: Any, spec: dict[str, Any], where: str) -> None:
    """Raise SettingsError when `value` does not fit `spec` (the subset of JSON Schema KEYS uses)."""
    if "anyOf" in spec:
        _check_any(value, spec["anyOf"], where)
        return
    if "enum" in spec:
        if value not in spec["enum"]:
            choices = ", ".join(json.dumps(v) for v in spec["enum"])
            hint = _nearest(str(value), [str(v) for v in spec["enum"]])
            why = f"; {WHY_RUNTIMES}" if where.endswith('"runtime"') else ""
            hint = "" if why else hint
            raise SettingsError(f"{where} must be one of {choices}, got {json.dumps(value)}{hint}{why}")
        return
    kinds = spec.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds or []
    ok = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
        "null": lambda v: v is None,
    }
    if kinds and not any(ok[k](value) for k in kinds):
        wanted = " or ".join({"string": "a string", "integer": "an integer", "number": "a number",
                              "boolean": "true or false",
                              "array": "a list", "object": "an object", "null": "null"}[k] for k in kinds)
        raise SettingsError(f"{where} must be {wanted}, got {_type_name(value)} {json.dumps(value)}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = spec.get("minimum"), spec.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            raise SettingsError(f"{where} must be from {low} to {high}, got {value}")
    if isinstance(value, str) and "pattern" in spec:
        import re

        if not re.match(spec["pattern"], value):
            shape = ("an AWS region like us-east-1" if "region" in where else
                     "a host name like api.example.com" if where.endswith('"name"') else
                     "a path like v1 or api/v2 (letters, digits, . _ ~ -)" if "base_path" in where else
                     "an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)"
                     if "certificate_arn" in where else
                     "a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ" if where.endswith('"zone"') else
                     "an https:// issuer URL" if "issuer" in where else
                     "an SQS queue or SNS topic ARN" if "dead_letter" in where else
                     "an SQS, SNS, Lambda or EventBridge ARN" if "on_failure" in where else
                     "an S3 bucket name" if "bucket" in where else
                     "a URL path that starts and ends with /, like /static/" if '"url"' in where else
                     "ssm:/NAME, secretsmanager:NAME or secretsmanager:NAME#KEY" if '"secrets"' in where else
                     "an email address or an SNS topic ARN" if '"notify"' in where else
                     'a percentage like "10%"' if '"canary"' in where or '"error_rate"' in where else
                     'a duration like "30s", "10m" or "1h"' if '"for"' in where else
                     "package.module:app")
            raise SettingsError(f"{where} must look like {shape}, got {json.dumps(value)}")
    if isinstance(value, list) and "items" in spec:
        for index, item in enumerate(value):
            _check(item, spec["items"], f"{where}[{index}]")
    if isinstance(value, dict):
        if len(value) < spec.get("minProperties", 0) or len(value) > spec.get("maxProperties", len(value)):
            props = spec.get("properties", {})
            raise SettingsError(f"{where} must hold exactly one of {', '.join(props)}, got "
                                f"{', '.join(value) or 'none'}")
        if spec.get("additionalProperties", True) is False:  # a misspelt key first, then a missing one
            unknown = [key for key in value if key not in spec.get("properties", {})]
            if unknown:
                props = list(spec.get("properties", {}))
                raise SettingsError(f'{where} has an unknown key "{unknown[0]}"{_nearest(unknown[0], props)}; '
                                    f"valid keys: {', '.join(props)}")
        for key in spec.get("required", ()):
            if key not in value:
                raise SettingsError(f'{where} needs "{key}"')
        props = spec.get("properties", {})
        extra = spec.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                _check(item, props[key], f'{where}."{key}"')
            elif extra is False:
                raise SettingsError(
                    f'{where} has an unknown key "{key}"{_nearest(key, list(props))}; '
                    f"valid keys: {', '.join(props)}"
                )
            elif isinstance(extra, dict):
                _check(item, extra, f'{where}."{key}"')


def _check_any(value: Any, options: list[dict[str, Any]], where: str) -> None:
    """`anyOf`: the value fits one of the options; otherwise the error of the option made for
    values of its kind (an object is judged against the object form, a string against the names)."""
    for option in options:
        try:
            _check(value, option, where)
            return
        except SettingsError:
            continue
    objects = [o for o in options if o.get("type") == "object"]
    if isinstance(value, dict) and objects:
        _check(value, objects[0], where)
    names = [o for o in options if "enum" in o]
    if names:
        words = [json.dumps(v) for v in names[0]["enum"]]
        shapes = " or ".join(words + (["an object"] if objects else []))
        hint = _nearest(str(value), [str(v) for v in names[0]["enum"] if v is not None])
        raise SettingsError(f"{where} must be {shapes}, got {json.dumps(value)}{hint}")
    raise SettingsError(f"{where} does not fit any of its forms, got {json.dumps(value)}")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_file(root: Path) -> dict[str, Any]:
    path = root / FILENAME
    if not path.is_file():
        raise SettingsError(
            f"no {FILENAME} in {root}: run `lz init` there to write one (it finds your app), or "
            "run lz from the project directory (or pass --project DIR); `lz schema` prints every "
            "key, and README's Settings section shows them by example"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(f"{FILENAME} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"{FILENAME} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(data, dict) or not data:
        raise SettingsError(
            f'{FILENAME} must be an object with one entry per stage, like {{"dev": {{"app": "app:app"}}}}'
        )
    return data


def load(root: Path | str, stage: str) -> Stage:
    """The validated settings of `stage` in `root`/lz_settings.json, `extends` resolved."""
    root = Path(root).resolve()
    data = read_file(root)
    if stage not in data:
        raise SettingsError(
            f'no stage "{stage}" in {FILENAME}{_nearest(stage, list(data))}; '
            f"stages: {', '.join(data)}"
        )
    chain: list[str] = []
    merged: dict[str, Any] = {}
    name: str | None = stage
    while name is not None:
        if name in chain:
            raise SettingsError(
                f"{FILENAME}: stages extend each other in a circle: {' -> '.join(chain + [name])}"
            )
        chain.append(name)
        raw = data.get(name)
        if raw is None:
            raise SettingsError(
                f'stage "{chain[-2]}" extends "{name}", which is not in {FILENAME}'
                f"{_nearest(name, list(data))}"
            )
        if not isinstance(raw, dict):
            raise SettingsError(f'stage "{name}" must be an object, got {_type_name(raw)}')
        for key, value in raw.items():
            if key not in KEYS:
                raise SettingsError(
                    f'stage "{name}": unknown key "{key}"{_nearest(key, list(KEYS))}; '
                    f"valid keys: {', '.join(KEYS)}"
                )
            _check(value, KEYS[key][0], f'stage "{name}": "{key}"')
        merged = _merge(raw, merged)
        name = raw.get("extends")
    values = {key: merged.get(key, default) for key, (_, default, _) in KEYS.items()}
    if not values["app"]:
        raise SettingsError(
            f'stage "{stage}" has no "app": set it to your WSGI/ASGI app as module:attribute, '
            'e.g. "app": "myproject.app:app"'
        )
    if not stage.replace("-", "").replace("_", "").isalnum():
        raise SettingsError(f'stage name "{stage}" may only hold letters, digits, - and _')
    values.pop("extends")
    if values["stream"]:
        _check_stream(stage, values)
    _check_static(stage, values["static"])
    from .settings_ops import check_operations

    check_operations(stage, values)
    from .settings_front import check_front

    check_front(stage, values)
    return Stage(name=stage, project=_project_name(root), root=root, **values)


STREAMING_FRONTS = ("function_url", "rest_api")


def _check_stream(stage: str, values: dict[str, Any]) -> None:
    """`"stream": true` needs a front that can stream, and lz's exec wrapper in the environment."""
    http = values["http"]
    if http not in STREAMING_FRONTS:
        why = ("HTTP APIs cannot stream responses (they buffer the whole answer)" if http == "http_api"
               else "the stage has no HTTP front" if http is False else f"{http} cannot stream")
        raise SettingsError(
            f'stage "{stage}": "stream": true needs a front that can stream, and {why}: set "http" to '
            '"function_url" (a Function URL in invoke mode RESPONSE_STREAM) or "rest_api" (a REST API '
            'in response transfer mode STREAM), or set "stream": false'
        )
    wrapper = values["environment"].get("AWS_LAMBDA_EXEC_WRAPPER")
    if wrapper:
        raise SettingsError(
            f'stage "{stage}": "stream": true runs lz\'s runtime loop through its own exec wrapper, '
            f'and "environment" sets AWS_LAMBDA_EXEC_WRAPPER={wrapper}: Lambda runs one wrapper; '
            'remove it from "environment", or set "stream": false'
        )


def _check_static(stage: str, static: bool | dict[str, Any]) -> None:
    """`"static"` as an object says where the files come from or go: "bucket" and/or "dir"."""
    if not isinstance(static, dict):
        return
    where = f'stage "{stage}": "static"'
    if "bucket" not in static and "dir" not in static:
        raise SettingsError(
            f'{where} needs "bucket" (upload the static files to S3: a name, or null for lz to name '
            'it) or "dir" (a folder of the project to serve, for apps that are not Django); true '
            "serves a Django app's collected files from the function")
    if "url" in static and "dir" not in static:
        raise SettingsError(f'{where}: "url" goes with "dir"; a Django app\'s URL is its STATIC_URL setting')
    folder = static.get("dir")
    if folder is not None and (not folder or folder.startswith("/") or ".." in folder.split("/")):
        raise SettingsError(f'{where}: "dir" must be a folder inside the project, relative to it, got '
                            f"{json.dumps(folder)}")


def _project_name(root: Path) -> str:
    name = "".join(c if c.isalnum() or c == "-" else "-" for c in root.name.lower()).strip("-")
    return name or "app"
