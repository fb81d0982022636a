"""The execution role's inline policy, statement by statement from what the stage uses: its own log
group, invoking its own alias `live` (only when a @task is sent by invocation), its dead-letter and
on-failure targets, the queues it reads, the buckets its @on_s3 handlers read, its task queue and
its own prefix of the task bucket, starting its own state machines, and the statements the
settings add. Every Resource is named; no wildcard action, no Resource "*"."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Desired

READ_QUEUE = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
              "sqs:ChangeMessageVisibility"]


def task_prefix(function: str) -> str:
    """Where the runtime puts the arguments of a task too big for an async invocation (lz.tasks):
    one prefix per stage, so a stage can neither read nor delete another's payloads."""
    return f"lz-tasks/{function}/"


def _statement(sid: str, actions: list[str], resources: list[str]) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": sorted(set(resources))}


def execution_policy(want: Desired) -> dict:
    group = f"arn:aws:logs:{want.region}:{want.account}:log-group:{want.log_group}"
    statements = [
        _statement("OwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                   [f"{group}:*", f"{group}:log-stream:*"]),
    ]
    if want.sends_tasks:  # a task is an async Invoke of FunctionName=NAME, Qualifier=live: that ARN
        statements.append(_statement("InvokeSelf", ["lambda:InvokeFunction"], [want.alias_arn]))
    for sid, target in (("DeadLetter", want.dead_letter), ("OnFailure", want.on_failure)):
        if target:
            service = target.split(":")[2]
            action = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "lambda": "lambda:InvokeFunction",
                      "events": "events:PutEvents"}[service]
            statements.append(_statement(sid, [action], [target]))
    queues = [want.arn("sqs", s.target) for s in want.sources_of("sqs")]
    if want.task_queue:
        task_queue = want.arn("sqs", want.task_queue_name)
        queues.append(task_queue)
        statements.append(_statement("SendTasks", ["sqs:SendMessage"], [task_queue]))
    if queues:
        statements.append(_statement("ReadQueues", READ_QUEUE, queues))
    objects = [f"{want.arn('s3', s.target)}/{s.prefix}*" for s in want.sources_of("s3")]
    if objects:
        statements.append(_statement("ReadUploads", ["s3:GetObject"], objects))
    if want.task_bucket:
        statements.append(_statement("TaskPayloads", ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                                     [f"arn:aws:s3:::{want.task_bucket}/{task_prefix(want.name)}*"]))
    if want.workflows:  # Workflow.start(): StartExecution of the stage's own machines, by ARN
        statements.append(_statement("StartWorkflows", ["states:StartExecution"],
                                     [m.arn for m in want.workflows]))
    statements.extend(dict(statement) for statement in want.secret_grants)  # deploy/secrets.py
    statements.extend(dict(statement) for statement in want.permissions)
    return {"Version": "2012-10-17", "Statement": statements}
