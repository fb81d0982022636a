"""@task, @schedule and the event-source decorators, and the dispatcher that routes every event
(real AWS-shaped fixtures), without any AWS: what runs in the bundle, tested where it is written."""

from __future__ import annotations

import copy
import json
import threading
import time

import pytest

from lz import on_s3, on_sns, on_sqs, schedule, task
from lz import tasks as registry
from lz.runtime.dispatch import Dispatcher
from tests.builders import Context, fixture, make

seen: list = []


@task
def add(a: int, b: int = 0) -> int:
    seen.append(("add", a, b))
    return a + b


@task(retries=0)
def boom() -> None:
    raise ValueError("task exploded")


@schedule("rate(10 minutes)", "cron(0 3 * * ? *)")
def cleanup(payload: dict | None = None) -> None:
    seen.append(("cleanup", payload))


@on_s3(bucket="uploads", prefix="incoming/", suffix=".jpg")
def on_upload(record: dict) -> None:
    seen.append(("s3", record["s3"]["object"]["key"]))


@on_s3(bucket="uploads", prefix="other/")
def never(record: dict) -> None:
    seen.append(("never", record))


@on_sqs(queue="jobs")
def on_job(message: dict) -> None:
    body = json.loads(message["body"])
    if body["job"] == "fail":
        raise RuntimeError("job failed")
    seen.append(("sqs", body["job"]))


@on_sns(topic="alerts")
def on_alert(record: dict) -> None:
    seen.append(("sns", record["Sns"]["Message"]))


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    seen.clear()
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.delenv("LZ_TASKS", raising=False)


def http_app(event, context):
    return {"statusCode": 200, "body": "http"}


handler = Dispatcher(http_app)


def test_task_inline_returns_a_handle_with_the_result() -> None:
    handle = add(2, b=3)
    assert isinstance(handle, registry.TaskHandle) and handle.mode == "inline"
    assert handle.result == 5 and len(handle.id) == 32
    assert add.run(1, 1) == 2  # .run is always inline and returns the value


def test_task_in_a_thread_returns_at_once(monkeypatch) -> None:
    monkeypatch.setenv("LZ_TASKS", "thread")
    gate = threading.Event()

    @task
    def slow() -> str:
        gate.wait(5)
        return "done"

    handle = slow()
    assert handle.mode == "thread" and handle._thread.is_alive()
    gate.set()
    assert handle.result == "done"


def test_task_failures_surface_on_result_not_at_the_call(monkeypatch) -> None:
    handle = boom()
    with pytest.raises(ValueError, match="task exploded"):
        _ = handle.result


def test_non_json_arguments_fail_at_the_call_site() -> None:
    with pytest.raises(registry.TaskError, match="not JSON .* pass ids, strings and numbers"):
        add(object())
    assert seen == []  # nothing ran


def test_payload_over_the_async_limit_fails_before_sending(monkeypatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "app-dev")  # would send to Lambda
    with pytest.raises(registry.TaskError, match=r"over Lambda.s 1,048,576-byte limit .* put the data in S3 .*task_bucket"):
        add("x" * 1_100_000)


def test_task_payload_shape() -> None:
    body = json.loads(add.payload((1,), {"b": 2}, "abc"))
    sent = body.pop("sent")
    assert body == {"lz": "task", "id": "abc", "name": "tests.test_tasks.add", "args": [1], "kwargs": {"b": 2}}
    assert abs(sent - time.time()) < 5
    assert json.loads(add.payload((), {}, "abc", attempt=2))["attempt"] == 2


def test_bad_lz_tasks_setting_says_what_is_allowed(monkeypatch) -> None:
    monkeypatch.setenv("LZ_TASKS", "later")
    with pytest.raises(registry.TaskError, match="use inline, thread or remote:STAGE"):
        add(1)


def test_dispatcher_runs_a_task_payload_as_lambda_would() -> None:
    payload = json.loads(add.payload((4,), {"b": 5}, "t-1"))
    assert handler(payload, Context()) == {"task": "tests.test_tasks.add", "id": "t-1"}
    assert seen == [("add", 4, 5)]


