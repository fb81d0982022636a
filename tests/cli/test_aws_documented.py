"""What AWS documents as required of every front and source lz deploys, asserted on the requests a
deploy makes (tests/cli/deploy_recording.py), not on what moto happens to accept: moto runs no
Lambda and checks no permission, so a stage that moto takes can still answer 403 on AWS (as Function
URLs did when AWS began to require a second statement in October 2025).

Every Lambda permission lz adds must be on the alias `live` (the ARN every front and source
invokes): "Resource-based policies apply to a single function, version, alias, or layer version"
(Lambda guide, "Viewing resource-based IAM policies in Lambda",
https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html), and a service
principal must be limited with SourceArn (and SourceAccount where the source ARN holds no account)
(Lambda API reference, "AddPermission",
https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import REGION, project_copy
from tests.cli.deploy_recording import calls_of, granted, index_of, record
from tests.cli.stage import NAME, boto3_s3, clients, settings

pytestmark = pytest.mark.slow
ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{NAME}"
ALIAS_ARN = f"{FUNCTION_ARN}:live"
JOBS = '''from lz import on_sns, on_sqs, task


@on_sqs(queue="jobs", batch_size=5)
def on_job(message):
    print("job", message["body"])


@on_sns(topic="alerts")
def on_alert(record):
    print("alert", record["Sns"]["Message"])


@task(queue=True)
def rebuild(n):
    print("rebuilt", n)
'''


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, lz_env) -> tuple[Path, str]:
    """example_flask's zip, built once: the plan needs only its digest, and these tests look at
    the resources and grants around the function, never at the code in it."""
    from lz.cli.bundle import build
    from lz.cli.settings import load

    built = build(load(project_copy(tmp_path_factory.mktemp("bundle"), "example_flask"), "dev"))
    return built.path, built.handler


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return project_copy(tmp_path, "example_flask")


def deployed(endpoint: str, project: Path, bundle: tuple[Path, str]) -> list:
    """Deploy the project's dev stage in-process and return the calls it made."""
    from lz.cli.aws import Aws
    from lz.cli.deploy.operations import deploy
    from lz.cli.settings import load

    record(endpoint, "start")
    deploy(Aws(REGION), load(project, "dev"), bundle[0], bundle[1], dry_run=False, show_plan=lambda s: None)
    return record(endpoint, "stop")


def by_principal(calls: list, principal: str) -> list[dict]:
    return [p for (q, sid), p in granted(calls, NAME).items() if p["Principal"] == principal]


def assert_all_on_the_alias(calls: list) -> None:
    grants = granted(calls, NAME)
    assert grants and {q for q, sid in grants} == {"live"}, sorted(grants)
    live = json.loads(clients()["lambda"].get_policy(FunctionName=NAME, Qualifier="live")["Policy"])
    assert {s["Sid"] for s in live["Statement"]} == {sid for q, sid in grants}  # the replay is AWS's state


def role_policy() -> dict[str, dict]:
    doc = clients()["iam"].get_role_policy(RoleName=f"{NAME}-lambda", PolicyName="lz")["PolicyDocument"]
    doc = doc if isinstance(doc, dict) else json.loads(doc)
    return {s["Sid"]: s for s in doc["Statement"]}


def test_function_url_auth_none_grants_both_statements_aws_requires(aws_env, moto_endpoint, project, bundle):
    """Lambda guide, "Control access to Lambda function URLs"
    (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html): since October 2025 a URL with
    AuthType NONE needs, for principal "*", lambda:InvokeFunctionUrl with the condition
    lambda:FunctionUrlAuthType = NONE AND lambda:InvokeFunction with the condition
    lambda:InvokedViaFunctionUrl = true; both on the qualifier the URL is on."""
    settings(project, http="function_url")
    calls = deployed(moto_endpoint, project, bundle)
    [url] = calls_of(calls, "lambda", "CreateFunctionUrlConfig")
    assert (url.params["Qualifier"], url.params["AuthType"]) == ("live", "NONE")
    public = sorted(by_principal(calls, "*"), key=lambda p: p["Action"])
    assert [{k: p.get(k) for k in ("Action", "FunctionUrlAuthType", "InvokedViaFunctionUrl", "Qualifier")}
            for p in public] == [
        {"Action": "lambda:InvokeFunction", "FunctionUrlAuthType": None, "InvokedViaFunctionUrl": True,
         "Qualifier": "live"},
        {"Action": "lambda:InvokeFunctionUrl", "FunctionUrlAuthType": "NONE", "InvokedViaFunctionUrl": None,
         "Qualifier": "live"}]
    assert not any(p.get("SourceArn") for p in public)  # the conditions above are the whole scope
    assert_all_on_the_alias(calls)


