"""`lz deploy --engine cloudformation` and the commands that operate such a stage.

The stage is one stack, PROJECT-STAGE, whose template is `lz template`'s (code from lz's code
bucket). A deploy builds, uploads the zip (once per content), makes a change set, shows it as lz's
plan, executes it and follows the stack's events; a change set with no change is "nothing to do"
and is not executed. `rollback` sets the stack's LiveVersion parameter (the template unchanged), so
the stack, not a call behind its back, says where `live` points; `undeploy` deletes the stack.
What a stack cannot do lz does around it (buckets.py): S3 notifications and the static files'
upload after the stack is up, the hosted zone and CloudFront's us-east-1 certificate found and
passed as parameters, the static bucket lz named emptied before the stack deletes it.

One engine per stage: the stack (tagged lz:engine) marks a stage CloudFormation owns, a function
outside any stack one that lz's engine owns; each engine refuses the other's stage and says how to
move it (undeploy, then deploy with the other engine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..aws import TAG_PROJECT, TAG_STAGE, Aws, AwsError
from ..deploy import limits
from ..deploy.models import ALIAS, Desired, desired
from ..deploy.operations import pick_version
from ..deploy.resources import bucket as code_bucket
from ..deploy.resources import function
from ..deploy.steps import Step
from ..settings import Stage
from ..template import Code, desired_for_template, render
from ..template.function import LIVE_VERSION, PUBLISHED
from . import buckets, changes

TAG_ENGINE = "lz:engine"
ENGINE = "cloudformation"
ENGINES = ("lz", ENGINE)


class EngineError(AwsError):
    """The stage belongs to the other engine; the message says how to move it."""


@dataclass
class Deployed:
    steps: list[Step]
    status: str = "nothing to do"
    url: str | None = None
    version: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    after: list[str] = field(default_factory=list)  # what lz did besides the stack (S3 notifications)


def stack_name(stage: Stage) -> str:
    return stage.function_name


def engine_of(aws: Aws, stage: Stage) -> str:
    """Which engine owns the deployed stage: CloudFormation when its stack exists, else lz's own
    (whose resources are found by name and tags), whatever the settings say."""
    return ENGINE if changes.stack_status(aws, stack_name(stage)) is not None else "lz"


def guard_lz(aws: Aws, stage: Stage) -> None:
    """lz's own engine must not change a stage a stack owns."""
    stack = changes.stack_status(aws, stack_name(stage))
    if stack is not None:
        raise EngineError(
            f"{stack_name(stage)} is deployed through CloudFormation (stack {stack['StackName']}, "
            f"{stack['StackStatus']}): lz's own engine would change resources the stack owns. Deploy it with "
            f"`lz deploy {stage.name} --engine cloudformation` (or \"engine\": \"cloudformation\" in the "
            f"stage's settings); to move it to lz's engine, `lz undeploy {stage.name}` first")


def _guard_cloudformation(aws: Aws, stage: Stage, stack: dict | None) -> None:
    name = stack_name(stage)
    if stack is None:
        if function._get(aws, stage.function_name) is not None:
            raise EngineError(
                f"{name} is deployed by lz's own engine (function {stage.function_name} exists outside any "
                f"stack): a stack would fail on the names lz's engine holds, or own them twice. Keep "
                f"`lz deploy {stage.name}` (engine lz), or move it: `lz undeploy {stage.name}`, then "
                f"`lz deploy {stage.name} --engine cloudformation`")
        return
    tags = {t["Key"]: t["Value"] for t in stack.get("Tags") or []}
    if tags.get(TAG_PROJECT) != stage.project or tags.get(TAG_STAGE) != stage.name:
        raise EngineError(f"a stack named {name} exists and is not lz's (no tags {TAG_PROJECT}={stage.project}, "
                          f"{TAG_STAGE}={stage.name}): rename the project or stage, or delete that stack")
    if stack["StackStatus"] == "ROLLBACK_COMPLETE":
        raise EngineError(f"stack {name} failed to be created and was rolled back (ROLLBACK_COMPLETE): "
                          f"CloudFormation cannot update it; `lz undeploy {stage.name}` deletes it, then deploy again")
    if stack["StackStatus"].endswith("_IN_PROGRESS") and stack["StackStatus"] != "REVIEW_IN_PROGRESS":
        raise EngineError(f"stack {name} is {stack['StackStatus']}: another change is under way; wait for it "
                          "(lz status shows the stack's status) and run the command again")


