"""What exists in AWS of a stage's workflows: its state machines, their roles, their log groups.

Found by deterministic names and checked by the lz:project / lz:stage tags (machines and log
groups), or by the IAM path /lz/PROJECT/STAGE/ (roles), so that another stage whose name starts
like this one's is never mistaken for it, and a role or log group whose machine is gone (a deploy
interrupted half-way, a machine deleted by hand) is still found and removed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import unquote

from ...aws import TAG_PROJECT, TAG_STAGE, Aws, error_code, not_found
from ..machines import LOG_PREFIX, machine_prefix, role_path
from ..models import canonical
from .role import inline_policy

POLICY = "lz"
GONE = ("StateMachineDoesNotExist", "ResourceNotFound", "ResourceNotFoundException")


@dataclass
class Existing:
    """The stage's workflow resources as found, by name."""

    machines: dict[str, dict] = field(default_factory=dict)  # machine name -> {"arn", "type"}
    roles: dict[str, dict] = field(default_factory=dict)  # role name -> ListRoles entry
    groups: dict[str, dict] = field(default_factory=dict)  # log group name -> DescribeLogGroups entry


def _ours(tags: dict[str, str], project: str, stage: str) -> bool:
    return tags.get(TAG_PROJECT) == project and tags.get(TAG_STAGE) == stage


def machine_tags(aws: Aws, arn: str) -> dict[str, str]:
    with aws.explain(f"reading the tags of state machine {arn}"):
        tags = aws.client("stepfunctions").list_tags_for_resource(resourceArn=arn).get("tags", [])
    return {t["key"]: t["value"] for t in tags}


def _machines(aws: Aws, project: str, stage: str) -> dict[str, dict]:
    """The stage's state machines (by name), read once per command until one is written."""
    return aws.read(("workflow-machines", project, stage), lambda: _read_machines(aws, project, stage))


def _read_machines(aws: Aws, project: str, stage: str) -> dict[str, dict]:
    sfn = aws.client("stepfunctions")
    prefix = machine_prefix(project, stage)
    listed: list[dict] = []
    with aws.explain(f"listing the state machines of {prefix.rstrip('-')}"):
        for page in sfn.get_paginator("list_state_machines").paginate():
            listed += [m for m in page.get("stateMachines", []) if m["name"].startswith(prefix)]
    tags = aws.map(lambda m: machine_tags(aws, m["stateMachineArn"]), listed)
    return {m["name"]: {"arn": m["stateMachineArn"], "type": m.get("type", "STANDARD")}
            for m, t in zip(listed, tags, strict=True) if _ours(t, project, stage)}


def roles(aws: Aws, project: str, stage: str) -> dict[str, dict]:
    """The stage's machine roles (by name), read once per command until a role is written."""
    path = role_path(project, stage)

    def fetch() -> dict[str, dict]:
        with aws.explain(f"listing the IAM roles under {path}"):
            pages = aws.client("iam").get_paginator("list_roles").paginate(PathPrefix=path)
            return {r["RoleName"]: r for page in pages for r in page["Roles"] if r.get("Path") == path}

    return aws.read(("workflow-roles", path), fetch)


def _group_arn(group: dict) -> str:
    arn = group.get("logGroupArn") or group.get("arn", "")
    return arn[:-2] if arn.endswith(":*") else arn


def _groups(aws: Aws, project: str, stage: str) -> dict[str, dict]:
    logs = aws.client("logs")
    prefix = LOG_PREFIX + machine_prefix(project, stage)
    with aws.explain(f"listing the log groups under {prefix}"):
        found = [g for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix)
                 for g in page.get("logGroups", [])]

    def tags(group: dict) -> dict[str, str]:
        with aws.explain(f"reading the tags of log group {group['logGroupName']}"):
            return logs.list_tags_for_resource(resourceArn=_group_arn(group)).get("tags", {})

    return {g["logGroupName"]: g for g, t in zip(found, aws.map(tags, found), strict=True)
            if _ours(t, project, stage)}


def existing(aws: Aws, project: str, stage: str) -> Existing:
    found = aws.map(lambda read: read(aws, project, stage), [_machines, roles, _groups])
    return Existing(*found)


def describe(aws: Aws, arn: str) -> dict | None:
    try:
        return aws.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    except Exception as exc:
        if error_code(exc) in GONE:
            return None
        with aws.explain(f"reading state machine {arn}"):
            raise


role_policy = inline_policy  # the same inline policy "lz", read the same way as the function's role


def attached(aws: Aws, name: str) -> list[str]:
    try:
        pages = aws.client("iam").get_paginator("list_attached_role_policies").paginate(RoleName=name)
        return sorted(p["PolicyArn"] for page in pages for p in page["AttachedPolicies"])
    except Exception as exc:
        if not_found(exc):
            return []
        with aws.explain(f"listing the managed policies of IAM role {name}"):
            raise


def trust_of(role: dict) -> str:
    doc = role.get("AssumeRolePolicyDocument") or {}
    return canonical(doc if isinstance(doc, dict) else json.loads(unquote(doc)))


def logging_of(config: dict | None) -> tuple:
    """A logging configuration in a comparable form (AWS and lz may spell "off" differently)."""
    config = config or {}
    level = config.get("level", "OFF")
    if level == "OFF":
        return ("OFF",)
    groups = sorted(d.get("cloudWatchLogsLogGroup", {}).get("logGroupArn", "")
                    for d in config.get("destinations", []))
    return (level, bool(config.get("includeExecutionData")), tuple(groups))
