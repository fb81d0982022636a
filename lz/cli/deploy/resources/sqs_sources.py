"""Event source mappings from SQS queues to the alias `live`: one per @on_sqs queue (yours) and one
for the stage's task queue. Each reports partial batch failures, so that only the messages that
failed come back. The role's read grant on each queue is in the policy (deploy/policy.py)."""

from __future__ import annotations

from ...aws import Aws, not_found
from ..models import Desired, alias_arn_of
from ..steps import Step
from . import features

KIND = "sqs"
AFTER = ("record", "function", "task_queue")  # the alias live, the role's read grant, the queue
RESPONSE_TYPES = ["ReportBatchItemFailures"]


def _mappings(aws: Aws, alias_arn: str) -> dict[str, dict]:
    """{queue ARN: mapping} of the SQS mappings that invoke the alias."""
    found: dict[str, dict] = {}
    lam = aws.client("lambda")
    try:
        for page in lam.get_paginator("list_event_source_mappings").paginate(FunctionName=alias_arn):
            for mapping in page["EventSourceMappings"]:
                if ":sqs:" in mapping.get("EventSourceArn", ""):
                    found[mapping["EventSourceArn"]] = mapping
    except Exception as exc:
        if not not_found(exc):
            with aws.explain(f"listing the event source mappings of {alias_arn}"):
                raise
    return found


def wanted(want: Desired) -> dict[str, dict]:
    """{queue ARN: {batch_size, handler}}."""
    out = {want.arn("sqs", s.target): {"batch_size": s.batch_size, "handler": s.function, "origin": s.origin}
           for s in want.sources_of("sqs")}
    if want.task_queue:
        out[want.arn("sqs", want.task_queue_name)] = {"batch_size": 10, "handler": "lz tasks", "origin": ""}
    return out


def plan(aws: Aws, want: Desired) -> list[Step]:
    if not features.needed(aws, want, "sqs_sources"):
        return []  # neither asked for nor deployed (features.py)
    have = _mappings(aws, want.alias_arn)
    steps = []
    for arn, source in wanted(want).items():
        name = arn.rsplit(":", 1)[-1]
        detail = {"queue": arn, "batch_size": source["batch_size"], "origin": source["origin"]}
        mapping = have.get(arn)
        if mapping is None:
            steps.append(Step(KIND, name, "create", f"messages go to {source['handler']}", detail))
        elif mapping.get("BatchSize") != source["batch_size"] or \
                sorted(mapping.get("FunctionResponseTypes") or []) != RESPONSE_TYPES:
            steps.append(Step(KIND, name, "update", "batch size or failure reporting differs",
                              {**detail, "uuid": mapping["UUID"]}))
    for arn in sorted(set(have) - set(wanted(want))):
        steps.append(Step(KIND, arn.rsplit(":", 1)[-1], "delete", "no handler for this queue any more",
                          {"queue": arn, "uuid": have[arn]["UUID"]}))
    return steps


def apply(aws: Aws, step: Step, want: Desired) -> None:
    lam = aws.client("lambda")
    where = f" (@on_sqs at {step.detail['origin']})" if step.detail.get("origin") else ""
    with aws.explain(f"connecting SQS queue {step.detail['queue']} to {want.name}{where}; "
                     "does the queue exist in this account and region?"):
        if step.action == "create":
            lam.create_event_source_mapping(
                EventSourceArn=step.detail["queue"], FunctionName=want.alias_arn,
                BatchSize=step.detail["batch_size"], FunctionResponseTypes=RESPONSE_TYPES, Enabled=True)
        else:
            lam.update_event_source_mapping(UUID=step.detail["uuid"], BatchSize=step.detail["batch_size"],
                                            FunctionResponseTypes=RESPONSE_TYPES)


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    alias_arn = alias_arn_of(region, aws.account, project, stage)
    return [Step(KIND, arn.rsplit(":", 1)[-1], "delete", "undeploy", {"queue": arn, "uuid": m["UUID"]})
            for arn, m in sorted(_mappings(aws, alias_arn).items())]


def delete(aws: Aws, step: Step) -> None:
    try:
        aws.client("lambda").delete_event_source_mapping(UUID=step.detail["uuid"])
    except Exception as exc:
        if not not_found(exc):
            with aws.explain(f"disconnecting SQS queue {step.detail['queue']}"):
                raise


def listing(aws: Aws, project: str, stage: str, region: str) -> list[tuple[str, str, str]]:
    alias_arn = alias_arn_of(region, aws.account, project, stage)
    return [("sqs", arn.rsplit(":", 1)[-1], f"batch {m.get('BatchSize')}, {m.get('State', '').lower()}")
            for arn, m in sorted(_mappings(aws, alias_arn).items())]