def upload(aws: Aws, want: Desired) -> Code:
    """The zip in lz's code bucket (made private and encrypted if missing), under its digest:
    uploaded once per content."""
    if not code_bucket._exists(aws, want.bucket):
        code_bucket.apply(aws, Step(code_bucket.KIND, want.bucket, "create", "code bucket"), want)
    code_bucket.upload_code(aws, want)
    return Code(bucket=want.bucket, key=want.code_key)


def stack_tags(stage: Stage) -> dict[str, str]:
    return {TAG_PROJECT: stage.project, TAG_STAGE: stage.name, TAG_ENGINE: ENGINE}


def deploy(aws: Aws, stage: Stage, zip_path: Path, handler: str, dry_run: bool,
           show_plan: Callable[[list[Step]], bool], on_event: Callable[[dict], None]) -> Deployed:
    """Build the change set, show it (`show_plan` says whether to go on), execute, follow."""
    name = stack_name(stage)
    stack = changes.stack_status(aws, name)
    _guard_cloudformation(aws, stage, stack)
    real = desired(stage, aws.region, aws.account, zip_path, handler)
    limits.check(real)
    code = upload(aws, real) if not dry_run else Code(bucket=real.bucket, key=real.code_key)
    body = render(desired_for_template(stage, zip_path, handler), code).text()
    parameters = [{"ParameterKey": "CodeS3Bucket", "ParameterValue": code.bucket or ""},
                  {"ParameterKey": "CodeS3Key", "ParameterValue": code.key or ""},
                  {"ParameterKey": LIVE_VERSION, "ParameterValue": PUBLISHED}] + buckets.front_parameters(aws, real)
    kind = "UPDATE" if stack is not None and stack["StackStatus"] != "REVIEW_IN_PROGRESS" else "CREATE"
    before = buckets.deployed_buckets(aws, name) if kind == "UPDATE" else []
    made = changes.create(aws, name, kind, body, parameters, stack_tags(stage)) if not dry_run or stack else None
    if dry_run and made is None and stack is None:
        show_plan([Step("stack", name, "create", "dry run: the stack does not exist yet")])
        return Deployed([], "dry run")
    result = Deployed(made[1] if made else [])
    if made is None:
        show_plan([])
    else:
        arn, steps = made
        go = show_plan(steps)  # shown on a dry run too
        if dry_run or not go:
            changes.delete(aws, arn)
            if kind == "CREATE":  # a stack in REVIEW_IN_PROGRESS holds nothing: leave none behind
                _delete_empty(aws, name)
            result.status = "not executed"
            return result
        seen = changes.seen_events(aws, name)
        with aws.explain(f"executing the change set of stack {name}"):
            aws.client("cloudformation").execute_change_set(ChangeSetName=arn)
        status, failure = changes.follow(aws, name, seen, on_event)
        result.status = status
        if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            raise AwsError(f"stack {name} did not deploy ({status})"
                           + (f": the first failure was {failure}" if failure else "")
                           + ("; CloudFormation rolled it back" if "ROLLBACK" in status else ""))
    result.after = buckets.connect(aws, real, before) + buckets.upload_static(aws, real)
    result.outputs = outputs(aws, name)
    result.url = result.outputs.get("Url")
    live = function._alias(aws, stage.function_name)
    result.version = live["FunctionVersion"] if live else None
    return result


def _delete_empty(aws: Aws, name: str) -> None:
    stack = changes.stack_status(aws, name)
    if stack is not None and stack["StackStatus"] == "REVIEW_IN_PROGRESS":
        with aws.explain(f"deleting the empty stack {name}"):
            aws.client("cloudformation").delete_stack(StackName=name)