def test_a_url_stage_deployed_before_october_2025_gets_the_second_statement(aws_env, moto_endpoint, project, bundle):
    """Same page (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html): a stage deployed
    with only lambda:InvokeFunctionUrl gets lambda:InvokeFunction (InvokedViaFunctionUrl) at its
    next deploy; switching to AWS_IAM removes both public statements ("AWS_IAM: ... the principal
    must have both permissions in its identity-based policy"), and so does undeploy."""
    settings(project, http="function_url")
    deployed(moto_endpoint, project, bundle)
    lam = clients()["lambda"]
    lam.remove_permission(FunctionName=NAME, Qualifier="live", StatementId="lz-function-url-invoke")
    calls = deployed(moto_endpoint, project, bundle)
    [added] = calls_of(calls, "lambda", "AddPermission")
    assert (added.params["StatementId"], added.params["Action"], added.params["InvokedViaFunctionUrl"]) == \
        ("lz-function-url-invoke", "lambda:InvokeFunction", True)
    assert not calls_of(deployed(moto_endpoint, project, bundle), "lambda", "AddPermission")  # settled

    settings(project, http="function_url", url_auth="AWS_IAM")
    calls = deployed(moto_endpoint, project, bundle)
    removed = {c.params["sid"] for c in calls_of(calls, "lambda", "RemovePermission")}
    assert removed == {"lz-function-url", "lz-function-url-invoke"}

    settings(project, http="function_url", url_auth="NONE")
    deployed(moto_endpoint, project, bundle)
    from lz.cli.aws import Aws
    from lz.cli.deploy.operations import undeploy
    from lz.cli.settings import load

    record(moto_endpoint, "start")
    undeploy(Aws(REGION), load(project, "dev"), confirm=lambda steps: True)
    removed = {c.params["sid"] for c in calls_of(record(moto_endpoint, "stop"), "lambda", "RemovePermission")}
    assert {"lz-function-url", "lz-function-url-invoke"} <= removed


def test_function_url_with_aws_iam_grants_nothing_public(aws_env, moto_endpoint, project, bundle):
    """"Control access to Lambda function URLs" (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html):
    with AWS_IAM, same-account callers need lambda:InvokeFunctionUrl and lambda:InvokeFunction in
    their own identity-based policy; a resource policy for "*" would open the URL to any account."""
    settings(project, http="function_url", url_auth="AWS_IAM")
    calls = deployed(moto_endpoint, project, bundle)
    assert calls_of(calls, "lambda", "CreateFunctionUrlConfig")[0].params["AuthType"] == "AWS_IAM"
    assert by_principal(calls, "*") == []


