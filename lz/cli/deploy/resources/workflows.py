"""The stage's workflows: per @workflow a Step Functions state machine and, when its logging is
on, its log group (the role each runs with is workflow_roles.py, made early in the deploy).

One step per workflow: `create` or `update` names the parts that differ (log group, retention,
machine, definition, configuration, tags, type); `delete` removes the machine, then its log group,
then its role. A workflow removed from the code loses all three (its role too: roles are only ever
deleted here, after their machine); an unchanged redeploy writes nothing.

IAM is eventually consistent: a role made seconds ago may not yet be assumable by Step Functions,
which then refuses CreateStateMachine / UpdateStateMachine with AccessDeniedException (or
InvalidArn) naming the role or the log destination. Those calls are retried with backoff, as
function.py does for Lambda's "cannot be assumed"; a refusal of the deploying identity itself
("User: ... is not authorized to perform: ...") is not, and is explained at once.
"""

from __future__ import annotations

import time

from ...aws import Aws, AwsError, error_code
from ..machines import LOG_PREFIX, ROLE_SUFFIX, Machine, log_group_name, machine_prefix, role_name_of
from ..models import Desired, canonical
from ..steps import Step
from . import _workflow_state as state
from . import features
from .workflow_roles import delete_role

KIND = "workflow"
AFTER = ("record", "function", "workflow_role")  # the alias live, the machine's role
RETRY_DELAYS = (1, 2, 4, 8, 8, 8, 8, 8, 8)  # about a minute, for a new role to reach Step Functions
_ORDER = ("logs", "retention", "replace", "machine", "update", "tags", "drop-logs")


def _retention(group: dict | None) -> int | None:
    return group.get("retentionInDays") if group else None


def _differences(want: Desired, m: Machine, found: state.Existing,
                 described: dict | None) -> tuple[dict, list[str]]:
    """(detail of the step, reasons) for one wanted machine (`described`: as AWS has it, or None);
    no parts: nothing to do."""
    parts: list[str] = []
    why: list[str] = []
    group = found.groups.get(log_group_name(m.name))
    if m.log_group and group is None:
        parts.append("logs")
        why.append(f"log group {m.log_group} ({m.logging})")
    elif m.log_group and _retention(group) != want.log_retention_days:
        parts.append("retention")
        why.append(f"log retention {_retention(group) or 'forever'} -> {want.log_retention_days} days")
    if described is None:
        parts.append("machine")
        tasks = ", ".join(t.rsplit(".", 1)[-1] for t in m.tasks) or "none"
        why.insert(0, f"@workflow {m.workflow}: a {m.type} state machine (tasks: {tasks})")
    else:
        if described.get("type", "STANDARD") != m.type:
            parts.append("replace")
            why.append(f"type {described.get('type')} -> {m.type} (Step Functions cannot change a "
                       "machine's type: it is deleted and made again)")
        else:
            changes = []
            if canonical(described.get("definition", "{}")) != canonical(m.definition):
                changes.append("definition changed")
            if described.get("roleArn") != m.role_arn:
                changes.append("role changed")
            logging = described.get("loggingConfiguration") or {}
            if state.logging_of(logging) != state.logging_of(m.logging_configuration()):
                changes.append(f"logging {logging.get('level', 'OFF')} -> {m.logging}")
            if bool((described.get("tracingConfiguration") or {}).get("enabled")) != m.tracing:
                changes.append(f"tracing -> {'on' if m.tracing else 'off'}")
            if changes:
                parts.append("update")
                why += changes
        if m.name not in found.machines:  # there, but not tagged for this stage
            parts.append("tags")
            why.append("tag it for this stage")
    if m.log_group is None and log_group_name(m.name) in found.groups:
        parts.append("drop-logs")
        why.append("logging is off: its log group goes")
    return {"workflow": m.workflow, "parts": sorted(parts, key=_ORDER.index)}, why


def plan(aws: Aws, want: Desired) -> list[Step]:
    if not features.needed(aws, want, "workflows"):
        return []  # neither asked for nor deployed (features.py)
    # the wanted machines' ARNs are known: they are read beside the listing of what exists
    found, *described = aws.map(lambda read: read(), [lambda: state.existing(aws, want.project, want.stage)] + [
        lambda m=m: state.describe(aws, m.arn) for m in want.workflows])
    steps = []
    for m, d in zip(want.workflows, described, strict=True):
        detail, why = _differences(want, m, found, d)
        if detail["parts"]:
            action = "create" if "machine" in detail["parts"] else "update"
            steps.append(Step(KIND, m.name, action, "; ".join(why), detail))
    wanted = {m.name for m in want.workflows}
    for step in _leftovers(found, want.project, want.stage, keep=wanted):
        steps.append(Step(KIND, step.name, "delete", "its @workflow is no longer in the code", step.detail))
    return steps


def _leftovers(found: state.Existing, project: str, stage: str, keep: set[str]) -> list[Step]:
    """One delete step per machine name whose machine, role or log group exists and is not kept."""
    names = set(found.machines)
    names |= {g[len(LOG_PREFIX):] for g in found.groups}
    roles = dict(found.roles)
    out = []
    for name in sorted(names - keep):
        role = role_name_of(name)
        out.append(Step(KIND, name, "delete", "undeploy", {
            "machine": found.machines.get(name, {}).get("arn"),
            "log_group": log_group_name(name) if log_group_name(name) in found.groups else None,
            "role": role if roles.pop(role, None) is not None else None}))
    kept_roles = {role_name_of(name) for name in keep}
    for role in sorted(set(roles) - kept_roles):  # a role whose machine is gone
        machine = role.removesuffix(ROLE_SUFFIX)
        out.append(Step(KIND, machine if role_name_of(machine) == role else role, "delete", "undeploy",
                        {"machine": None, "log_group": None, "role": role}))
    return out


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    return _leftovers(state.existing(aws, project, stage), project, stage, keep=set())


