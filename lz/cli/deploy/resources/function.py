"""The Lambda function, its published versions and the alias `live` that every front invokes.

The end state: `live` points at a version whose code (CodeSha256) and configuration are the desired
ones. Code is uploaded only when its SHA-256 differs from the deployed CodeSha256, configuration is
updated only where it differs, and a version is published only when `live` is not already right.
Each step re-reads what it needs, so a deploy interrupted anywhere converges when run again.

`live` moves only to the version this deploy published, and only from the version its plan saw:
the version is published with the CodeSha256 of this build and the RevisionId of the $LATEST this
deploy checked, and the alias is updated with the RevisionId read from it (Lambda refuses either
call with PreconditionFailedException when someone changed the function or the alias in between).
The stage's lock (deploy/lock.py) keeps other lz processes out; these guard against the rest.
"""

from __future__ import annotations

from ...aws import Aws, AwsError, error_code, not_found
from ..models import ALIAS, Desired, function_name
from ..steps import Step
from . import bucket

KIND = "function"
AFTER = ("role", "logs", "bucket", "static")  # a role to assume, retention from the first line,
# big zips, the static files the new code links to already up


def _get(aws: Aws, name: str, qualifier: str | None = None) -> dict | None:
    """GetFunction ($LATEST, or the version behind `qualifier`), once per command until this kind
    changes the function."""
    return aws.read(("function", name, qualifier), lambda: _fetch(aws, name, qualifier))


def _fetch(aws: Aws, name: str, qualifier: str | None) -> dict | None:
    args = {"FunctionName": name, **({"Qualifier": qualifier} if qualifier else {})}
    try:
        return aws.client("lambda").get_function(**args)
    except Exception as exc:
        if not_found(exc):
            return None
        with aws.explain(f"reading function {name}"):
            raise


# One row per configuration setting: (label, API key, value wanted, value read from the API).
_SETTINGS = [
    ("runtime", "Runtime", lambda w: w.runtime, lambda c: c.get("Runtime")),
    ("handler", "Handler", lambda w: w.handler, lambda c: c.get("Handler")),
    ("memory", "MemorySize", lambda w: w.memory, lambda c: c.get("MemorySize")),
    ("timeout", "Timeout", lambda w: w.timeout, lambda c: c.get("Timeout")),
    ("role", "Role", lambda w: w.role_arn, lambda c: c.get("Role")),
    ("environment", "Environment", lambda w: {"Variables": w.function_environment},
     lambda c: {"Variables": (c.get("Environment") or {}).get("Variables") or {}}),
    ("ephemeral storage", "EphemeralStorage", lambda w: {"Size": w.ephemeral_storage},
     lambda c: {"Size": (c.get("EphemeralStorage") or {}).get("Size", 512)}),
    ("layers", "Layers", lambda w: list(w.layers), lambda c: [layer["Arn"] for layer in c.get("Layers") or []]),
    ("vpc", "VpcConfig",
     lambda w: {"SubnetIds": sorted(w.subnets), "SecurityGroupIds": sorted(w.security_groups)},
     lambda c: {"SubnetIds": sorted((c.get("VpcConfig") or {}).get("SubnetIds") or []),
                "SecurityGroupIds": sorted((c.get("VpcConfig") or {}).get("SecurityGroupIds") or [])}),
    ("tracing", "TracingConfig", lambda w: {"Mode": "Active" if w.tracing else "PassThrough"},
     lambda c: {"Mode": (c.get("TracingConfig") or {}).get("Mode", "PassThrough")}),
    ("snap start", "SnapStart", lambda w: {"ApplyOn": "PublishedVersions" if w.snap_start else "None"},
     lambda c: {"ApplyOn": (c.get("SnapStart") or {}).get("ApplyOn", "None")}),
    ("dead letter", "DeadLetterConfig", lambda w: {"TargetArn": w.dead_letter or ""},
     lambda c: {"TargetArn": (c.get("DeadLetterConfig") or {}).get("TargetArn") or ""}),
    ("logging", "LoggingConfig", lambda w: logging_config(w.log_format, w.log_level),
     lambda c: logging_read(c.get("LoggingConfig"))),
]


