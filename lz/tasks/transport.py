"""How a task reaches Lambda: an asynchronous invocation of the function's alias `live`, or a
message on the stage's SQS task queue; arguments over the 1 MB limit ride in S3 (`task_bucket`).

boto3 is imported here, the first time a task is sent or an offloaded payload is read: the Lambda
runtime provides it, and a cold start that sends no task never pays for it.
"""

from __future__ import annotations

import json
import os

from . import ASYNC_PAYLOAD_LIMIT, TaskError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from . import Task

ALIAS = "live"
OFFLOAD_PREFIX = "lz-tasks/"
_clients: dict[str, Any] = {}


def _client(service: str) -> Any:
    client = _clients.get(service)
    if client is None:
        import boto3

        client = _clients[service] = boto3.client(service)
    return client


def _function(mode: str) -> str:
    if mode == "lambda":
        return os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    return os.environ.get("LZ_TASKS_FUNCTION") or mode.split(":", 1)[1]


def _offload(task: Task, task_id: str, body: bytes) -> bytes:
    """Put the full payload in the task bucket and send a pointer to it instead."""
    bucket = os.environ["LZ_TASK_BUCKET"]
    key = f"{OFFLOAD_PREFIX}{task_id}.json"
    _client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return json.dumps({"lz": "task", "id": task_id, "name": task.name,
                       "s3": {"bucket": bucket, "key": key}}, separators=(",", ":")).encode()


def send(task: Task, task_id: str, body: bytes, mode: str) -> None:
    """Send one task payload (already checked by Task.payload) where the mode says."""
    if len(body) > ASYNC_PAYLOAD_LIMIT:
        body = _offload(task, task_id, body)
    queue = os.environ.get("LZ_TASK_QUEUE")
    if mode == "lambda" and (task.queue or os.environ.get("LZ_TASK_QUEUE_ALL") == "1"):
        if not queue:
            raise TaskError(f"task {task.name} is declared with queue=True but this function has no "
                            "task queue: run lz deploy (it creates the queue when the code asks)")
        _client("sqs").send_message(QueueUrl=queue, MessageBody=body.decode())
        return
    _client("lambda").invoke(FunctionName=_function(mode), Qualifier=ALIAS, InvocationType="Event",
                             Payload=body)


def receive(event: dict[str, Any]) -> dict[str, Any]:
    """The full payload of a task event, fetched from S3 when it was offloaded."""
    ref = event.get("s3")
    if not isinstance(ref, dict):
        return event
    data = _client("s3").get_object(Bucket=ref["bucket"], Key=ref["key"])["Body"].read()
    return {**json.loads(data), "s3": ref}


def forget(event: dict[str, Any]) -> None:
    """Delete an offloaded payload once its task has run (or will not run again)."""
    ref = event.get("s3")
    if isinstance(ref, dict):
        _client("s3").delete_object(Bucket=ref["bucket"], Key=ref["key"])
