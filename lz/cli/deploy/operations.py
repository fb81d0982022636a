"""What `lz deploy`, `status`, `rollback` and `undeploy` do, apart from printing."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ..aws import Aws, AwsError, writes_of
from ..settings import Stage
from . import limits
from .apply import apply, teardown
from .models import ALIAS, Desired, desired
from .plan import make_plan, teardown_plan
from .resources import features, function, http_api, rest_api, url
from . import canary
from .secrets import with_grants
from .steps import Done, Step


# the clients a deploy needs whatever the stage has, made while the lock is taken and the bundle
# built (deploy/lock.py); cloudformation first: the check that no stack owns the stage runs during
# the build. Each other client is made when a kind first needs it: a stage without a task queue,
# a REST API or alarms never loads the models of SQS, API Gateway or CloudWatch (~20-40 ms of CPU each;
# an HTTP API stage whose throttle was removed loads API Gateway's, for GetAccount: access.py)
DEPLOY_CLIENTS = ("cloudformation", "lambda", "iam", "logs", "events", "stepfunctions")
FRONT_CLIENTS = {"http_api": "apigatewayv2", "rest_api": "apigateway"}


def deploy_clients(stage: Stage) -> tuple[str, ...]:
    """The clients to make ahead of the plan for this stage: the common ones and its front's."""
    front = FRONT_CLIENTS.get(stage.http) if isinstance(stage.http, str) else None
    return DEPLOY_CLIENTS + ((front,) if front else ())


