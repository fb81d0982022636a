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


def offload_key(function: str, task_id: str) -> str:
    """Where a payload for `function` is put: under that function's own prefix, the only place its
    receiving side reads (and deletes) from."""
    return f"{OFFLOAD_PREFIX}{function}/{task_id}.json"


def _offload(task: Task, task_id: str, body: bytes, function: str) -> bytes:
    """Put the full payload in the task bucket and send a pointer to it instead."""
    bucket = os.environ["LZ_TASK_BUCKET"]
    key = offload_key(function, task_id)
    _client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return json.dumps({"lz": "task", "id": task_id, "name": task.name,
                       "s3": {"bucket": bucket, "key": key}}, separators=(",", ":")).encode()


def send(task: Task, task_id: str, body: bytes, mode: str) -> None:
    """Send one task payload (already checked by Task.payload) where the mode says."""
    if len(body) > ASYNC_PAYLOAD_LIMIT:
        body = _offload(task, task_id, body, _function(mode))
    queue = os.environ.get("LZ_TASK_QUEUE")
    if mode == "lambda" and (task.queue or os.environ.get("LZ_TASK_QUEUE_ALL") == "1"):
        if not queue:
            raise TaskError(f"task {task.name} is declared with queue=True but this function has no "
                            "task queue: run lz deploy (it creates the queue when the code asks)")
        _client("sqs").send_message(QueueUrl=queue, MessageBody=body.decode())
        return
    _client("lambda").invoke(FunctionName=_function(mode), Qualifier=ALIAS, InvocationType="Event",
                             Payload=body)


def _checked_pointer(event: dict[str, Any]) -> dict[str, str]:
    """The S3 pointer of an offloaded task, if it points where this function's own sender puts
    payloads: the stage's task bucket, under lz-tasks/<this function>/<task id>.json. The event is
    untrusted, and this function reads and then deletes what the pointer names, so a pointer
    anywhere else (another bucket, another stage's prefix, any other key) is refused."""
    ref = event["s3"]
    bucket = os.environ.get("LZ_TASK_BUCKET")
    function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
    task_id = event.get("id")
    if not bucket:
        raise TaskError("a task payload points to S3, but this function has no task bucket "
                        '(LZ_TASK_BUCKET): set "task_bucket" for the stage and deploy')
    expected = offload_key(function, str(task_id)) if isinstance(task_id, str) else None
    if (not isinstance(ref, dict) or ref.get("bucket") != bucket or expected is None
            or not task_id.isalnum() or ref.get("key") != expected):
        raise TaskError(f"refused a task payload pointer {ref!r}: offloaded payloads are read only "
                        f"from s3://{bucket}/{OFFLOAD_PREFIX}{function}/<task id>.json")
    return {"bucket": bucket, "key": expected}


def receive(event: dict[str, Any]) -> dict[str, Any]:
    """The full payload of a task event, fetched from S3 when it was offloaded."""
    if "s3" not in event:
        return event
    ref = _checked_pointer(event)
    data = _client("s3").get_object(Bucket=ref["bucket"], Key=ref["key"])["Body"].read()
    payload = json.loads(data)
    if (not isinstance(payload, dict) or payload.get("id") != event.get("id")
            or payload.get("name") != event.get("name")):
        raise TaskError(f"the offloaded payload at s3://{ref['bucket']}/{ref['key']} is not the task "
                        f"{event.get('id')!r} its pointer names")
    return {**payload, "s3": ref}


def forget(event: dict[str, Any]) -> None:
    """Delete an offloaded payload once its task has run (or will not run again)."""
    ref = event.get("s3")
    if isinstance(ref, dict):
        _client("s3").delete_object(Bucket=ref["bucket"], Key=ref["key"])