def test_a_failing_task_is_logged_with_its_id_and_raised(caplog) -> None:
    payload = json.loads(boom.payload((), {}, "t-2"))
    with pytest.raises(ValueError):
        handler(payload, Context("req-task"))
    assert "task tests.test_tasks.boom t-2: failed, attempt 0 (request_id=req-task)" in caplog.text


def test_unknown_task_name_is_an_error_that_names_it(caplog) -> None:
    from lz.tasks.names import Unregistered

    with pytest.raises(Unregistered, match="'tests.test_tasks.nope' is not a @task of this bundle"):
        handler({"lz": "task", "id": "x", "name": "tests.test_tasks.nope", "args": [], "kwargs": {}}, Context())
    assert "task 'tests.test_tasks.nope' x refused" in caplog.text


def test_schedules_are_registered_and_run() -> None:
    entry = next(s for s in registry.SCHEDULES if s["function"] == "tests.test_tasks.cleanup")
    assert entry["expressions"] == ["rate(10 minutes)", "cron(0 3 * * ? *)"]
    handler({"lz": "schedule", "function": "tests.test_tasks.cleanup"}, Context())
    handler({"lz": "schedule", "function": "tests.test_tasks.cleanup", "input": {"days": 7}}, Context())
    assert seen == [("cleanup", None), ("cleanup", {"days": 7})]
    with pytest.raises(ValueError, match="not an EventBridge schedule"):
        schedule("every 5 minutes")


def test_s3_records_reach_the_handlers_whose_filters_match() -> None:
    assert handler(fixture("s3_put"), Context()) == {"records": 1}
    assert seen == [("s3", "incoming/cat.jpg")]
    other = fixture("s3_put")
    other["Records"][0]["s3"]["object"]["key"] = "incoming/cat.png"  # suffix filter
    handler(other, Context())
    assert seen == [("s3", "incoming/cat.jpg")]


