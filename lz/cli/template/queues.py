"""The stage's task queue and its dead-letter queue (deploy/resources/task_queue.py: the same
attributes, from the same function). The mapping from the queue to `live` is sources.py's."""

from __future__ import annotations

import json

from ..deploy.resources import task_queue
from .base import Template, att, tag_list

KIND = "task_queue"
QUEUE = "TaskQueue"
DLQ = "TaskDeadLetterQueue"
_INTEGERS = ("MessageRetentionPeriod", "MaximumMessageSize", "VisibilityTimeout")


def emit(t: Template) -> None:
    want = t.want
    if not want.task_queue:
        return
    attributes = task_queue.wanted(want)
    for logical, name in ((DLQ, want.task_dlq_name), (QUEUE, want.task_queue_name)):
        props: dict = {"QueueName": name, "Tags": tag_list(want.tags)}
        for key, value in attributes[name].items():
            if key == "RedrivePolicy":  # an object in a template, the DLQ by reference
                redrive = json.loads(value)
                props[key] = {"deadLetterTargetArn": att(DLQ, "Arn"),
                              "maxReceiveCount": redrive["maxReceiveCount"]}
            else:
                props[key] = int(value) if key in _INTEGERS else value
        t.add(logical, "AWS::SQS::Queue", props)
    t.output("TaskQueueUrl", {"Ref": QUEUE}, "The task queue")
    t.output("TaskDeadLetterQueueArn", att(DLQ, "Arn"), "Where tasks that keep failing wait")
