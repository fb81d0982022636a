"""Work off the request path, deployed to moto and run in the built bundle: schedules, the S3 / SQS /
SNS connections and their grants, the task queue, async settings, and a task sent by a view."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.builders import fixture, make
from tests.cli.conftest import REGION, lz, moto_requests, need_python, project_copy
from tests.cli.stage import NAME, boto3_s3, clients, deploy, rules, settings

pytestmark = pytest.mark.slow
ACCOUNT = "123456789012"
ALIAS_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{NAME}:live"
JOBS = '''from lz import on_sns, on_sqs, task


@on_sqs(queue="jobs", batch_size=5)
def on_job(message):
    print("job", message["body"], flush=True)


@on_sns(topic="alerts")
def on_alert(record):
    print("alert", record["Sns"]["Message"], flush=True)


@task(queue=True, retries=1)
def rebuild(n):
    if n < 0:
        raise ValueError("negative")
    print("rebuilt", n, flush=True)
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return project_copy(tmp_path, "example_flask")


def _boto(service: str):
    import boto3

    return boto3.client(service, region_name=REGION)


def _policy() -> list[dict]:
    return json.loads(clients()["lambda"].get_policy(FunctionName=NAME, Qualifier="live")["Policy"])["Statement"]


def _statements_by_service() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for s in _policy():
        out.setdefault(s["Principal"]["Service"], set()).add(s["Condition"]["ArnLike"]["AWS:SourceArn"])
    return out


def _mappings() -> dict[str, dict]:
    found = _boto("lambda").list_event_source_mappings(FunctionName=ALIAS_ARN)["EventSourceMappings"]
    return {m["EventSourceArn"].rsplit(":", 1)[-1]: m for m in found}


def _subscriptions(topic_arn: str) -> list[dict]:
    return _boto("sns").list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]


def test_s3_sqs_sns_and_the_task_queue_are_connected_scoped_and_removed(aws_env, project: Path) -> None:
    sqs, sns = _boto("sqs"), _boto("sns")
    sqs.create_queue(QueueName="jobs")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    boto3_s3().create_bucket(Bucket="task-payloads")
    (project / "jobs.py").write_text(JOBS)
    settings(project, tasks={"retries": 1, "max_age": 3600}, task_bucket="task-payloads")
    deploy(aws_env, project)

    # S3: the bucket's notification with the decorator's filters, on the alias
    config = boto3_s3().get_bucket_notification_configuration(Bucket="example-flask-uploads-dev")
    [entry] = config["LambdaFunctionConfigurations"]
    assert entry["LambdaFunctionArn"] == ALIAS_ARN and entry["Events"] == ["s3:ObjectCreated:*"]
    assert sorted((r["Name"].lower(), r["Value"]) for r in entry["Filter"]["Key"]["FilterRules"]) == \
        [("prefix", "incoming/"), ("suffix", ".jpg")]
    # who may invoke the alias: each bucket, topic and rule for itself alone
    by_service = _statements_by_service()
    assert by_service["s3.amazonaws.com"] == {"arn:aws:s3:::example-flask-uploads-dev"}
    assert by_service["sns.amazonaws.com"] == {topic}
    assert len(by_service["events.amazonaws.com"]) == 1
    s3_statement = next(s for s in _policy() if s["Principal"]["Service"] == "s3.amazonaws.com")
    assert s3_statement["Condition"]["StringEquals"]["AWS:SourceAccount"] == ACCOUNT
    # SQS: the @on_sqs queue and the task queue, reporting partial batch failures
    mappings = _mappings()
    assert set(mappings) == {"jobs", f"{NAME}-tasks"}
    assert mappings["jobs"]["BatchSize"] == 5
    assert all(m["FunctionResponseTypes"] == ["ReportBatchItemFailures"] for m in mappings.values())
    # the task queue (made because a @task asks for it) and its dead-letter queue
    url = sqs.get_queue_url(QueueName=f"{NAME}-tasks")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{NAME}-tasks-dlq", "maxReceiveCount": 2}
    assert attributes["MaximumMessageSize"] == "1048576" and attributes["VisibilityTimeout"] == "180"
    # SNS: the alias subscribed to the topic
    assert [s["Endpoint"] for s in _subscriptions(topic)] == [ALIAS_ARN]
    # async invocations: lz's retries and max age, and the runtime told where tasks go
    invoke_config = _boto("lambda").get_function_event_invoke_config(FunctionName=NAME, Qualifier="live")
    assert (invoke_config["MaximumRetryAttempts"], invoke_config["MaximumEventAgeInSeconds"]) == (1, 3600)
    env = _boto("lambda").get_function_configuration(FunctionName=NAME)["Environment"]["Variables"]
    assert env["LZ_TASK_QUEUE"].endswith(f"/{ACCOUNT}/{NAME}-tasks") and env["LZ_TASK_BUCKET"] == "task-payloads"
    assert "LZ_TASK_QUEUE_ALL" not in env  # only rebuild asked for the queue
    # the role: what each source needs, on those resources only
    doc = clients()["iam"].get_role_policy(RoleName=f"{NAME}-lambda", PolicyName="lz")["PolicyDocument"]
    statements = {s["Sid"]: s for s in doc["Statement"]}
    assert statements["ReadQueues"]["Resource"] == sorted([f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs",
                                                           f"arn:aws:sqs:{REGION}:{ACCOUNT}:{NAME}-tasks"])
    assert statements["SendTasks"]["Resource"] == [f"arn:aws:sqs:{REGION}:{ACCOUNT}:{NAME}-tasks"]
    assert statements["ReadUploads"]["Resource"] == ["arn:aws:s3:::example-flask-uploads-dev/incoming/*"]
    assert statements["TaskPayloads"]["Resource"] == [f"arn:aws:s3:::task-payloads/lz-tasks/{NAME}/*"]
    assert "nothing to change" in deploy(aws_env, project).stderr
    status = lz(aws_env, "status", "dev", "--project", str(project)).stdout
    assert "schedule  rate(1 day)  app.forget_new_items (enabled)" in status
    assert "s3        example-flask-uploads-dev  s3:ObjectCreated:* prefix=incoming/ suffix=.jpg" in status
    assert "sqs       jobs  batch 5" in status and f"sqs       {NAME}-tasks  batch 10" in status
    assert "sns       alerts  subscribed" in status

    # `lz unschedule` removes rules, and nothing else
    assert lz(aws_env, "unschedule", "dev", "--project", str(project)).returncode == 0
    assert rules() == {} and set(_mappings()) == {"jobs", f"{NAME}-tasks"} and _subscriptions(topic)
    assert boto3_s3().get_bucket_notification_configuration(Bucket="example-flask-uploads-dev")[
        "LambdaFunctionConfigurations"]

    # handlers removed from the code: their connections and grants go; the other entries stay
    (project / "jobs.py").unlink()
    result = deploy(aws_env, project)
    assert "no handler for this queue any more" in result.stderr
    assert "no @on_sns handler for this topic any more" in result.stderr
    assert set(_mappings()) == set() and _subscriptions(topic) == []
    assert "sns.amazonaws.com" not in _statements_by_service()
    assert f"{NAME}-tasks" not in [u.rsplit("/", 1)[-1] for u in sqs.list_queues().get("QueueUrls", [])]

    # undeploy: nothing of the stage is left in the bucket, and the bucket (yours) stays
    boto3_s3().put_bucket_notification_configuration(Bucket="example-flask-uploads-dev", NotificationConfiguration={
        "LambdaFunctionConfigurations": config["LambdaFunctionConfigurations"] + [{
            "Id": "someone-else", "LambdaFunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:other",
            "Events": ["s3:ObjectRemoved:*"]}]})
    assert lz(aws_env, "undeploy", "dev", "--yes", "--project", str(project)).returncode == 0
    left = boto3_s3().get_bucket_notification_configuration(Bucket="example-flask-uploads-dev")
    assert [e["Id"] for e in left["LambdaFunctionConfigurations"]] == ["someone-else"]


def test_a_missing_bucket_or_one_in_another_region_is_a_clear_error(aws_env, project: Path) -> None:
    settings(project, environment={"UPLOADS_BUCKET": "no-such-bucket-here"})
    result = lz(aws_env, "deploy", "dev", "--project", str(project))
    assert result.returncode == 1
    assert "bucket no-such-bucket-here (@on_s3 at app.py:" in result.stderr and "create it" in result.stderr
    boto3_s3().create_bucket(Bucket="uploads-in-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    settings(project, environment={"UPLOADS_BUCKET": "uploads-in-eu"})
    result = lz(aws_env, "deploy", "dev", "--project", str(project))
    assert result.returncode == 1 and "is in eu-west-1 but the stage deploys to us-east-1" in result.stderr
    settings(project, environment={})
    result = lz(aws_env, "deploy", "dev", "--project", str(project))
    assert result.returncode == 1 and 'names ${UPLOADS_BUCKET}, but stage "dev" has no UPLOADS_BUCKET' in result.stderr


def test_a_view_sends_a_task_and_its_payload_runs_it_in_the_bundle(aws_env, project: Path, moto_endpoint) -> None:
    """HTTP request -> the view calls a task -> an async Invoke reaches moto (recorded) -> that very
    payload, fed to the bundle, runs the task; a schedule's input and an SQS batch run there too."""
    python = need_python("3.13")
    from lz.cli.bundle import build
    from lz.cli.local.runner import LocalFunction
    from lz.cli.settings import load

    settings(project, tasks={"queue": False})
    deploy(aws_env, project)  # the function must exist for moto to accept the invocation
    bundle = build(load(project, "dev"))
    boto3_s3().create_bucket(Bucket="task-payloads")
    moto_requests(moto_endpoint, "start")
    with LocalFunction(bundle.path, "3.13", python=python, name=NAME,
                       environment={"UPLOADS_BUCKET": "example-flask-uploads-dev",
                                    "LZ_TASK_BUCKET": "task-payloads"}) as fn:
        created = fn.invoke(make("http_v2", method="POST", path="/api/items", body=b'{"name": "scone"}',
                                 headers=[("content-type", "application/json")]))
        assert created.ok and created.result["statusCode"] == 201, created.log
        task_id = json.loads(created.result["body"])["task"]
        sent = [r for r in moto_requests(moto_endpoint, "stop") if "/invocations" in r["url"]]
        assert len(sent) == 1
        assert f"/functions/{NAME}/invocations" in sent[0]["url"] and "Qualifier=live" in sent[0]["url"]
        assert {k.lower(): v for k, v in sent[0]["headers"].items()}["x-amz-invocation-type"] == "Event"
        payload = json.loads(sent[0]["body"])
        assert (payload["lz"], payload["id"], payload["name"], payload["args"]) == \
            ("task", task_id, "app.announce_item", [3, "scone"])

        ran = fn.invoke(payload)
        assert ran.ok and ran.result == {"task": "app.announce_item", "id": task_id}
        assert "announcing item 3: scone" in "\n".join(ran.log)

        # arguments over the 1 MB async limit ride in the task bucket; the invocation points at them
        moto_requests(moto_endpoint, "start")
        big = fn.invoke(make("http_v2", method="POST", path="/api/items",
                             body=json.dumps({"name": "x" * 1_100_000}).encode(),
                             headers=[("content-type", "application/json")]))
        assert big.ok and big.result["statusCode"] == 201, big.log
        [sent] = [r for r in moto_requests(moto_endpoint, "stop") if "/invocations" in r["url"]]
        pointer = json.loads(sent["body"])
        assert len(sent["body"]) < 1000 and pointer["s3"] == {
            "bucket": "task-payloads", "key": f"lz-tasks/{NAME}/{pointer['id']}.json"}
        ran = fn.invoke(pointer)
        assert ran.ok and "announcing item 4: xxxx" in "\n".join(ran.log)
        assert "Contents" not in boto3_s3().list_objects_v2(Bucket="task-payloads")  # deleted after the run

        [rule] = rules().values()  # the daily schedule, with the input lz gave its target
        scheduled = fn.invoke(json.loads(rule["Targets"][0]["Input"]))
        assert scheduled.ok and scheduled.result == {"schedule": "app.forget_new_items"}
        listed = fn.invoke(make("http_v2", path="/api/items"))
        assert [i["name"] for i in json.loads(listed.result["body"])["items"]] == ["kettle", "teapot"]

        picture = fixture("s3_put")
        picture["Records"][0]["s3"]["bucket"]["name"] = "example-flask-uploads-dev"
        uploaded = fn.invoke(picture)
        assert uploaded.ok and "new picture: incoming/cat.jpg" in "\n".join(uploaded.log)