# log_level -> Lambda's SystemLogLevel (which has DEBUG, INFO and WARN only)
_SYSTEM_LEVEL = {"TRACE": "DEBUG", "DEBUG": "DEBUG", "INFO": "INFO", "WARN": "WARN", "ERROR": "WARN", "FATAL": "WARN"}


def logging_config(log_format: str, log_level: str | None) -> dict:
    """LoggingConfig for the settings' log_format/log_level. Levels apply to JSON logs only (Lambda
    guide, "Configuring advanced logging controls for Lambda functions"); JSON without a level is
    Lambda's default, INFO for both. The log group stays Lambda's default, /aws/lambda/NAME."""
    if log_format != "json":
        return {"LogFormat": "Text"}
    level = log_level or "INFO"
    return {"LogFormat": "JSON", "ApplicationLogLevel": level, "SystemLogLevel": _SYSTEM_LEVEL[level]}


def logging_read(config: dict | None) -> dict:
    """The parts of a read LoggingConfig that lz sets (absent: Lambda's default, Text)."""
    config = config or {}
    if config.get("LogFormat", "Text") != "JSON":
        return {"LogFormat": "Text"}
    return {"LogFormat": "JSON", "ApplicationLogLevel": config.get("ApplicationLogLevel", "INFO"),
            "SystemLogLevel": config.get("SystemLogLevel", "INFO")}
_SHOWN = ("runtime", "handler", "memory", "timeout", "ephemeral storage", "tracing", "snap start")


def _config_of(want: Desired) -> dict:
    return {key: wanted(want) for _, key, wanted, _ in _SETTINGS}


def _differences(config: dict, want: Desired) -> list[str]:
    out = []
    for label, _, wanted, read in _SETTINGS:
        have, value = read(config), wanted(want)
        if have != value:
            if label in _SHOWN:
                have = next(iter(have.values())) if isinstance(have, dict) else have
                value = next(iter(value.values())) if isinstance(value, dict) else value
                out.append(f"{label} {have} -> {value}")
            else:
                out.append(f"{label} changed")
    return out


def _concurrency(current: dict) -> int | None:
    return (current.get("Concurrency") or {}).get("ReservedConcurrentExecutions")


def _arch(config: dict) -> str:
    return (config.get("Architectures") or ["x86_64"])[0]


def plan(aws: Aws, want: Desired) -> list[Step]:
    size = want.zip_path.stat().st_size
    current, live, async_now = aws.map(lambda read: read(), [
        lambda: _get(aws, want.name), lambda: _get(aws, want.name, ALIAS),
        lambda: _async_config(aws, want.name)])
    if current is None:
        steps = [
            Step(KIND, want.name, "create", "first deploy of this stage",
                 {"zip_bytes": size, "code_sha256": want.code_sha256}),
            Step(KIND, want.name, "publish", f"alias {ALIAS} -> the new version", {"alias": None}),
        ]
        if want.reserved_concurrency is not None:
            steps.append(Step(KIND, want.name, "update",
                              f"reserved concurrency -> {want.reserved_concurrency}", {"part": "concurrency"}))
        steps.append(Step(KIND, want.name, "update", _async_reason(want), {"part": "async", "exists": False}))
        return steps
    steps = []
    latest = current["Configuration"]
    if latest.get("CodeSha256") != want.code_sha256 or _arch(latest) != want.architecture:
        steps.append(Step(KIND, want.name, "update", "code changed",
                          {"part": "code", "zip_bytes": size, "code_sha256": want.code_sha256}))
    config_changes = _differences(latest, want)
    if config_changes:
        steps.append(Step(KIND, want.name, "update", "; ".join(config_changes), {"part": "config"}))
    reserved = _concurrency(current)
    if reserved != want.reserved_concurrency:
        steps.append(Step(KIND, want.name, "update",
                          f"reserved concurrency {reserved} -> {want.reserved_concurrency}",
                          {"part": "concurrency"}))
    live_config = live["Configuration"] if live else None
    if any(s.detail.get("part") in ("code", "config") for s in steps) or live_config is None \
            or live_config.get("CodeSha256") != want.code_sha256 \
            or _differences(live_config, want) or _arch(live_config) != want.architecture:
        reason = f"alias {ALIAS} -> a new version" if live else f"create alias {ALIAS}"
        steps.append(Step(KIND, want.name, "publish", reason, _alias_seen(aws, want.name)))
    if live is None or async_now != _async_wanted(want):
        steps.append(Step(KIND, want.name, "update", _async_reason(want),
                          {"part": "async", "exists": async_now is not None}))
    return steps