def _propagating(exc: Exception) -> bool:
    """Step Functions cannot assume the new role yet (or its log permissions have not reached it)."""
    message = getattr(exc, "response", {}).get("Error", {}).get("Message", "")
    return error_code(exc) in ("AccessDeniedException", "InvalidArn") and "is not authorized to perform" not in message


def _retrying(aws: Aws, what: str, m: Machine, call):
    for delay in (*RETRY_DELAYS, None):
        try:
            return call()
        except Exception as exc:
            if not _propagating(exc):
                with aws.explain(what):
                    raise
            if delay is None:
                message = getattr(exc, "response", {}).get("Error", {}).get("Message", "")
                raise AwsError(
                    f"{what} failed: {error_code(exc)}: {message} (Step Functions still could not use IAM role "
                    f"{m.role_name} after {sum(RETRY_DELAYS)} s of retries; a new role usually reaches it within "
                    "a minute: run lz deploy again, and if it persists check the role's trust policy)") from None
            aws.pause(delay)  # ends at once when the deploy is stopping


def _logs(aws: Aws, m: Machine, want: Desired, parts: list[str]) -> None:
    logs = aws.client("logs")
    with aws.explain(f"setting up log group {m.log_group}"):
        if "logs" in parts:
            try:
                logs.create_log_group(logGroupName=m.log_group, tags=m.tags)
            except Exception as exc:
                if error_code(exc) != "ResourceAlreadyExistsException":
                    raise
                logs.tag_log_group(logGroupName=m.log_group, tags=m.tags)
        logs.put_retention_policy(logGroupName=m.log_group, retentionInDays=want.log_retention_days)


def _create(aws: Aws, m: Machine) -> None:
    sfn = aws.client("stepfunctions")
    _retrying(aws, f"creating state machine {m.name}", m, lambda: sfn.create_state_machine(
        name=m.name, definition=m.definition, roleArn=m.role_arn, type=m.type,
        loggingConfiguration=m.logging_configuration(), tracingConfiguration=m.tracing_configuration(),
        tags=[{"key": k, "value": v} for k, v in m.tags.items()]))


def apply(aws: Aws, step: Step, want: Desired) -> None:
    aws.forget("workflow-machines")
    m = next(m for m in want.workflows if m.name == step.name)
    parts = step.detail["parts"]
    sfn = aws.client("stepfunctions")
    if m.log_group and {"logs", "retention"} & set(parts):
        _logs(aws, m, want, parts)
    if "replace" in parts:
        _delete_machine(aws, m.arn)
        _create(aws, m)
    if "machine" in parts:
        _create(aws, m)
    if "update" in parts:
        _retrying(aws, f"updating state machine {m.name}", m, lambda: sfn.update_state_machine(
            stateMachineArn=m.arn, definition=m.definition, roleArn=m.role_arn,
            loggingConfiguration=m.logging_configuration(), tracingConfiguration=m.tracing_configuration()))
    if "tags" in parts:
        with aws.explain(f"tagging state machine {m.name}"):
            sfn.tag_resource(resourceArn=m.arn, tags=[{"key": k, "value": v} for k, v in m.tags.items()])
    if "drop-logs" in parts:
        _delete_group(aws, log_group_name(m.name))


def _delete_machine(aws: Aws, arn: str, timeout: float = 120) -> None:
    """DeleteStateMachine, then wait until it is gone (AWS deletes in the background; a machine of
    the same name cannot be made until then)."""
    sfn = aws.client("stepfunctions")
    try:
        sfn.delete_state_machine(stateMachineArn=arn)
    except Exception as exc:
        if error_code(exc) not in state.GONE:
            with aws.explain(f"deleting state machine {arn}"):
                raise
    deadline = time.monotonic() + timeout
    while state.describe(aws, arn) is not None and time.monotonic() < deadline:
        aws.pause(1)


def _delete_group(aws: Aws, name: str) -> None:
    try:
        aws.client("logs").delete_log_group(logGroupName=name)
    except Exception as exc:
        if error_code(exc) not in ("ResourceNotFoundException",):
            with aws.explain(f"deleting log group {name}"):
                raise


def delete(aws: Aws, step: Step) -> None:
    aws.forget("workflow-machines")
    if step.detail.get("machine"):
        _delete_machine(aws, step.detail["machine"])
    if step.detail.get("log_group"):
        _delete_group(aws, step.detail["log_group"])
    if step.detail.get("role"):
        delete_role(aws, step.detail["role"])


def listing(aws: Aws, project: str, stage: str, region: str, last: int = 5) -> list[tuple[str, str, list[str]]]:
    """(workflow, type, the statuses of its last executions, newest first) for `lz status`."""
    machines = state.existing(aws, project, stage).machines
    prefix = machine_prefix(project, stage)

    def runs(item: tuple[str, dict]) -> list[str]:
        name, machine = item
        if machine["type"] == "EXPRESS":
            return []
        with aws.explain(f"listing the executions of {name}"):
            found = aws.client("stepfunctions").list_executions(stateMachineArn=machine["arn"], maxResults=last)
        return [e["status"] for e in found.get("executions", [])][:last]

    items = sorted(machines.items())
    return [(name[len(prefix):], machine["type"], statuses)
            for (name, machine), statuses in zip(items, aws.map(runs, items), strict=True)]

