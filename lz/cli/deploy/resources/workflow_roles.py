"""The IAM role of each of the stage's state machines: Step Functions may assume it for that machine
only (aws:SourceAccount, aws:SourceArn), and it may invoke the stage's alias `live`, that ARN only
(plus log delivery while the workflow's logging is on, and AWS's X-Ray policy while it is traced).

This kind comes early in the apply order, right after the function's role: IAM is eventually
consistent, and the time the function takes to be created and published is time in which a new
role reaches Step Functions before workflows.py creates the machine that names it. It never plans a
delete: a role goes with its machine, after it (workflows.py), so no machine is ever left naming a
role that is gone.
"""

from __future__ import annotations

import json

from ...aws import Aws
from ..machines import Machine
from ..models import Desired, canonical
from ..steps import Step
from . import _workflow_state as state

KIND = "workflow_role"
AFTER = ("record",)  # only the record of a new feature (record.py)


def _differences(aws: Aws, m: Machine, roles: dict[str, dict]) -> tuple[dict, list[str]]:
    role = roles.get(m.role_name)
    policy, attached = aws.map(lambda read: read(aws, m.role_name), [state.role_policy, state.attached]) \
        if role else (None, [])
    parts, why = [], []
    if role is None:
        parts += ["role", "policy"]
        why.append(f"state machine {m.name} runs with it: it may invoke alias live, nothing else")
    else:
        if state.trust_of(role) != canonical(m.trust()):
            parts.append("trust")
            why.append("its trust policy differs")
        if policy != canonical(m.policy()):
            parts.append("policy")
            why.append("its policy differs" + (" (log delivery while logging is on)" if m.log_group else ""))
    attach = [a for a in m.managed_policies if a not in attached]
    detach = [a for a in attached if a not in m.managed_policies]
    if attach or detach:
        parts.append("managed")
        why.append(", ".join([f"attach {a.rsplit('/', 1)[-1]}" for a in attach]
                             + [f"detach {d.rsplit('/', 1)[-1]}" for d in detach]))
    return {"workflow": m.workflow, "parts": parts, "attach": attach, "detach": detach}, why


def plan(aws: Aws, want: Desired) -> list[Step]:
    if not want.workflows:
        return []
    roles = state.roles(aws, want.project, want.stage)
    steps = []
    for m, (detail, why) in zip(want.workflows, aws.map(lambda m: _differences(aws, m, roles), want.workflows),
                                strict=True):
        if detail["parts"]:
            steps.append(Step(KIND, m.role_name, "create" if "role" in detail["parts"] else "update",
                              "; ".join(why), detail))
    return steps


def apply(aws: Aws, step: Step, want: Desired) -> None:
    m = next(m for m in want.workflows if m.role_name == step.name)
    iam = aws.client("iam")
    parts = step.detail["parts"]
    aws.forget("workflow-roles")
    with aws.explain(f"setting up IAM role {m.role_name} of state machine {m.name}"):
        if "role" in parts:
            iam.create_role(RoleName=m.role_name, Path=m.role_path, AssumeRolePolicyDocument=json.dumps(m.trust()),
                            Description=f"lz: the role of state machine {m.name}",
                            Tags=[{"Key": k, "Value": v} for k, v in m.tags.items()])
        elif "trust" in parts:
            iam.update_assume_role_policy(RoleName=m.role_name, PolicyDocument=json.dumps(m.trust()))
        if "policy" in parts:
            iam.put_role_policy(RoleName=m.role_name, PolicyName=state.POLICY, PolicyDocument=json.dumps(m.policy()))
        for arn in m.managed_policies if "role" in parts else step.detail.get("attach", []):
            iam.attach_role_policy(RoleName=m.role_name, PolicyArn=arn)
        for arn in step.detail.get("detach", []):
            iam.detach_role_policy(RoleName=m.role_name, PolicyArn=arn)


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    return []  # workflows.py deletes each role after its machine


def delete(aws: Aws, step: Step) -> None:
    delete_role(aws, step.name)


def delete_role(aws: Aws, name: str) -> None:
    iam = aws.client("iam")
    aws.forget("workflow-roles")
    with aws.explain(f"deleting IAM role {name}"):
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        for arn in state.attached(aws, name):
            iam.detach_role_policy(RoleName=name, PolicyArn=arn)
        iam.delete_role(RoleName=name)
