"""What a stage should look like in AWS, computed from its settings and its bundle alone."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..aws import TAG_PROJECT, TAG_STAGE
from ..settings import Stage, function_name, log_group_name, role_name

ALIAS = "live"
DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024  # Lambda takes bigger zips only from S3


def task_queue_names(project: str, stage: str) -> tuple[str, str]:
    """The stage's SQS task queue and its dead-letter queue."""
    queue = f"{function_name(project, stage)}-tasks"
    return queue, f"{queue}-dlq"


def alias_arn_of(region: str, account: str, project: str, stage: str) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{function_name(project, stage)}:{ALIAS}"


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
    sources: tuple = ()  # registry.Source: @on_s3, @on_sqs, @on_sns in the code
    task_queue: bool = False  # an SQS task queue: settings tasks.queue, or a @task(queue=True)
    task_queue_all: bool = False  # every task goes through it (settings tasks.queue)
    sends_tasks: bool = False  # some @task is sent by invoking the alias (not all through the queue)
    task_retries: int = 0  # Lambda's MaximumRetryAttempts for async events (and the queue's)
    task_max_age: int | None = None
    task_bucket: str | None = None
    allow_raw_invoke: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    workflows: tuple = ()  # machines.Machine: one state machine per @workflow
    stream: bool = False  # streamed responses: lz's runtime loop, URL/integration in stream mode
    static_bucket: str | None = None  # "static": {"bucket": ...}: where the static files go
    static_folder: Path | None = None  # the files the build collected (.lz/static/STAGE/)
    secrets: dict[str, str] = field(default_factory=dict)  # variable -> reference (never a value)
    secret_grants: tuple[dict, ...] = ()  # role statements for them, read at deploy (deploy/secrets.py)
    alarms: dict = field(default_factory=dict)  # settings `alarms` (resources/alarms.py)
    canary: float | None = None  # share of `live` a new version gets while watched (deploy/canary.py)
    canary_for: int = 600  # seconds it is watched
    log_format: str = "text"
    log_level: str | None = None
    domain: dict | None = None  # custom domain: name, base_path, certificate_arn, zone (resources/front)
    auth: str | dict | None = None  # "aws_iam", {"jwt": {...}}, {"api_keys": {...}}
    throttle: dict | None = None  # {"rate": r, "burst": b} on the API stage

    @property
    def name(self) -> str:
        """Function, role, log group and API name: PROJECT-STAGE (64 characters at most)."""
        return function_name(self.project, self.stage)

    @property
    def role_name(self) -> str:
        return role_name(self.project, self.stage)

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
        return log_group_name(self.project, self.stage)

    @property
    def task_queue_name(self) -> str:
        return task_queue_names(self.project, self.stage)[0]

    @property
    def task_dlq_name(self) -> str:
        return task_queue_names(self.project, self.stage)[1]

    @property
    def task_queue_url(self) -> str:
        return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{self.task_queue_name}"

    def arn(self, service: str, name: str) -> str:
        """The ARN of a bucket, queue or topic given by name (in this account and region) or ARN."""
        if name.startswith("arn:"):
            return name
        if service == "s3":
            return f"arn:aws:s3:::{name}"
        return f"arn:aws:{service}:{self.region}:{self.account}:{name}"

    def sources_of(self, kind: str) -> list:
        return [s for s in self.sources if s.kind == kind]

    @property
    def function_environment(self) -> dict[str, str]:
        from .machines import arn_prefix

        env = runtime_environment(self.environment, task_bucket=self.task_bucket,
                                  allow_raw_invoke=self.allow_raw_invoke,
                                  task_queue_url=self.task_queue_url if self.task_queue else None,
                                  task_queue_all=self.task_queue_all,
                                  workflow_arn_prefix=arn_prefix(self.region, self.account, self.project,
                                                                 self.stage) if self.workflows else None,
                                  stream=self.stream, static_url=self.static_url)
        return env | secrets_environment(self.secrets)

    @property
    def static_url(self) -> str | None:
        """LZ_STATIC_URL: where the app links its static files, when they are in S3."""
        if not self.static_bucket:
            return None
        from .resources.static_bucket import static_url

        return static_url(self.static_bucket, self.region)

    def policy(self) -> dict:
        from .policy import execution_policy

        return execution_policy(self)

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


def stream_environment(stream: bool) -> dict[str, str]:
    """What a streaming stage adds to the function's environment: lz's exec wrapper, which starts
    lz's runtime loop on the managed runtime (lz/runtime/wrapper.py), and LZ_STREAM, which makes
    the loop offer each HTTP invocation a response stream. Nothing for a buffered stage."""
    if not stream:
        return {}
    from lz.runtime import wrapper

    return {wrapper.ENV: wrapper.PATH, "LZ_STREAM": "1"}


