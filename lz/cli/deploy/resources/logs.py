"""The function's CloudWatch log group, made up front so that its retention applies from the first
line (Lambda would otherwise create it with logs kept forever)."""

from __future__ import annotations

from ...aws import Aws
from ..models import Desired, log_group_name
from ..steps import Step

KIND = "logs"
AFTER = ()  # needs nothing


def _read(aws: Aws, name: str) -> dict | None:
    with aws.explain(f"reading log group {name}"):
        groups = aws.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return next((g for g in groups if g["logGroupName"] == name), None)


def plan(aws: Aws, want: Desired) -> list[Step]:
    group = _read(aws, want.log_group)
    if group is None:
        return [Step(KIND, want.log_group, "create", "the function's logs go here",
                     {"retention": want.log_retention_days})]
    if group.get("retentionInDays") != want.log_retention_days:
        return [Step(KIND, want.log_group, "update",
                     f"retention {group.get('retentionInDays', 'forever')} -> {want.log_retention_days} days",
                     {"retention": want.log_retention_days})]
    return []


def apply(aws: Aws, step: Step, want: Desired) -> None:
    logs = aws.client("logs")
    with aws.explain(f"{step.action} log group {step.name}"):
        if step.action == "create":
            logs.create_log_group(logGroupName=step.name, tags=want.tags)
        logs.put_retention_policy(logGroupName=step.name, retentionInDays=step.detail["retention"])


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    name = log_group_name(project, stage)
    return [Step(KIND, name, "delete", "undeploy")] if _read(aws, name) else []


def delete(aws: Aws, step: Step) -> None:
    with aws.explain(f"deleting log group {step.name}"):
        aws.client("logs").delete_log_group(logGroupName=step.name)