def _alias(aws: Aws, name: str) -> dict | None:
    try:
        return aws.client("lambda").get_alias(FunctionName=name, Name=ALIAS)
    except Exception as exc:
        if not_found(exc):
            return None
        with aws.explain(f"reading alias {ALIAS} of {name}"):
            raise


def _alias_seen(aws: Aws, name: str) -> dict:
    """What the plan saw of `live` (none: it did not exist), for the publish step to compare."""
    alias = _alias(aws, name)
    return {"alias": None if alias is None else
            {"version": alias["FunctionVersion"], "revision": alias.get("RevisionId")}}


def _publish(aws: Aws, step: Step, want: Desired) -> None:
    """Publish $LATEST as checked here, then move `live` to that version (see the docstring)."""
    lam = aws.client("lambda")
    latest = settled(aws, want.name)  # an interrupted deploy may have left it Pending or InProgress
    if latest.get("CodeSha256") != want.code_sha256:
        raise AwsError(f"the code of {want.name} changed while this deploy ran (to {latest.get('CodeSha256')}, "
                       f"not this build's {want.code_sha256}): someone else deployed it; nothing was "
                       f"published and {ALIAS} did not move; run lz deploy {want.stage} again")
    guard = {"RevisionId": latest["RevisionId"]} if latest.get("RevisionId") else {}
    with aws.explain(f"publishing a version of {want.name}"):
        version = lam.publish_version(FunctionName=want.name, CodeSha256=want.code_sha256, **guard)["Version"]
    seen = step.detail.get("alias", "unknown")
    if seen is None:  # the plan saw no alias: CreateAlias itself refuses one made since
        try:
            lam.create_alias(FunctionName=want.name, Name=ALIAS, FunctionVersion=version)
            _now_live(aws, want.name, version)
            return
        except Exception as exc:
            if error_code(exc) not in ("ResourceConflictException", "ConflictException"):
                with aws.explain(f"pointing {ALIAS} of {want.name} at version {version}"):
                    raise
    alias = _alias(aws, want.name)
    now = None if alias is None else {"version": alias["FunctionVersion"], "revision": alias.get("RevisionId")}
    if seen != "unknown" and now != seen:
        was = seen["version"] if seen else "nothing"
        raise AwsError(f"alias {ALIAS} of {want.name} moved while this deploy ran (from {was} to "
                       f"{now['version'] if now else 'nothing'}): someone else changed the stage; "
                       f"version {version} is published but {ALIAS} was left alone; run lz deploy "
                       f"{want.stage} again")
    if want.canary and alias is not None and alias["FunctionVersion"] != version:
        from ..canary import shift  # a share of live only; the deploy watches it (deploy/canary.py)

        shift(aws, want, alias, version)
        return
    with aws.explain(f"pointing {ALIAS} of {want.name} at version {version}"):
        if alias is None:
            lam.create_alias(FunctionName=want.name, Name=ALIAS, FunctionVersion=version)
        else:
            lam.update_alias(FunctionName=want.name, Name=ALIAS, FunctionVersion=version,
                             **({"RevisionId": alias["RevisionId"]} if alias.get("RevisionId") else {}))
    _now_live(aws, want.name, version)


