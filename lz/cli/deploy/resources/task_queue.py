"""The stage's SQS task queue and its dead-letter queue, when tasks go through SQS (settings
`tasks.queue`, or a @task(queue=True) in the code).

The queue holds messages up to 1 MiB (Lambda's async limit, so a task fits either way) for 14 days;
its visibility timeout is six times the function's timeout, as AWS advises for Lambda consumers;
after `tasks.retries` + 1 failed receives a message moves to the dead-letter queue, where it waits
14 days to be looked at. The mapping from the queue to the function is the `sqs` kind's job.
"""

from __future__ import annotations

import json

from ...aws import TAG_PROJECT, TAG_STAGE, Aws, not_found
from ..models import Desired, task_queue_names
from ..steps import Step
from . import features

KIND = "task_queue"
AFTER = ("record",)  # only the record of a new feature (record.py)
RETENTION = 1_209_600  # 14 days, SQS's longest
MAX_MESSAGE = 1_048_576


def _url(aws: Aws, name: str) -> str | None:
    try:
        return aws.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
    except Exception as exc:
        if not_found(exc) or "NonExistentQueue" in str(exc):
            return None
        with aws.explain(f"looking up SQS queue {name}"):
            raise


def _attributes(aws: Aws, url: str) -> dict[str, str]:
    with aws.explain(f"reading the attributes of {url}"):
        return aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def wanted(want: Desired) -> dict[str, dict[str, str]]:
    """{queue name: attributes}, the dead-letter queue first (the main queue refers to it)."""
    dlq_arn = want.arn("sqs", want.task_dlq_name)
    return {
        want.task_dlq_name: {"MessageRetentionPeriod": str(RETENTION)},
        want.task_queue_name: {
            "MessageRetentionPeriod": str(RETENTION), "MaximumMessageSize": str(MAX_MESSAGE),
            "VisibilityTimeout": str(min(43_200, max(30, 6 * want.timeout))),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                         "maxReceiveCount": want.task_retries + 1}, sort_keys=True),
        },
    }


def _differs(have: dict[str, str], want: dict[str, str]) -> list[str]:
    out = []
    for key, value in want.items():
        current = have.get(key)
        if key == "RedrivePolicy" and current:
            current = json.dumps({k: (int(v) if k == "maxReceiveCount" else v)
                                  for k, v in json.loads(current).items()}, sort_keys=True)
        if current != value:
            out.append(key)
    return out


def plan(aws: Aws, want: Desired) -> list[Step]:
    if not features.needed(aws, want, "task_queue"):
        return []  # neither asked for nor deployed (features.py)
    if not want.task_queue:
        return _stale(aws, want.project, want.stage, "no task asks for a queue any more")
    steps = []
    for name, attributes in wanted(want).items():
        url = _url(aws, name)
        if url is None:
            steps.append(Step(KIND, name, "create", "tasks go through SQS", {"queue": name}))
        else:
            changed = _differs(_attributes(aws, url), attributes)
            if changed:
                steps.append(Step(KIND, name, "update", ", ".join(changed) + " differ", {"queue": name}))
    return steps


def apply(aws: Aws, step: Step, want: Desired) -> None:
    sqs = aws.client("sqs")
    name = step.detail["queue"]
    attributes = wanted(want)[name]
    with aws.explain(f"{step.action} SQS queue {name}"):
        url = _url(aws, name)
        if url is None:
            sqs.create_queue(QueueName=name, Attributes=attributes, tags=want.tags)
        else:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)


def _stale(aws: Aws, project: str, stage: str, reason: str) -> list[Step]:
    """Delete steps for the task queues that exist and are tagged for this stage."""
    steps = []
    for name in task_queue_names(project, stage):
        url = _url(aws, name)
        if url is None:
            continue
        tags = aws.client("sqs").list_queue_tags(QueueUrl=url).get("Tags") or {}
        if tags.get(TAG_PROJECT) == project and tags.get(TAG_STAGE) == stage:
            steps.append(Step(KIND, name, "delete", reason, {"queue": name}))
    return steps


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    return _stale(aws, project, stage, "undeploy")


def delete(aws: Aws, step: Step) -> None:
    url = _url(aws, step.detail["queue"])
    if url is not None:
        with aws.explain(f"deleting SQS queue {step.detail['queue']}"):
            aws.client("sqs").delete_queue(QueueUrl=url)