@pytest.mark.parametrize("front", ["http_api", "rest_api"])
def test_api_gateway_may_invoke_the_alias_for_this_api_only(aws_env, moto_endpoint, project, bundle, front):
    """Lambda guide, "Invoking a Lambda function using an Amazon API Gateway endpoint"
    (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html), and AWS re:Post
    knowledge center, "How do I resolve permission errors for API Gateway HTTP APIs with a Lambda
    integration" (https://repost.aws/knowledge-center/api-gateway-http-lambda-integrations):
    principal apigateway.amazonaws.com, action lambda:InvokeFunction, SourceArn the API's
    execute-api ARN; the integration calls the alias, so the grant is on the alias."""
    settings(project, http=front)
    calls = deployed(moto_endpoint, project, bundle)
    [grant] = by_principal(calls, "apigateway.amazonaws.com")
    if front == "http_api":
        api_id = next(a for a in clients()["apigatewayv2"].get_apis()["Items"] if a["Name"] == NAME)["ApiId"]
        [integration] = calls_of(calls, "apigateway", f"POST /v2/apis/{api_id}/integrations")
        assert integration.params["integrationUri"] == ALIAS_ARN  # the wire name
    else:
        import boto3

        api_id = next(a for a in boto3.client("apigateway", region_name=REGION).get_rest_apis()["items"]
                      if a["name"] == NAME)["id"]
        integrations = [c for c in calls if c.operation.startswith(f"PUT /restapis/{api_id}/resources/")
                        and c.operation.endswith("/methods/ANY/integration")]
        assert len(integrations) == 2  # ANY / and ANY /{proxy+}
        assert {c.params["uri"] for c in integrations} == {
            f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{ALIAS_ARN}/invocations"}
    assert grant["Action"] == "lambda:InvokeFunction"
    assert grant["SourceArn"].startswith(f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/")
    assert grant["SourceArn"] == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*"
    assert_all_on_the_alias(calls)


def test_schedules_may_invoke_the_alias_for_their_own_rule(aws_env, moto_endpoint, project, bundle):
    """EventBridge user guide, "Using resource-based policies for Amazon EventBridge", Lambda
    permissions (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html):
    principal events.amazonaws.com, action lambda:InvokeFunction, SourceArn the rule's ARN; the
    target is the alias ARN, so the grant is on the alias."""
    settings(project, events=[{"function": "app.forget_new_items", "expression": "cron(0 3 * * ? *)"}])
    calls = deployed(moto_endpoint, project, bundle)
    rules = {c.params["Name"] for c in calls_of(calls, "events", "PutRule")}
    assert len(rules) == 2
    targets = [t for c in calls_of(calls, "events", "PutTargets") for t in c.params["Targets"]]
    assert {t["Arn"] for t in targets} == {ALIAS_ARN}
    grants = by_principal(calls, "events.amazonaws.com")
    assert {g["SourceArn"] for g in grants} == {f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{r}" for r in rules}
    assert {g["Action"] for g in grants} == {"lambda:InvokeFunction"}
    assert_all_on_the_alias(calls)


def test_s3_may_invoke_the_alias_for_its_bucket_and_account_before_it_is_told_to(aws_env, moto_endpoint, project,
                                                                                    bundle):
    """Lambda guide, "Tutorial: Using an Amazon S3 trigger to invoke a Lambda function"
    (https://docs.aws.amazon.com/lambda/latest/dg/with-s3-example.html) and S3 user guide,
    "Granting permissions to publish event notification messages to a destination"
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html):
    principal s3.amazonaws.com, SourceArn the bucket and SourceAccount the owner (a bucket ARN holds
    no account, and a deleted bucket's name can be taken by another), granted BEFORE
    PutBucketNotificationConfiguration, which S3 refuses when it cannot validate the destination."""
    calls = deployed(moto_endpoint, project, bundle)
    [grant] = by_principal(calls, "s3.amazonaws.com")
    assert (grant["Action"], grant["SourceArn"], grant["SourceAccount"]) == \
        ("lambda:InvokeFunction", "arn:aws:s3:::example-flask-uploads-dev", ACCOUNT)
    assert index_of(calls, "lambda", "AddPermission", StatementId=grant["StatementId"]) < \
        index_of(calls, "s3", "PutBucketNotificationConfiguration", Bucket="example-flask-uploads-dev")
    config = boto3_s3().get_bucket_notification_configuration(Bucket="example-flask-uploads-dev")
    assert [e["LambdaFunctionArn"] for e in config["LambdaFunctionConfigurations"]] == [ALIAS_ARN]
    assert_all_on_the_alias(calls)


def test_sns_sqs_and_the_task_queue_get_what_aws_documents(aws_env, moto_endpoint, project, bundle):
    """SNS: Lambda guide, "Invoking Lambda functions with Amazon SNS notifications"
    (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html): principal sns.amazonaws.com,
    SourceArn the topic. SQS: "Using Lambda with Amazon SQS"
    (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html): Lambda polls the queue with the
    execution role, which needs sqs:ReceiveMessage, sqs:DeleteMessage and sqs:GetQueueAttributes on
    it when the mapping is created (no resource policy); sending tasks needs sqs:SendMessage."""
    import boto3

    boto3.client("sqs", region_name=REGION).create_queue(QueueName="jobs")
    topic = boto3.client("sns", region_name=REGION).create_topic(Name="alerts")["TopicArn"]
    (project / "jobs.py").write_text(JOBS)
    calls = deployed(moto_endpoint, project, bundle)
    [grant] = by_principal(calls, "sns.amazonaws.com")
    assert (grant["Action"], grant["SourceArn"]) == ("lambda:InvokeFunction", topic)
    [subscribe] = calls_of(calls, "sns", "Subscribe")
    assert (subscribe.params["Protocol"], subscribe.params["Endpoint"]) == ("lambda", ALIAS_ARN)
    assert by_principal(calls, "sqs.amazonaws.com") == []  # SQS needs none: the role reads
    queues = {f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{NAME}-tasks"}
    statements = role_policy()
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"} <= set(statements["ReadQueues"]["Action"])
    assert set(statements["ReadQueues"]["Resource"]) == queues
    assert statements["SendTasks"] == {"Sid": "SendTasks", "Effect": "Allow", "Action": ["sqs:SendMessage"],
                                       "Resource": [f"arn:aws:sqs:{REGION}:{ACCOUNT}:{NAME}-tasks"]}
    mappings = calls_of(calls, "lambda", "CreateEventSourceMapping")
    assert {m.params["EventSourceArn"] for m in mappings} == queues
    assert {m.params["FunctionName"] for m in mappings} == {ALIAS_ARN}
    last_policy = max(i for i, c in enumerate(calls) if c.operation == "PutRolePolicy")
    assert last_policy < min(calls.index(m) for m in mappings)  # the role could read before
    assert_all_on_the_alias(calls)


def test_the_role_trusts_lambda_only_and_names_its_own_log_group(aws_env, moto_endpoint, project, bundle):
    """Lambda guide, "Defining Lambda function permissions with an execution role"
    (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html): the trust
    policy lets the service principal lambda.amazonaws.com call sts:AssumeRole; and "Sending Lambda
    function logs to CloudWatch Logs" (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html):
    the role needs logs:CreateLogStream and logs:PutLogEvents (lz creates the group itself, before
    the function, so logs:CreateLogGroup is not granted)."""
    calls = deployed(moto_endpoint, project, bundle)
    trust = clients()["iam"].get_role(RoleName=f"{NAME}-lambda")["Role"]["AssumeRolePolicyDocument"]
    trust = trust if isinstance(trust, dict) else json.loads(trust)
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}]
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{NAME}"
    assert role_policy()["OwnLogs"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert role_policy()["OwnLogs"]["Resource"] == [f"{group}:*", f"{group}:log-stream:*"]
    assert index_of(calls, "logs", "CreateLogGroup") < index_of(calls, "lambda", "CreateFunction")


@pytest.mark.parametrize("change, invokes", [
    ("as it is", True),  # @task announce_item: sent as an async Invoke of the alias
    ("no task", False),
    ("tasks through the queue", False),  # settings tasks.queue: every task goes through SQS
    ("only a queue task", False),  # @task(queue=True): SQS too
])
def test_the_role_may_invoke_its_own_alias_only_when_tasks_are_sent_that_way(aws_env, moto_endpoint, project,
                                                                              bundle, change, invokes):
    """Lambda guide, "Fine-tuning the Resources and Conditions sections of policies"
    (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html): actions on a
    function can be restricted by function, version or alias ARN. A task is Invoke(FunctionName=NAME,
    Qualifier=live, InvocationType=Event), so the one resource it needs is the alias's ARN; a stage
    that sends no task that way gets no lambda:InvokeFunction at all (issue 11, item 13)."""
    app = project / "app.py"
    if change == "no task":
        app.write_text(app.read_text().replace("@task\n", ""))
    elif change == "tasks through the queue":
        settings(project, tasks={"queue": True})
    elif change == "only a queue task":
        app.write_text(app.read_text().replace("@task\n", "@task(queue=True)\n"))
    deployed(moto_endpoint, project, bundle)
    statements = role_policy()
    if invokes:
        assert statements["InvokeSelf"] == {"Sid": "InvokeSelf", "Effect": "Allow",
                                            "Action": ["lambda:InvokeFunction"], "Resource": [ALIAS_ARN]}
    else:
        assert "InvokeSelf" not in statements
        assert not any("lambda:InvokeFunction" in s["Action"] for s in statements.values())


def test_the_task_bucket_grant_is_this_stage_s_prefix_only(aws_env, moto_endpoint, project, bundle):
    """S3 user guide, "Policy resources for Amazon S3"
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/security_iam_service-with-iam.html):
    object actions are granted on arn:aws:s3:::BUCKET/KEY-PATTERN. The runtime offloads big task
    arguments under lz-tasks/FUNCTION/ (lz/tasks/transport.py), so that prefix is all the role gets:
    Put, Get and Delete, no List, no other stage's payloads."""
    boto3_s3().create_bucket(Bucket="task-payloads")
    settings(project, task_bucket="task-payloads")
    deployed(moto_endpoint, project, bundle)
    from lz.tasks.transport import offload_key

    assert role_policy()["TaskPayloads"] == {
        "Sid": "TaskPayloads", "Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
        "Resource": [f"arn:aws:s3:::task-payloads/lz-tasks/{NAME}/*"]}
    assert offload_key(NAME, "abc").startswith(f"lz-tasks/{NAME}/")  # where the runtime writes


def _writes(calls: list) -> list[str]:
    reads = ("Get", "List", "Describe", "Head", "GET ", "HEAD ")
    return [f"{c.service}:{c.operation}" for c in calls if not c.operation.startswith(reads)]


def test_an_environment_over_4_kb_is_refused_before_anything_is_written(aws_env, moto_endpoint, project, bundle):
    """Lambda guide, "Lambda quotas" (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
    function environment variables, 4 KB for all of them together (Lambda measures them as one JSON
    object). Exactly 4 KB deploys; one byte more is a clear error that names the biggest variable,
    through the CLI too, and nothing is written to AWS."""
    from lz.cli.deploy.limits import LimitError, environment_size

    base = {"UPLOADS_BUCKET": "example-flask-uploads-dev", "PAD": ""}
    from lz.cli.deploy.machines import arn_prefix

    own = {"LZ_WORKFLOW_ARN_PREFIX": arn_prefix(REGION, ACCOUNT, "example-flask", "dev")}  # lz's, for `restock`
    pad = 4096 - environment_size({**base, **own})
    settings(project, environment={**base, "PAD": "x" * pad})
    deployed(moto_endpoint, project, bundle)
    settings(project, environment={**base, "PAD": "x" * (pad + 1)})
    with pytest.raises(LimitError) as refused:
        deployed(moto_endpoint, project, bundle)
    calls = record(moto_endpoint, "stop")
    assert "4,097 bytes" in str(refused.value) and f"PAD ({pad + 1:,} bytes)" in str(refused.value)
    assert _writes(calls) == []
    from tests.cli.conftest import lz

    result = lz(aws_env, "deploy", "dev", "--project", str(project))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "over Lambda's 4 KB limit for all variables together" in result.stderr


def test_a_schedule_input_over_8192_characters_is_refused_before_anything_is_written(aws_env, moto_endpoint,
                                                                                      project, bundle):
    """EventBridge API reference, "Target" (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html):
    Input is valid JSON text of at most 8,192 characters. An input of exactly that size deploys;
    one character more is refused before anything is written (not half-way, at PutTargets)."""
    from lz.cli.deploy.limits import LimitError
    from lz.cli.deploy.resources.schedules import _input

    def events(size: int) -> list[dict]:
        return [{"function": "app.forget_new_items", "expression": "rate(1 hour)", "input": {"blob": "x" * size}}]

    pad = 8192 - len(_input("app.forget_new_items", {"blob": ""}))
    settings(project, events=events(pad + 1))
    with pytest.raises(LimitError, match="input of 8,193 characters as JSON, over EventBridge's limit"):
        deployed(moto_endpoint, project, bundle)
    assert _writes(record(moto_endpoint, "stop")) == []
    settings(project, events=events(pad))
    calls = deployed(moto_endpoint, project, bundle)
    sizes = sorted(len(t["Input"]) for c in calls_of(calls, "events", "PutTargets") for t in c.params["Targets"])
    assert sizes[-1] == 8192


def test_an_sqs_batch_over_10_without_a_window_is_refused(aws_env, moto_endpoint, project, bundle):
    """Lambda API reference, "CreateEventSourceMapping"
    (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html): for SQS,
    "when you set BatchSize to a value greater than 10, you must set MaximumBatchingWindowInSeconds
    to at least 1"; lz sets no window, so it refuses the decorator's batch_size before deploying."""
    from lz.cli.deploy.limits import LimitError

    (project / "jobs.py").write_text(JOBS.replace("batch_size=5", "batch_size=11"))
    with pytest.raises(LimitError, match=r"@on_sqs\(queue='jobs'\) \(jobs.py:\d+\) has batch_size=11"):
        deployed(moto_endpoint, project, bundle)
    assert _writes(record(moto_endpoint, "stop")) == []