def _now_live(aws: Aws, name: str, version: str) -> None:
    """Remember the version `live` now points at (what `lz deploy` prints), instead of reading it."""
    aws.forget("live-version", name)
    aws.read(("live-version", name), lambda: version)


def live_version(aws: Aws, name: str) -> str | None:
    """The version behind `live`: the one this command pointed it at, or as read."""
    def fetch() -> str | None:
        live = _get(aws, name, ALIAS)
        return live["Configuration"].get("Version") if live else None

    return aws.read(("live-version", name), fetch)


def _async_wanted(want: Desired) -> tuple[int, int, str | None]:
    """Async invocations (tasks, S3, SNS, schedules): retries (lz's default is 0, not Lambda's 2,
    so that a failing job is not silently run three times), max event age, failure destination."""
    return want.task_retries, want.task_max_age or 21600, want.on_failure


def _async_reason(want: Desired) -> str:
    retries, age, destination = _async_wanted(want)
    return f"async events: {retries} retries, {age} s max age, failures to {destination or 'nowhere'}"


def _async_config(aws: Aws, name: str) -> tuple[int, int, str | None] | None:
    try:
        config = aws.client("lambda").get_function_event_invoke_config(FunctionName=name, Qualifier=ALIAS)
    except Exception as exc:
        if not_found(exc):
            return None
        with aws.explain(f"reading the async invoke configuration of {name}"):
            raise
    destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    return (config.get("MaximumRetryAttempts", 2), config.get("MaximumEventAgeInSeconds", 21600),
            destination)


# After CreateFunction a function is Pending, after an update its LastUpdateStatus is InProgress,
# and until Lambda is done the next update or PublishVersion fails (Lambda guide, "Lambda function
# states", https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html). The answer of the
# call itself says whether there is anything to wait for; if so, the first look is soon (most
# functions are ready within a second) and the next ones farther apart.
POLLS = (0.25, 0.5, 1.0, 2.0)  # then every 2 s
SETTLE_LIMIT = 300.0  # seconds of waiting before lz gives up (VPC functions can take minutes)
# A role made seconds ago may not be assumable by Lambda yet ("cannot be assumed"): retried on that
# error only, about half a minute in all; any other refusal is explained at once.
ROLE_RETRIES = (0.5, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 4.0)


def _ready(config: dict) -> bool:
    return config.get("State") != "Pending" and config.get("LastUpdateStatus") != "InProgress"


def _check(config: dict, name: str) -> None:
    if config.get("State") == "Failed":
        raise AwsError(f"function {name} could not be set up: {config.get('StateReasonCode', 'Failed')}: "
                       f"{config.get('StateReason', 'no reason given')} (fix the cause, e.g. the vpc "
                       "settings, then run lz deploy again)")
    if config.get("LastUpdateStatus") == "Failed":
        raise AwsError(f"the last update of function {name} failed: "
                       f"{config.get('LastUpdateStatusReasonCode', 'Failed')}: "
                       f"{config.get('LastUpdateStatusReason', 'no reason given')} (run lz deploy again "
                       "once the cause is fixed)")


def settled(aws: Aws, name: str, config: dict | None = None) -> dict:
    """$LATEST's configuration once Lambda is done with it (not Pending, no update InProgress).
    `config` is an answer already in hand (CreateFunction's, UpdateFunctionCode's): when it says
    the function is ready, nothing is read."""
    polls = iter(POLLS)
    waited = 0.0
    while True:
        if config is None:
            with aws.explain(f"reading the configuration of {name}"):
                config = aws.client("lambda").get_function_configuration(FunctionName=name)
        _check(config, name)
        if _ready(config):
            return config
        if waited >= SETTLE_LIMIT:
            raise AwsError(f"function {name} was still {config.get('State')} (update "
                           f"{config.get('LastUpdateStatus')}) after {SETTLE_LIMIT:.0f} s: look at it "
                           "in the Lambda console, then run lz deploy again")
        delay = next(polls, POLLS[-1])
        aws.pause(delay)
        waited += delay
        config = None