def warm_beside(aws: Aws, stage: Stage) -> None:
    """warm() on a thread of its own, not waited for: the plan finds each read, done or under
    way, through aws.read."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1)
    pool.submit(warm, aws, stage)
    pool.shutdown(wait=False)


def warm(aws: Aws, stage: Stage) -> None:
    """What a deploy reads first, read while its bundle builds (main.py runs this beside the build,
    once the stage's lock is taken): the function, whose ARN gives the account (STS, a client and
    a call, only for a stage not deployed yet), then the plan's first reads that need no bundle,
    each through aws.read so that the plan finds them: the resource policy, the HTTP API, and
    those of the recorded workflows and schedules. So the plan makes one round of reads. A failure
    here is not kept: the plan reads again and reports it."""
    from .resources import _permissions, schedules
    from .resources import _workflow_state as machines

    name = stage.function_name
    try:
        found = function._get(aws, name)
        if found is None:
            _ = aws.account  # fetched now: the plan needs it
            return
        aws.account_is(found["Configuration"]["FunctionArn"].split(":")[4])
        recorded = ((found.get("Tags") or {}).get(features.TAG) or "").split()
        reads = [lambda: _permissions.statements(aws, name)]
        if stage.http == "http_api":
            reads.append(lambda: http_api._find(aws, name, stage.project, stage.name))
        if "workflows" in recorded:
            reads += [lambda: machines.roles(aws, stage.project, stage.name),
                      lambda: machines._machines(aws, stage.project, stage.name)]
        if "schedules" in recorded:
            reads.append(lambda: schedules._existing(aws, stage.project, stage.name))
        aws.map(lambda read: read(), reads)
    except Exception:  # noqa: BLE001 - see the docstring
        pass


@dataclass
class Deployed:
    steps: list[Step]
    url: str | None
    version: str | None
    calls: dict[str, int] = field(default_factory=dict)
    writes: int = 0
    canary: str | None = None  # how a canary ended (promoted or rolled back, and why)
    interrupted: str | None = None  # an interrupted canary this deploy found, and what it did
    pending: list[str] = field(default_factory=list)  # the front door's: records to create, waits


def endpoint(aws: Aws, want: Desired) -> str | None:
    from .front import custom_url

    custom = custom_url(aws, want)
    if custom:
        return custom
    if want.http == "http_api":
        return http_api.endpoint(aws, want.name, want.project, want.stage)
    if want.http == "function_url":
        return url.endpoint(aws, want.name)
    if want.http == "rest_api":
        return rest_api.endpoint(aws, want)
    return None


def live_version(aws: Aws, name: str) -> str | None:
    """The version behind `live` (what the plan read, unless this deploy moved it)."""
    return function.live_version(aws, name)


@contextmanager
def pinned(zip_path: Path) -> Iterator[Path]:
    """The bundle as it is now, under a name of this process: a hard link (or, across file
    systems, a copy) that a build replacing the zip meanwhile cannot change, so the bytes uploaded
    are the bytes whose SHA-256 the plan used."""
    fd, name = tempfile.mkstemp(prefix=f".lz-tmp-deploy-{zip_path.name}.", dir=zip_path.parent)
    os.close(fd)
    private = Path(name)
    try:
        private.unlink()
        try:
            os.link(zip_path, private)
        except OSError:
            shutil.copyfile(zip_path, private)
        yield private
    finally:
        private.unlink(missing_ok=True)


def deploy(aws: Aws, stage: Stage, zip_path: Path, handler: str, dry_run: bool,
           show_plan: Callable[[list[Step]], None],
           on_step: Callable[[int, Step], None] = lambda i, s: None,
           on_canary: Callable[[float, int, float, float], None] = lambda *a: None,
           on_done: Callable[[int, Step, BaseException | None], None] = lambda i, s, e: None) -> Deployed:
    """Plan, show the plan, apply it (apply.py: `on_step` before each step runs, `on_done` after
    each, in plan order), watch a canary, then read what is live and where it answers."""
    with pinned(zip_path) as bundle:
        want = with_grants(aws, desired(stage, aws.region, aws.account, bundle, handler))
        limits.check(want)
        # a canary left in progress is rare: it is looked for while the plan reads, and when one
        # was undone, the plan is read again from the stable version
        interrupted, steps = aws.map(lambda read: read(), [lambda: canary.settle(aws, want.name, dry_run),
                                                           lambda: make_plan(aws, want)])
        if interrupted and not dry_run:
            aws.forget()
            steps = make_plan(aws, want)
        show_plan(steps)
        if not dry_run:
            apply(aws, steps, want, on_step, on_done)
    said = None if dry_run or not want.canary else canary.run(aws, want, on_canary)
    for key in ("domain", "certificate", "distributions"):
        aws.forget(key)  # the front door as the steps left it
    reads = [lambda: live_version(aws, want.name) if not dry_run or not steps else None,
             lambda: endpoint(aws, want)]
    version, url = aws.map(lambda read: read(), reads)
    from .resources.dns import pending

    waiting = pending(aws, want) if not dry_run else []
    made = {op: n for op, n in aws.calls.items() if not op.startswith("ssm:")}  # not the lock's
    return Deployed(steps, url, version, dict(made), writes_of(made), said, interrupted, waiting)


def schedule_only(aws: Aws, stage: Stage, zip_path: Path, handler: str, remove: bool) -> list[Step]:
    """`lz schedule` / `lz unschedule`: converge (or delete) the stage's rules, nothing else."""
    from .resources import schedules

    if function._get(aws, stage.function_name, ALIAS) is None:
        raise AwsError(f"{stage.project}-{stage.name} is not deployed: run lz deploy {stage.name} first")
    if remove:
        steps = [Step(s.kind, s.name, s.action, "lz unschedule (the function stays)", s.detail)
                 for s in schedules.teardown(aws, stage.project, stage.name, aws.region)]
        teardown(aws, steps)
        return steps
    want = with_grants(aws, desired(stage, aws.region, aws.account, zip_path, handler))
    limits.check(want)
    steps = schedules.plan(aws, want)
    apply(aws, steps, want)
    return steps


def undeploy(aws: Aws, stage: Stage, confirm: Callable[[list[Step]], bool],
             on_step: Callable[[int, Step], None] = lambda i, s: None) -> list[Done]:
    """Delete every resource of the stage (after `confirm` saw the plan); each step comes back
    saying what was done."""
    steps = teardown_plan(aws, stage.project, stage.name, aws.region)
    if not steps or not confirm(steps):
        return []
    return teardown(aws, steps, on_step)


def remaining(aws: Aws, stage: Stage) -> list[str]:
    """ARNs of anything still tagged for this stage (what undeploy must leave empty)."""
    from ..aws import TAG_PROJECT, TAG_STAGE

    tagging = aws.client("resourcegroupstaggingapi")
    with aws.explain("listing resources tagged for the stage"):
        found = tagging.get_resources(TagFilters=[
            {"Key": TAG_PROJECT, "Values": [stage.project]}, {"Key": TAG_STAGE, "Values": [stage.name]}])
    return [item["ResourceARN"] for item in found.get("ResourceTagMappingList", [])]


