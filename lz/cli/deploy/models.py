"""What a stage should look like in AWS, computed from its settings and its bundle alone."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..aws import TAG_PROJECT, TAG_STAGE
from ..settings import Stage

ALIAS = "live"
DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024  # Lambda takes bigger zips only from S3


@dataclass(frozen=True)
class Desired:
    project: str
    stage: str
    region: str
    account: str
    runtime: str
    architecture: str
    handler: str
    memory: int
    timeout: int
    environment: dict[str, str]
    log_retention_days: int
    http: str | bool
    url_auth: str
    zip_path: Path
    code_sha256: str
    binary_media_types: tuple[str, ...] = ("*/*",)
    cors: dict = field(default_factory=dict)
    on_failure: str | None = None
    ephemeral_storage: int = 512
    layers: tuple[str, ...] = ()
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    reserved_concurrency: int | None = None
    tracing: bool = False
    snap_start: bool = False
    dead_letter: str | None = None
    permissions: tuple[dict, ...] = ()
    policy_arns: tuple[str, ...] = ()
    schedules: tuple = ()  # registry.Schedule: from @schedule in the code and `events` in settings
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Function, role, log group and API name: PROJECT-STAGE (64 characters at most)."""
        return f"{self.project}-{self.stage}"[:64]

    @property
    def role_name(self) -> str:
        return f"{self.project}-{self.stage}-lambda"[:64]

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{self.role_name}"

    @property
    def function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"

    @property
    def alias_arn(self) -> str:
        return f"{self.function_arn}:{ALIAS}"

    @property
    def via_s3(self) -> bool:
        return self.zip_path.stat().st_size > DIRECT_UPLOAD_LIMIT

    @property
    def bucket(self) -> str:
        """The project's code bucket (one per project, account and region; stages share it)."""
        return f"lz-{self.project}-{self.account}-{self.region}"[:63].rstrip("-")

    @property
    def code_key(self) -> str:
        return f"{self.stage}/{base64.b64decode(self.code_sha256).hex()}.zip"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"

    def policy(self) -> dict:
        """The execution role's inline policy: its own log group, invoking itself, its dead-letter
        target if any, and the statements the settings add; nothing else, no wildcard."""
        group = f"arn:aws:logs:{self.region}:{self.account}:log-group:{self.log_group}"
        statements = [
            {"Sid": "OwnLogs", "Effect": "Allow",
             "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [f"{group}:*", f"{group}:log-stream:*"]},
            {"Sid": "InvokeSelf", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
             "Resource": [self.function_arn, f"{self.function_arn}:*"]},
        ]
        for sid, target in (("DeadLetter", self.dead_letter), ("OnFailure", self.on_failure)):
            if target:
                service = target.split(":")[2]
                action = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "lambda": "lambda:InvokeFunction",
                          "events": "events:PutEvents"}[service]
                statements.append({"Sid": sid, "Effect": "Allow", "Action": [action], "Resource": [target]})
        statements.extend(dict(statement) for statement in self.permissions)
        return {"Version": "2012-10-17", "Statement": statements}

    def cors_configuration(self) -> dict:
        """The HTTP API CorsConfiguration for the `cors` setting ({} when there is none)."""
        names = {"allow_origins": "AllowOrigins", "allow_methods": "AllowMethods",
                 "allow_headers": "AllowHeaders", "expose_headers": "ExposeHeaders",
                 "allow_credentials": "AllowCredentials", "max_age": "MaxAge"}
        return {names[k]: v for k, v in self.cors.items()}

    @property
    def managed_policies(self) -> list[str]:
        """AWS-managed policies the settings call for: what needs `Resource: "*"` by AWS's own
        design (VPC network interfaces, X-Ray) comes from AWS's policies, never from lz's own."""
        arns = list(self.policy_arns)
        if self.subnets:
            arns.append("arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")
        if self.tracing:
            arns.append("arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess")
        return sorted(set(arns))


TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}


def code_sha256(path: Path) -> str:
    """The digest Lambda reports as CodeSha256 (base64 of the zip's SHA-256)."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def desired(stage: Stage, region: str, account: str, zip_path: Path, handler: str) -> Desired:
    from ..bundle.collect import collect
    from ..registry import from_settings, schedules_in

    files = collect(stage.root, stage.include, stage.exclude).files
    found = tuple(schedules_in(files)) + tuple(from_settings(stage.events))
    return Desired(
        schedules=found,
        project=stage.project, stage=stage.name, region=region, account=account,
        runtime=stage.runtime, architecture=stage.architecture, handler=handler,
        memory=stage.memory, timeout=stage.timeout, environment=dict(stage.environment),
        log_retention_days=stage.log_retention_days, http=stage.http, url_auth=stage.url_auth,
        zip_path=zip_path, code_sha256=code_sha256(zip_path),
        binary_media_types=tuple(stage.binary_media_types), cors=dict(stage.cors),
        on_failure=stage.on_failure,
        ephemeral_storage=stage.ephemeral_storage, layers=tuple(stage.layers),
        subnets=tuple(stage.vpc.get("subnets", ())),
        security_groups=tuple(stage.vpc.get("security_groups", ())),
        reserved_concurrency=stage.reserved_concurrency, tracing=stage.tracing,
        snap_start=stage.snap_start, dead_letter=stage.dead_letter,
        permissions=tuple(stage.permissions), policy_arns=tuple(stage.policy_arns),
        tags={TAG_PROJECT: stage.project, TAG_STAGE: stage.name},
    )


def canonical(document: dict | str) -> str:
    if isinstance(document, str):
        document = json.loads(document)
    return json.dumps(document, sort_keys=True, separators=(",", ":"))
