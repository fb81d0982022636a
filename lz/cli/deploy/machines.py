"""The stage's workflows as the deploy wants them: one Step Functions state machine per @workflow,
each with an IAM role of its own and, when logging is on, a log group of its own.

Everything here is computed from the code (compiled statically by lz/cli/workflow, never imported)
and the settings' `workflows` key; nothing is read from AWS. Names are deterministic, so a later
deploy finds what an earlier one made:

- state machine  PROJECT-STAGE-WORKFLOW (lz.cli.workflow.machine_name: at most 80 characters), the
                 name the runtime's `.start()` builds from LZ_WORKFLOW_ARN_PREFIX
- its role       PROJECT-STAGE-WORKFLOW-states (64 characters at most; longer names end in a hash),
                 under the IAM path /lz/PROJECT/STAGE/, so the stage's machine roles are found again
                 by path even when their machine is gone
- its log group  /aws/vendedlogs/states/MACHINE: CloudWatch Logs asks that logs delivered by AWS
                 services go under /aws/vendedlogs/, so that the one resource policy it keeps for
                 log delivery stays within its size limit
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..aws import AwsError
from ..pysource import parsed
from ..settings_keys import WORKFLOW_LOGGING, WORKFLOW_TYPES

ROLE_SUFFIX = "-states"
LOG_PREFIX = "/aws/vendedlogs/states/"
XRAY_POLICY = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
# What Step Functions needs to deliver a machine's logs (Step Functions developer guide, "Logging
# using CloudWatch Logs", IAM policies for logging). CloudWatch Logs' log-delivery actions take no
# resource-level permission, so AWS's own example grants them on Resource "*": the one statement
# of an lz role that names no resource, present only while the workflow's logging is on.
LOG_DELIVERY = ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"]


class WorkflowDeployError(AwsError):
    """The stage's workflows cannot be deployed as written; nothing was changed in AWS."""


@dataclass(frozen=True)
class Machine:
    """One @workflow as its state machine, role and log group."""

    workflow: str  # the workflow's function name (settings key, `lz workflow start STAGE NAME`)
    name: str  # the state machine's name
    arn: str
    definition: str  # ASL JSON, ${FunctionArn} filled in with the alias `live`
    role_name: str
    role_path: str
    account: str
    region: str
    alias_arn: str  # what its Task states invoke: the one thing its role may invoke
    tasks: tuple[str, ...] = ()
    type: str = "STANDARD"
    logging: str = "OFF"
    tracing: bool = False
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role{self.role_path}{self.role_name}"

    @property
    def log_group(self) -> str | None:
        return log_group_name(self.name) if self.logging != "OFF" else None

    @property
    def log_group_arn(self) -> str | None:
        group = self.log_group
        return f"arn:aws:logs:{self.region}:{self.account}:log-group:{group}:*" if group else None

    def trust(self) -> dict:
        return trust_policy(self.account, self.arn)

    def policy(self) -> dict:
        """The role's inline policy: invoke the stage's alias `live` (that ARN only), and deliver
        logs while logging is on."""
        statements = [{"Sid": "InvokeLive", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
                       "Resource": [self.alias_arn]}]
        if self.logging != "OFF":
            statements.append({"Sid": "LogDelivery", "Effect": "Allow", "Action": list(LOG_DELIVERY),
                               "Resource": "*"})
        return {"Version": "2012-10-17", "Statement": statements}

    @property
    def managed_policies(self) -> list[str]:
        """X-Ray's actions take no resource either: tracing attaches AWS's own policy for them, as
        the function's role does (models.Desired.managed_policies)."""
        return [XRAY_POLICY] if self.tracing else []

    def logging_configuration(self) -> dict:
        if self.logging == "OFF":
            return {"level": "OFF", "includeExecutionData": False}
        return {"level": self.logging, "includeExecutionData": True,
                "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": self.log_group_arn}}]}

    def tracing_configuration(self) -> dict:
        return {"enabled": self.tracing}