@dataclass
class Status:
    name: str
    deployed: bool
    version: str | None = None
    runtime: str | None = None
    architecture: str | None = None
    memory: int | None = None
    timeout: int | None = None
    last_modified: str | None = None
    code_sha256: str | None = None
    url: str | None = None
    responses: str = "buffered"  # or how they stream: the front's mode, lz's runtime loop
    drift: list[str] = field(default_factory=list)
    triggers: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, what, detail)
    workflows: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (name, type, last runs)
    canary: str | None = None  # a canary in progress on live
    health: str | None = None  # one line from the stage's metrics (lz/cli/metrics.py)
    front: list[tuple[str, str]] = field(default_factory=list)  # domain, certificate, dns, auth, throttle
    pending: list[str] = field(default_factory=list)


def status(aws: Aws, stage: Stage, zip_path: Path | None, handler: str) -> Status:
    name = stage.function_name
    live = function._get(aws, name, ALIAS)
    if live is None:
        return Status(name, False)
    config = live["Configuration"]
    result = Status(
        name, True, config.get("Version"), config.get("Runtime"),
        (config.get("Architectures") or ["x86_64"])[0], config.get("MemorySize"),
        config.get("Timeout"), config.get("LastModified"), config.get("CodeSha256"),
    )
    result.responses = responses(aws, name, config)
    found = canary.pending(aws, name)
    result.canary = f"in progress: {found.describe()}" if found else None
    from ..metrics import health_line

    result.health = health_line(aws, stage)
    from .resources import s3_notifications, schedules, sns_subscriptions, sqs_sources, workflows

    kinds = (schedules, s3_notifications, sqs_sources, sns_subscriptions, workflows)
    *triggers, result.workflows = aws.map(
        lambda kind: kind.listing(aws, stage.project, stage.name, aws.region), kinds)
    for rows in triggers:
        result.triggers += rows
    if zip_path is not None:
        want = with_grants(aws, desired(stage, aws.region, aws.account, zip_path, handler))
        result.url = endpoint(aws, want)
        from .front import lines
        from .resources.dns import pending

        result.front, result.pending = lines(aws, want), pending(aws, want)
        result.drift = [f"{s.kind} {s.name}: {s.action} ({s.reason})" for s in make_plan(aws, want)]
    return result


def responses(aws: Aws, name: str, config: dict) -> str:
    """How the deployed stage answers HTTP: buffered, or streamed (lz's loop, the front's mode)."""
    from lz.runtime import wrapper

    variables = (config.get("Environment") or {}).get("Variables") or {}
    loop = variables.get(wrapper.ENV) == wrapper.PATH
    streaming = loop and variables.get("LZ_STREAM") == "1"
    parts = ["streamed (lz runtime loop)" if streaming else "buffered"]
    link = url._read(aws, name)
    if link is not None:
        parts.append(f"Function URL invoke mode {url.mode_of(link)}")
    return "; ".join(parts)


def rollback(aws: Aws, stage: Stage, to: str | None, back: int) -> tuple[str, str]:
    """Point `live` at an earlier version: `to`, or `back` published versions before the current.
    The alias moves only if it is still where it was read (its RevisionId)."""
    name = stage.function_name
    alias = function._alias(aws, name)
    if alias is None:
        raise AwsError(f"{name} has no alias {ALIAS}: is the stage deployed? (lz status {stage.name})")
    current = alias["FunctionVersion"]
    target = pick_version(aws, name, current, to, back)
    lam = aws.client("lambda")
    with aws.explain(f"pointing {ALIAS} of {name} at version {target}"):
        lam.update_alias(FunctionName=name, Name=ALIAS, FunctionVersion=target,
                         **({"RevisionId": alias["RevisionId"]} if alias.get("RevisionId") else {}))
    return current, target


def pick_version(aws: Aws, name: str, current: str, to: str | None, back: int) -> str:
    """`to` (checked: a published version), or the published version `back` before `current`:
    the rule of `lz rollback` on either engine."""
    lam = aws.client("lambda")
    versions: list[int] = []
    with aws.explain(f"listing the versions of {name}"):
        for page in lam.get_paginator("list_versions_by_function").paginate(FunctionName=name):
            versions += [int(v["Version"]) for v in page["Versions"] if v["Version"].isdigit()]
    versions.sort()
    if to is not None:
        if not to.isdigit() or int(to) not in versions:
            raise AwsError(f"{name} has no version {to}; published versions: "
                           + ", ".join(map(str, versions)))
        return to
    earlier = [v for v in versions if v < int(current)]
    if len(earlier) < back:
        raise AwsError(f"{name} has only {len(earlier)} version(s) before {current}; "
                       f"published: {', '.join(map(str, versions))}")
    return str(earlier[-back])


def step_rows(steps: list[Step]) -> list[tuple[str, str, str]]:
    return [(f"{s.kind}: {s.name}", s.action, s.reason) for s in steps]