def test_the_task_queue_reports_the_failed_message_of_a_batch(aws_env, project: Path) -> None:
    python = need_python("3.13")
    from lz.cli.bundle import build
    from lz.cli.local.runner import LocalFunction
    from lz.cli.settings import load

    (project / "jobs.py").write_text(JOBS.replace('@on_sqs(queue="jobs", batch_size=5)', "")
                                     .replace('@on_sns(topic="alerts")', ""))
    bundle = build(load(project, "dev"))
    queue_url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{NAME}-tasks"
    batch = fixture("sqs_batch")
    for record, n in zip(batch["Records"], (1, -1, 3), strict=True):
        record["eventSourceARN"] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{NAME}-tasks"
        record["body"] = json.dumps({"lz": "task", "id": f"t{n}", "name": "jobs.rebuild", "args": [n], "kwargs": {}})
    with LocalFunction(bundle.path, "3.13", python=python, name=NAME,
                       environment={"LZ_TASK_QUEUE": queue_url}) as fn:
        inv = fn.invoke(batch)
    assert inv.ok and inv.result == {"batchItemFailures": [{"itemIdentifier": batch["Records"][1]["messageId"]}]}
    log = "\n".join(inv.log)
    assert "rebuilt 1" in log and "rebuilt 3" in log and "ValueError: negative" in log


