"""The S3 offload route against a real S3 API (moto): a task event's pointer is read and then
deleted, so a hostile one must not reach another bucket, another stage's prefix, or any other key
(issue 11, item 1). The pointer lz itself writes still works, end to end."""

from __future__ import annotations

import json
import sys

import boto3
import pytest

from lz.runtime.dispatch import Dispatcher
from lz.tasks import TaskError, names, transport
from tests.builders import Context
from tests.cli.conftest import REGION

MODULE = "tests.untrusted.declared"
NAME = f"{MODULE}.resize"


@pytest.fixture
def s3(aws_env, monkeypatch):
    monkeypatch.setattr(transport, "_clients", {})
    monkeypatch.setattr(names, "DECLARED", {})
    names.declare({NAME: [MODULE, "resize", ["task"]]})
    monkeypatch.setenv("LZ_TASK_BUCKET", "task-payloads")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "proj-dev")
    client = boto3.client("s3", region_name=REGION)
    for bucket in ("task-payloads", "other-bucket"):
        client.create_bucket(Bucket=bucket)
    payload = json.dumps({"lz": "task", "id": "ab12", "name": NAME, "args": ["x.jpg"]})
    for bucket, key in [("other-bucket", "lz-tasks/proj-dev/ab12.json"),
                        ("task-payloads", "secrets/ab12.json"),
                        ("task-payloads", "lz-tasks/proj-prod/ab12.json"),
                        ("task-payloads", "lz-tasks/proj-dev/ab12.json")]:
        client.put_object(Bucket=bucket, Key=key, Body=payload.encode())
    return client


def keys(client, bucket: str) -> set[str]:
    return {o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])}


@pytest.mark.parametrize("pointer", [
    {"bucket": "other-bucket", "key": "lz-tasks/proj-dev/ab12.json"},
    {"bucket": "task-payloads", "key": "secrets/ab12.json"},
    {"bucket": "task-payloads", "key": "lz-tasks/proj-prod/ab12.json"},
])
def test_a_pointer_elsewhere_neither_reads_nor_deletes(s3, pointer) -> None:
    before = {b: keys(s3, b) for b in ("task-payloads", "other-bucket")}
    with pytest.raises(TaskError, match="refused a task payload pointer"):
        Dispatcher(None)({"lz": "task", "id": "ab12", "name": NAME, "s3": pointer}, Context())
    assert {b: keys(s3, b) for b in ("task-payloads", "other-bucket")} == before


def test_the_stages_own_pointer_runs_the_task_and_deletes_the_payload(s3) -> None:
    pointer = {"bucket": "task-payloads", "key": "lz-tasks/proj-dev/ab12.json"}
    result = Dispatcher(None)({"lz": "task", "id": "ab12", "name": NAME, "s3": pointer}, Context())
    assert result == {"task": NAME, "id": "ab12"}
    assert sys.modules[MODULE].RAN[-1] == ("resize", "x.jpg")
    assert keys(s3, "task-payloads") == {"secrets/ab12.json", "lz-tasks/proj-prod/ab12.json"}


def test_a_pointer_whose_object_is_another_task_is_refused(s3) -> None:
    s3.put_object(Bucket="task-payloads", Key="lz-tasks/proj-dev/cd34.json",
                  Body=json.dumps({"lz": "task", "id": "cd34", "name": "os.system", "args": ["id"]}).encode())
    pointer = {"bucket": "task-payloads", "key": "lz-tasks/proj-dev/cd34.json"}
    with pytest.raises(TaskError, match="is not the task"):
        Dispatcher(None)({"lz": "task", "id": "cd34", "name": NAME, "s3": pointer}, Context())