def _code(aws: Aws, want: Desired) -> dict:
    """The Code argument: the zip itself, or (above 50 MB) the object uploaded to the project's
    bucket, put there first unless an earlier, interrupted run already did."""
    if not want.via_s3:
        return {"ZipFile": want.zip_path.read_bytes()}
    bucket.upload_code(aws, want)
    return {"S3Bucket": want.bucket, "S3Key": want.code_key}


def _create(aws: Aws, want: Desired) -> dict:
    """CreateFunction, retried while Lambda cannot assume the role yet (see ROLE_RETRIES)."""
    code = _code(aws, want)
    for delay in (*ROLE_RETRIES, None):
        try:
            return aws.client("lambda").create_function(
                FunctionName=want.name, Role=want.role_arn, Code=code,
                Architectures=[want.architecture], Publish=False, Tags=want.tags,
                Description=f"lz: {want.project} {want.stage}", **{
                    k: v for k, v in _config_of(want).items() if k != "Role"},
            )
        except Exception as exc:
            message = getattr(exc, "response", {}).get("Error", {}).get("Message", "")
            if delay is None or "cannot be assumed" not in message:
                with aws.explain(f"creating function {want.name}"):
                    raise
        aws.pause(delay)
    raise AssertionError("unreachable")


def apply(aws: Aws, step: Step, want: Desired) -> None:
    lam = aws.client("lambda")
    aws.forget("function", want.name)
    if step.action == "create":
        settled(aws, want.name, _create(aws, want))
    elif step.action == "update" and step.detail.get("part") == "code":
        with aws.explain(f"uploading the code of {want.name}"):
            made = lam.update_function_code(FunctionName=want.name, Architectures=[want.architecture],
                                            **_code(aws, want))
        settled(aws, want.name, made)
    elif step.action == "update" and step.detail.get("part") == "async":
        retries, age, destination = _async_wanted(want)
        with aws.explain(f"setting the async invoke configuration of {want.name}:{ALIAS}"):
            # Put replaces the whole configuration on AWS; moto appends instead and keeps reporting
            # the first, so an existing one is deleted first (harmless on AWS).
            if step.detail.get("exists", True) and _async_config(aws, want.name) is not None:
                lam.delete_function_event_invoke_config(FunctionName=want.name, Qualifier=ALIAS)
            lam.put_function_event_invoke_config(
                FunctionName=want.name, Qualifier=ALIAS, MaximumRetryAttempts=retries,
                MaximumEventAgeInSeconds=age,
                **({"DestinationConfig": {"OnFailure": {"Destination": destination}}} if destination else {}))
    elif step.action == "update" and step.detail.get("part") == "concurrency":
        with aws.explain(f"setting the reserved concurrency of {want.name}"):
            if want.reserved_concurrency is None:
                lam.delete_function_concurrency(FunctionName=want.name)
            else:
                lam.put_function_concurrency(FunctionName=want.name,
                                             ReservedConcurrentExecutions=want.reserved_concurrency)
    elif step.action == "update":
        with aws.explain(f"updating the configuration of {want.name}"):
            made = lam.update_function_configuration(FunctionName=want.name, **_config_of(want))
        settled(aws, want.name, made)
    elif step.action == "publish":
        _publish(aws, step, want)


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    name = function_name(project, stage)
    return [Step(KIND, name, "delete", "undeploy (its versions and alias go with it)")] \
        if _get(aws, name) else []


def delete(aws: Aws, step: Step) -> None:
    aws.forget("function", step.name)
    aws.forget("live-version", step.name)
    aws.forget("lambda-policy", step.name)
    with aws.explain(f"deleting function {step.name}"):
        aws.client("lambda").delete_function(FunctionName=step.name)