def test_schedules_become_rules_on_the_alias_and_follow_the_code(aws_env, project: Path) -> None:
    settings(project, events=[{"function": "app.forget_new_items", "expression": "cron(0 3 * * ? *)",
                               "input": {"days": 7}}])
    deploy(aws_env, project)
    found = rules()
    assert len(found) == 2
    by_expression = {r["ScheduleExpression"]: r for r in found.values()}
    daily, nightly = by_expression["rate(1 day)"], by_expression["cron(0 3 * * ? *)"]
    target = daily["Targets"][0]
    assert target["Arn"].endswith(f"function:{NAME}:live")
    assert json.loads(target["Input"]) == {"lz": "schedule", "function": "app.forget_new_items"}
    assert json.loads(nightly["Targets"][0]["Input"])["input"] == {"days": 7}
    policy = json.loads(clients()["lambda"].get_policy(FunctionName=NAME, Qualifier="live")["Policy"])
    sources = {s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in policy["Statement"]
               if s["Principal"] == {"Service": "events.amazonaws.com"}}
    assert sources == {daily["Arn"], nightly["Arn"]}
    assert "nothing to change" in deploy(aws_env, project).stderr

    # the rule's input, fed to the deployed bundle, runs the scheduled function
    python = need_python("3.13")
    from lz.cli.bundle import build
    from lz.cli.local.runner import LocalFunction
    from lz.cli.settings import load

    bundle = build(load(project, "dev"))
    with LocalFunction(bundle.path, "3.13", python=python) as fn:
        inv = fn.invoke(json.loads(target["Input"]))
    assert inv.ok and inv.result == {"schedule": "app.forget_new_items"}

    off = lz(aws_env, "unschedule", "dev", "--project", str(project))
    assert off.returncode == 0 and off.stdout.count("delete rule") == 2
    assert rules() == {} and clients()["lambda"].get_function(FunctionName=NAME)
    on = lz(aws_env, "schedule", "dev", "--project", str(project))
    assert on.returncode == 0 and on.stdout.count("create rule") == 2 and len(rules()) == 2

    source = (project / "app.py").read_text().replace('@schedule("rate(1 day)")\n', "")
    (project / "app.py").write_text(source)
    settings(project, events=[])
    result = deploy(aws_env, project)
    # the progress lines (the plan table says it too, wrapped or not depending on the width)
    assert len(re.findall(r"\] delete schedules: \S+ \(its schedule is no longer in the code or settings\)",
                          result.stderr)) == 2
    assert rules() == {}