def trust_policy(account: str, machine_arn: str) -> dict:
    """Step Functions may assume the role, for this machine of this account only (Step Functions
    developer guide, "Creating an IAM role for your state machine", preventing the cross-service
    confused deputy problem with aws:SourceAccount and aws:SourceArn)."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account},
                      "ArnLike": {"aws:SourceArn": machine_arn}}}]}


def role_path(project: str, stage: str) -> str:
    return f"/lz/{project}/{stage}/"


def role_name_of(machine: str) -> str:
    name = machine + ROLE_SUFFIX
    if len(name) <= 64:
        return name
    digest = hashlib.sha256(machine.encode()).hexdigest()[:8]
    return f"{machine[:64 - len(ROLE_SUFFIX) - 9]}-{digest}{ROLE_SUFFIX}"


def log_group_name(machine: str) -> str:
    return LOG_PREFIX + machine


def machine_prefix(project: str, stage: str) -> str:
    from ..settings import function_name

    return f"{function_name(project, stage)}-"


def arn_prefix(region: str, account: str, project: str, stage: str) -> str:
    """LZ_WORKFLOW_ARN_PREFIX: a machine's ARN is this plus its workflow's name."""
    return f"arn:aws:states:{region}:{account}:stateMachine:{machine_prefix(project, stage)}"


def _settings_of(stage: Any, found: list[str]) -> dict[str, dict]:
    """The settings' `workflows`, every name checked against the workflows in the code."""
    configured = dict(getattr(stage, "workflows", {}) or {})
    unknown = sorted(set(configured) - set(found))
    if unknown:
        raise WorkflowDeployError(
            f'stage "{stage.name}": "workflows" names {", ".join(repr(u) for u in unknown)}, but the '
            f"code has no @workflow of that name (found: {', '.join(found) or 'none'}); use the "
            "workflow's function name, or remove the entry")
    return configured


def stage_machines(stage: Any, files: list[tuple[str, Path]], region: str, account: str,
                   alias_arn: str, tags: dict[str, str]) -> tuple[tuple[Machine, ...], frozenset[str]]:
    """(the stage's machines, the tasks only its workflows call): a task that nothing but a
    workflow calls is invoked by Step Functions, with the machine's role, never sent by the
    function, so it needs no lambda:InvokeFunction in the function's role."""
    from ..workflow import CompileError, compile_project, machine_name, resolve

    try:
        compiled = compile_project(files)
        names = {c.name: machine_name(stage.function_name, c.name) for c in compiled}
    except CompileError as exc:
        raise WorkflowDeployError(f"a workflow cannot be compiled (nothing was changed in AWS): {exc}") from None
    configured = _settings_of(stage, [c.name for c in compiled])
    machines = []
    for c in compiled:
        options = configured.get(c.name, {})
        name = names[c.name]
        machines.append(Machine(
            workflow=c.name, name=name, arn=f"arn:aws:states:{region}:{account}:stateMachine:{name}",
            definition=resolve(json.dumps(c.definition, sort_keys=True, separators=(",", ":")), alias_arn),
            role_name=role_name_of(name), role_path=role_path(stage.project, stage.name), account=account,
            region=region, alias_arn=alias_arn, tasks=c.tasks,
            type=options.get("type", WORKFLOW_TYPES[0]), logging=options.get("logging", WORKFLOW_LOGGING[0]),
            tracing=bool(options.get("tracing", False)), tags=dict(tags)))
    only = workflow_only_tasks(files, compiled) if compiled else frozenset()
    return tuple(machines), only


def workflow_only_tasks(files: list[tuple[str, Path]], compiled: list) -> frozenset[str]:
    """The registered names of the tasks the workflows call whose name appears nowhere else in the
    code (imports aside). A name seen anywhere outside a workflow body counts as a place the task
    may be sent from, so this errs towards granting, never towards a task that cannot be sent."""
    called = {task for c in compiled for task in c.tasks}
    bodies = {(c.origin.rsplit(":", 1)[0], int(c.origin.rsplit(":", 1)[1])) for c in compiled}
    outside: set[str] = set()
    for rel, path in files:
        if not rel.endswith(".py"):
            continue
        tree = parsed(rel, path)
        if tree is None:
            return frozenset()  # cannot tell: grant as before
        stack: list[ast.AST] = [tree]
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if isinstance(node, ast.FunctionDef) and (rel, node.lineno) in bodies:
                continue  # a workflow's body: its task calls are Task states
            if isinstance(node, ast.Name):
                outside.add(node.id)
            elif isinstance(node, ast.Attribute):
                outside.add(node.attr)
            stack.extend(ast.iter_child_nodes(node))
    return frozenset(task for task in called if task.rsplit(".", 1)[-1] not in outside)