def test_sqs_batch_reports_only_the_failed_message() -> None:
    result = handler(fixture("sqs_batch"), Context())
    assert result == {"batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]}
    assert seen == [("sqs", 1), ("sqs", 3)]


def test_sns_notifications_reach_the_topic_handler() -> None:
    handler(fixture("sns_notification"), Context())
    assert seen == [("sns", "disk almost full")]


def test_http_events_go_to_the_app_and_warmups_are_answered() -> None:
    assert handler(make("http_v2"), Context())["body"] == "http"
    assert handler(make("rest_v1"), Context())["body"] == "http"
    assert handler({"lz": "warm"}, Context()) == {"warm": True}


def test_an_event_nobody_handles_is_logged_with_its_shape_and_answered(caplog) -> None:
    odd = {**fixture("scheduled_event"), "detail-type": "Object Created"}  # not a keep-warm ping
    result = handler(odd, Context("req-odd"))
    assert result["error"] == "lz: no route for this event"
    assert "detail-type" in result["keys"] and "source" in result["keys"]
    assert "no route for this event (request_id=req-odd)" in caplog.text
    assert Dispatcher(None)(make("http_v2"), Context())["error"]  # no app: no HTTP route
    assert handler("not a dict", Context())["keys"] == ["str"]


def test_records_copy_is_not_mutated() -> None:
    event = fixture("sqs_batch")
    before = copy.deepcopy(event)
    handler(event, Context())
    assert event == before


def test_a_failing_s3_or_sns_handler_is_raised_after_the_others_ran(caplog) -> None:
    @on_sns(topic="alerts")
    def broken(record: dict) -> None:
        raise RuntimeError("sns handler broke")

    try:
        with pytest.raises(RuntimeError, match="SNS handlers failed: tests.test_tasks"):
            handler(fixture("sns_notification"), Context("req-sns"))
        assert seen == [("sns", "disk almost full")]  # the healthy handler still ran
        assert "@on_sns" in caplog.text and "req-sns" in caplog.text
    finally:
        registry.SOURCES[:] = [s for s in registry.SOURCES if s["callable"] is not broken]


@task(retries=2)
def flaky(n: int) -> None:
    seen.append(("flaky", n))
    raise RuntimeError("flaky failed")


@task(max_age=60)
def fresh_only() -> None:
    seen.append(("fresh_only",))


@task(timeout=0.2)
def slow() -> None:
    time.sleep(5)
    seen.append(("slow finished",))


@task(queue=True)
def queued(n: int) -> None:
    if n < 0:
        raise ValueError("negative")
    seen.append(("queued", n))


def test_a_duplicate_delivery_runs_once_in_an_environment(caplog) -> None:
    payload = json.loads(add.payload((1,), {}, "dup-1"))
    assert handler(payload, Context())["id"] == "dup-1"
    assert handler(copy.deepcopy(payload), Context()) == {"task": "tests.test_tasks.add", "id": "dup-1",
                                                          "skipped": "duplicate"}
    assert seen == [("add", 1, 0)]
    assert "duplicate delivery skipped" in caplog.text


def test_a_failed_attempt_runs_again_when_lambda_retries_it() -> None:
    payload = json.loads(boom.payload((), {}, "again-1"))
    for _ in range(2):  # Lambda's MaximumRetryAttempts (or SQS) delivers the same attempt again
        with pytest.raises(ValueError, match="task exploded"):
            handler(copy.deepcopy(payload), Context())


def test_a_task_older_than_its_max_age_is_dropped_not_run(caplog) -> None:
    old = {**json.loads(fresh_only.payload((), {}, "old-1")), "sent": time.time() - 3600}
    assert handler(old, Context())["skipped"] == "max_age"
    assert seen == [] and "over its max_age of 60 s" in caplog.text
    handler(json.loads(fresh_only.payload((), {}, "new-1")), Context())
    assert seen == [("fresh_only",)]


def test_a_task_over_its_timeout_is_stopped() -> None:
    t0 = time.perf_counter()
    with pytest.raises(registry.TaskError, match="ran longer than its timeout of 0.2 s"):
        handler(json.loads(slow.payload((), {}, "slow-1")), Context())
    assert time.perf_counter() - t0 < 2 and seen == []


def test_task_retries_send_the_task_again_then_raise(monkeypatch) -> None:
    """lz's own retries: the failed run sends the same id with attempt + 1; the last one raises."""
    from lz.tasks import transport

    sent: list[dict] = []
    monkeypatch.setattr(transport, "send", lambda task, tid, body, mode: sent.append(json.loads(body)))
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "app-dev")
    payload = json.loads(flaky.payload((7,), {}, "retry-1"))
    assert handler(payload, Context())["retry"] == 1
    assert handler(sent[-1], Context())["retry"] == 2
    assert [(m["id"], m["attempt"], m["args"]) for m in sent] == [("retry-1", 1, [7]), ("retry-1", 2, [7])]
    with pytest.raises(RuntimeError, match="flaky failed"):
        handler(sent[-1], Context())
    assert seen == [("flaky", 7)] * 3 and len(sent) == 2


def test_tasks_on_the_task_queue_run_and_failures_are_reported(monkeypatch) -> None:
    monkeypatch.setenv("LZ_TASK_QUEUE", "https://sqs.us-east-1.amazonaws.com/123456789012/app-dev-tasks")
    batch = fixture("sqs_batch")
    batch["Records"] = batch["Records"][:2]
    for record, n in zip(batch["Records"], (5, -1), strict=True):
        record["eventSourceARN"] = "arn:aws:sqs:us-east-1:123456789012:app-dev-tasks"
        record["body"] = queued.payload((n,), {}, f"q{n}").decode()
    result = handler(batch, Context())
    assert result == {"batchItemFailures": [{"itemIdentifier": batch["Records"][1]["messageId"]}]}
    assert seen == [("queued", 5)]


def test_a_queued_task_without_a_queue_says_to_deploy(monkeypatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "app-dev")
    monkeypatch.delenv("LZ_TASK_QUEUE", raising=False)
    with pytest.raises(registry.TaskError, match="has no task queue: run lz deploy"):
        queued(1)


def test_with_a_task_bucket_large_arguments_are_allowed(monkeypatch) -> None:
    monkeypatch.setenv("LZ_TASK_BUCKET", "bucket")
    assert add("x" * 1_100_000, "y").result == "x" * 1_100_000 + "y"  # inline; on Lambda: via S3
