"""The function's IAM execution role, with a least-privilege inline policy (no wildcard action, no
Resource "*"): its own log group and invoking itself."""

from __future__ import annotations

import json
from urllib.parse import unquote

from ...aws import Aws, AwsError, not_found
from ..models import TRUST, Desired, canonical, role_name
from ..steps import Step

KIND = "role"
AFTER = ()  # needs nothing
POLICY = "lz"


def _exists(aws: Aws, name: str) -> bool:
    try:
        aws.client("iam").get_role(RoleName=name)
        return True
    except Exception as exc:
        if not_found(exc):
            return False
        with aws.explain(f"reading IAM role {name}"):
            raise


def inline_policy(aws: Aws, name: str) -> str | None:
    """Role `name`'s inline policy "lz", canonical; None when the role or policy is missing. IAM
    may hand the document back URL-encoded, so a string is decoded before it is parsed."""
    try:
        doc = aws.client("iam").get_role_policy(RoleName=name, PolicyName=POLICY)["PolicyDocument"]
    except Exception as exc:
        if not_found(exc):
            return None
        with aws.explain(f"reading the policy of IAM role {name}"):
            raise
    return canonical(doc if isinstance(doc, dict) else json.loads(unquote(doc)))


def _read(aws: Aws, name: str) -> tuple[bool, str | None]:
    exists, policy = aws.map(lambda read: read(aws, name), [_exists, inline_policy])
    return exists, policy if exists else None


def _attached_if(aws: Aws, name: str) -> list[str]:
    """_attached, or [] when there is no such role."""
    try:
        return _attached(aws, name)
    except AwsError as exc:
        if "NoSuchEntity" in str(exc):
            return []
        raise


def _attached(aws: Aws, name: str) -> list[str]:
    with aws.explain(f"listing the managed policies of IAM role {name}"):
        pages = aws.client("iam").get_paginator("list_attached_role_policies").paginate(RoleName=name)
        return sorted(p["PolicyArn"] for page in pages for p in page["AttachedPolicies"])


def plan(aws: Aws, want: Desired) -> list[Step]:
    (exists, policy), attached = aws.map(lambda read: read(), [
        lambda: _read(aws, want.role_name), lambda: _attached_if(aws, want.role_name)])
    steps = []
    if not exists:
        steps.append(Step(KIND, want.role_name, "create", "the function needs an execution role",
                          {"part": "role"}))
    if policy != canonical(want.policy()):
        steps.append(Step(KIND, want.role_name, "update" if policy else "create",
                          "set its least-privilege policy" if policy is None else "its policy differs",
                          {"part": "policy"}))
    attached = attached if exists else []
    attach = [arn for arn in want.managed_policies if arn not in attached]
    detach = [arn for arn in attached if arn not in want.managed_policies]
    if attach or detach:
        changes = [f"attach {a.rsplit('/', 1)[-1]}" for a in attach] + \
                  [f"detach {d.rsplit('/', 1)[-1]}" for d in detach]
        steps.append(Step(KIND, want.role_name, "update", ", ".join(changes),
                          {"part": "managed", "attach": attach, "detach": detach}))
    return steps


def apply(aws: Aws, step: Step, want: Desired) -> None:
    iam = aws.client("iam")
    with aws.explain(f"{step.action} IAM role {want.role_name}"):
        if step.detail["part"] == "role":
            iam.create_role(RoleName=want.role_name, AssumeRolePolicyDocument=json.dumps(TRUST),
                            Description=f"lz: execution role of {want.name}",
                            Tags=[{"Key": k, "Value": v} for k, v in want.tags.items()])
        elif step.detail["part"] == "managed":
            for arn in step.detail["attach"]:
                iam.attach_role_policy(RoleName=want.role_name, PolicyArn=arn)
            for arn in step.detail["detach"]:
                iam.detach_role_policy(RoleName=want.role_name, PolicyArn=arn)
        else:
            iam.put_role_policy(RoleName=want.role_name, PolicyName=POLICY,
                                PolicyDocument=json.dumps(want.policy()))


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    name = role_name(project, stage)
    exists, _ = _read(aws, name)
    return [Step(KIND, name, "delete", "undeploy")] if exists else []


def delete(aws: Aws, step: Step) -> None:
    iam = aws.client("iam")
    with aws.explain(f"deleting IAM role {step.name}"):
        for policy in iam.list_role_policies(RoleName=step.name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=step.name, PolicyName=policy)
        for arn in _attached(aws, step.name):
            iam.detach_role_policy(RoleName=step.name, PolicyArn=arn)
        iam.delete_role(RoleName=step.name)