def outputs(aws: Aws, name: str) -> dict[str, str]:
    stack = changes.stack_status(aws, name) or {}
    return {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs") or []}


def undeploy(aws: Aws, stage: Stage, confirm: Callable[[list[Step]], bool],
             on_event: Callable[[dict], None]) -> list[str]:
    """Take lz's S3 entries off the buckets, delete the stack (following its events), then this
    stage's bundles from the code bucket. Lines saying what was done."""
    name = stack_name(stage)
    stack = changes.stack_status(aws, name)
    if stack is None:
        return []
    resources = _resources(aws, name)
    connected = buckets.deployed_buckets(aws, name)
    plan = [Step(r["ResourceType"].removeprefix("AWS::"), f"{r['LogicalResourceId']} ({r.get('PhysicalResourceId', '')})",
                 "delete", "undeploy (with the stack)") for r in resources]
    plan = [Step("stack", name, "delete", f"the stage's stack ({stack['StackStatus']})")] + plan
    plan += [Step("s3", bucket, "delete", "lz's notification entries (not the stack's)") for bucket in connected]
    if not confirm(plan):
        return []
    done = [f"s3 notifications of {b}: removed" for b in connected if buckets.disconnect(aws, b, stage.function_name)]
    done += buckets.empty_static(aws, stage, resources)
    seen = changes.seen_events(aws, stack["StackId"])
    with aws.explain(f"deleting stack {name}"):
        aws.client("cloudformation").delete_stack(StackName=name)
    status, failure = changes.follow(aws, stack["StackId"], seen, on_event)
    if status != "DELETE_COMPLETE":
        raise AwsError(f"stack {name} was not deleted ({status})" + (f": {failure}" if failure else ""))
    done.append(f"deleted stack: {name} ({len(resources)} resources)")
    for step in code_bucket.teardown(aws, stage.project, stage.name, aws.region):
        done.append(code_bucket.delete(aws, step))
    return done


def _resources(aws: Aws, name: str) -> list[dict]:
    with aws.explain(f"listing the resources of stack {name}"):
        pages = aws.client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=name)
        return [r for page in pages for r in page.get("StackResourceSummaries", []) if r.get("ResourceType")]


def rollback(aws: Aws, stage: Stage, to: str | None, back: int,
             on_event: Callable[[dict], None]) -> tuple[str, str]:
    """Point `live` at an earlier version through the stack: LiveVersion = that version, the
    template and the other parameters as they are."""
    name = stack_name(stage)
    stack = changes.stack_status(aws, name)
    if stack is None:
        raise AwsError(f"{name} has no stack: is the stage deployed? (lz status {stage.name})")
    alias = function._alias(aws, stage.function_name)
    if alias is None:
        raise AwsError(f"{stage.function_name} has no alias {ALIAS}: is the stage deployed? (lz status {stage.name})")
    current = alias["FunctionVersion"]
    target = pick_version(aws, stage.function_name, current, to, back)
    values = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters") or []}
    values[LIVE_VERSION] = target
    with aws.explain(f"reading the template of stack {name}"):
        body = aws.client("cloudformation").get_template(StackName=name)["TemplateBody"]
    if isinstance(body, dict):
        import json

        body = json.dumps(body)
    made = changes.create(aws, name, "UPDATE", body,
                          [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(values.items())],
                          stack_tags(stage))
    if made is None:
        return current, target
    seen = changes.seen_events(aws, name)
    with aws.explain(f"executing the rollback of stack {name}"):
        aws.client("cloudformation").execute_change_set(ChangeSetName=made[0])
    status, failure = changes.follow(aws, name, seen, on_event)
    if status != "UPDATE_COMPLETE":
        raise AwsError(f"rollback of stack {name} failed ({status})" + (f": {failure}" if failure else ""))
    return current, target


def describe(aws: Aws, stage: Stage) -> list[tuple[str, str]]:
    """Rows for `lz status`: the stack, its status and when it last changed, where live is pinned."""
    stack = changes.stack_status(aws, stack_name(stage))
    if stack is None:
        return []
    values = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters") or []}
    rows = [("engine", f"cloudformation (stack {stack['StackName']})"),
            ("stack status", f"{stack['StackStatus']}" + (f": {stack['StackStatusReason']}"
                                                         if stack.get("StackStatusReason") else "")),
            ("stack updated", str(stack.get("LastUpdatedTime") or stack.get("CreationTime")))]
    kinds: dict[str, int] = {}
    for resource in _resources(aws, stack["StackName"]):
        kind = resource["ResourceType"].removeprefix("AWS::")
        kinds[kind] = kinds.get(kind, 0) + 1
    rows.append(("stack resources", ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"))
    drift = stack.get("DriftInformation") or {}
    checked = drift.get("LastCheckTimestamp")
    rows.append(("stack drift", f"{drift.get('StackDriftStatus', 'NOT_CHECKED')}"
                 + (f" (checked {checked})" if checked else
                    f" (aws cloudformation detect-stack-drift --stack-name {stack['StackName']})")))
    if values.get(LIVE_VERSION, PUBLISHED) != PUBLISHED:
        rows.append(("live pinned", f"version {values[LIVE_VERSION]} (lz rollback); the next deploy unpins it"))
    return rows