def secrets_environment(secrets: dict[str, str]) -> dict[str, str]:
    """LZ_SECRETS: the stage's secret references (variable -> reference), which the bundle's entry
    reads into os.environ at cold start (lz/runtime/secrets.py). References name where a value
    lives and are not secret; values never reach the configuration."""
    if not secrets:
        return {}
    return {"LZ_SECRETS": json.dumps(secrets, sort_keys=True, separators=(",", ":"))}


def runtime_environment(environment: dict[str, str], *, task_bucket: str | None = None,
                        allow_raw_invoke: bool = False, task_queue_url: str | None = None,
                        task_queue_all: bool = False, workflow_arn_prefix: str | None = None,
                        stream: bool = False, static_url: str | None = None) -> dict[str, str]:
    """The function's environment: the settings' own, plus what lz's runtime reads (task queue,
    task bucket, whether raw invoke is allowed, where the stage's state machines are, the exec
    wrapper of a streaming stage). The local runtime uses the same."""
    env = dict(environment)
    env.update(stream_environment(stream))
    if workflow_arn_prefix:
        env["LZ_WORKFLOW_ARN_PREFIX"] = workflow_arn_prefix
    if task_queue_url:
        env["LZ_TASK_QUEUE"] = task_queue_url
    if task_queue_all:
        env["LZ_TASK_QUEUE_ALL"] = "1"
    if task_bucket:
        env["LZ_TASK_BUCKET"] = task_bucket
    if allow_raw_invoke:
        env["LZ_ALLOW_RAW_INVOKE"] = "1"
    if static_url:  # the settings' own LZ_STATIC_URL (a CDN in front of the bucket) wins
        env.setdefault("LZ_STATIC_URL", static_url)
    return env


TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}


def sends_tasks(tasks: list, all_through_queue: bool, steps_only: frozenset[str] = frozenset()) -> bool:
    """Whether the function invokes its own alias: a @task without queue=True sends each call (and
    each of its own retries) as an async Invoke, unless settings `tasks.queue` sends every task
    through SQS, or only workflows call it (`steps_only`: Step Functions invokes those, with the
    machine's role). Without one, the role gets no lambda:InvokeFunction at all."""
    return not all_through_queue and any(not t.queue and t.function not in steps_only for t in tasks)


def code_sha256(path: Path) -> str:
    """The digest Lambda reports as CodeSha256 (base64 of the zip's SHA-256)."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def desired(stage: Stage, region: str, account: str, zip_path: Path, handler: str) -> Desired:
    from ..bundle.collect import collect
    from ..registry import from_settings, resolve_targets, scan
    from .machines import stage_machines

    files = collect(stage.root, stage.include, stage.exclude).files
    registry = scan(files)
    from ..settings_ops import refuse_secret_targets

    refuse_secret_targets(registry.sources, stage.secrets)
    tags = {TAG_PROJECT: stage.project, TAG_STAGE: stage.name}
    workflows, steps_only = stage_machines(stage, files, region, account,
                                           alias_arn_of(region, account, stage.project, stage.name), tags)
    return Desired(
        schedules=tuple(registry.schedules) + tuple(from_settings(stage.events)),
        sources=tuple(resolve_targets(registry.sources, stage.environment, stage.name)),
        task_queue=bool(stage.tasks.get("queue")) or any(t.queue for t in registry.tasks),
        task_queue_all=bool(stage.tasks.get("queue")),
        sends_tasks=sends_tasks(registry.tasks, bool(stage.tasks.get("queue")), steps_only),
        task_retries=stage.tasks.get("retries", 0), task_max_age=stage.tasks.get("max_age"),
        task_bucket=stage.task_bucket, allow_raw_invoke=stage.allow_raw_invoke,
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
        tags=tags, workflows=workflows, stream=stage.stream,
        **static_target(stage, region, account),
        secrets=dict(stage.secrets), alarms=dict(stage.alarms), log_format=stage.log_format,
        log_level=stage.log_level, **canary_of(stage.deploy),
        domain=stage.domain, auth=stage.auth, throttle=stage.throttle,
    )


def static_target(stage: Stage, region: str, account: str) -> dict:
    """The static bucket and the collected files to upload, when the stage sends them to S3 and
    its build collected some (.lz/static/STAGE/, written by `lz package`)."""
    if not (isinstance(stage.static, dict) and "bucket" in stage.static):
        return {}
    from ..bundle.static import folder_for
    from .resources.static_bucket import bucket_name

    folder = folder_for(stage)
    if not folder.is_dir():
        return {}
    name = stage.static["bucket"] or bucket_name(stage.project, stage.name, account, region)
    return {"static_bucket": name, "static_folder": folder}


def canary_of(deploy: dict) -> dict:
    """The Desired fields of the settings' `deploy` (a canary share and how long it is watched)."""
    from ..settings_ops import duration, percent

    if not deploy.get("canary"):
        return {}
    return {"canary": percent(deploy["canary"]), "canary_for": duration(deploy.get("for", "10m"))}


def canonical(document: dict | str) -> str:
    if isinstance(document, str):
        document = json.loads(document)
    return json.dumps(document, sort_keys=True, separators=(",", ":"))
