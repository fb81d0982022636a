"""The stage's CloudWatch alarms (settings `alarms`) and, when `notify` is an email address, the SNS
topic lz owns for them (PROJECT-STAGE-alarms, tagged for the stage, with that subscription).

Alarms are on the alias `live` (dimensions FunctionName, Resource NAME:live), 5-minute periods:
- NAME-error-rate: metric math 100 * Errors / Invocations (0 without invocations) over the threshold;
- NAME-p99: Duration's p99 over `p99_ms`;
- NAME-throttles: Throttles at or over the count;
- NAME-dlq: messages visible in the task queue's dead-letter queue (or an SQS `dead_letter`).

Each alarm's description ends with a digest of its definition, so a plan compares the digest AWS
holds with the wanted one (reading back every field would depend on how each is echoed). An alarm
whose key goes is deleted, and so is lz's topic once `notify` no longer names an address. The
canary's watch reads these alarms (deploy/canary.py).
"""

from __future__ import annotations

import hashlib
import json

from ...aws import Aws, AwsError, not_found
from ..models import ALIAS, Desired, function_name
from ..steps import Step
from . import features

KIND = "alarms"
AFTER = ("record", "function")  # the alias live they watch
SUFFIXES = ("error-rate", "p99", "throttles", "dlq")
PERIOD = 300


def topic_name(name: str) -> str:
    return f"{name}-alarms"


def _dims(want: Desired) -> list[dict]:
    return [{"Name": "FunctionName", "Value": want.name}, {"Name": "Resource", "Value": f"{want.name}:{ALIAS}"}]


def _stat(want: Desired, metric: str, stat: str) -> dict:
    return {"Metric": {"Namespace": "AWS/Lambda", "MetricName": metric, "Dimensions": _dims(want)},
            "Period": PERIOD, "Stat": stat}


def _dlq_name(want: Desired) -> str:
    if want.task_queue:
        return want.task_dlq_name
    if want.dead_letter and want.dead_letter.split(":")[2] == "sqs":
        return want.dead_letter.rsplit(":", 1)[1]
    raise AwsError(f'"alarms"."dlq" of stage {want.stage} watches a dead-letter queue, and the stage has '
                   'none: use a task queue (tasks.queue, or @task(queue=True)) or an SQS "dead_letter", '
                   'or remove "dlq"')


def notify_arn(want: Desired) -> str | None:
    notify = want.alarms.get("notify")
    if not notify:
        return None
    if notify.startswith("arn:"):
        return notify
    return f"arn:aws:sns:{want.region}:{want.account}:{topic_name(want.name)}"


def wanted(want: Desired) -> dict[str, dict]:
    """Alarm name -> PutMetricAlarm arguments (without the description's digest)."""
    from ...settings_ops import percent

    settings = want.alarms
    actions = [notify_arn(want)] if notify_arn(want) else []
    common = {"EvaluationPeriods": 1, "TreatMissingData": "notBreaching", "AlarmActions": actions,
              "OKActions": actions}
    out: dict[str, dict] = {}
    if "error_rate" in settings:
        rate = percent(settings["error_rate"]) * 100
        out["error-rate"] = {**common, "Threshold": rate, "ComparisonOperator": "GreaterThanThreshold",
                             "Metrics": [
                                 {"Id": "errors", "MetricStat": _stat(want, "Errors", "Sum"), "ReturnData": False},
                                 {"Id": "invocations", "MetricStat": _stat(want, "Invocations", "Sum"),
                                  "ReturnData": False},
                                 {"Id": "rate", "Expression": "IF(invocations > 0, 100 * errors / invocations, 0)",
                                  "Label": "error rate (%)", "ReturnData": True}],
                             "_what": f"error rate over {settings['error_rate']}"}
    if "p99_ms" in settings:
        out["p99"] = {**common, "Namespace": "AWS/Lambda", "MetricName": "Duration", "Dimensions": _dims(want),
                      "ExtendedStatistic": "p99", "Period": PERIOD, "Threshold": float(settings["p99_ms"]),
                      "ComparisonOperator": "GreaterThanThreshold", "Unit": "Milliseconds",
                      "_what": f"p99 duration over {settings['p99_ms']} ms"}
    if "throttles" in settings:
        out["throttles"] = {**common, "Namespace": "AWS/Lambda", "MetricName": "Throttles",
                            "Dimensions": _dims(want), "Statistic": "Sum", "Period": PERIOD,
                            "Threshold": float(settings["throttles"]),
                            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                            "_what": f"{settings['throttles']}+ throttles"}
    if "dlq" in settings:
        out["dlq"] = {**common, "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
                      "Dimensions": [{"Name": "QueueName", "Value": _dlq_name(want)}], "Statistic": "Maximum",
                      "Period": PERIOD, "Threshold": float(settings["dlq"]),
                      "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                      "_what": f"{settings['dlq']}+ messages in the dead-letter queue"}
    return {f"{want.name}-{suffix}": spec for suffix, spec in out.items()}


def _digest(spec: dict) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]


def arguments(name: str, spec: dict) -> dict:
    what = spec["_what"]
    args = {k: v for k, v in spec.items() if not k.startswith("_")}
    return {"AlarmName": name, "AlarmDescription": f"lz: {what} (definition {_digest(args)})",
            "ActionsEnabled": True, **args}


def _existing(aws: Aws, name: str) -> dict[str, dict]:
    """The stage's own alarms (lz's names) as AWS has them."""
    ours = {f"{name}-{suffix}" for suffix in SUFFIXES}
    found = {}
    with aws.explain(f"reading the alarms of {name}"):
        for page in aws.client("cloudwatch").get_paginator("describe_alarms").paginate(
                AlarmNamePrefix=f"{name}-", AlarmTypes=["MetricAlarm"]):
            found.update({a["AlarmName"]: a for a in page.get("MetricAlarms", []) if a["AlarmName"] in ours})
    return found


def _topic_exists(aws: Aws, arn: str) -> bool:
    try:
        aws.client("sns").get_topic_attributes(TopicArn=arn)
        return True
    except Exception as exc:
        if not_found(exc) or "NotFound" in str(exc):
            return False
        with aws.explain(f"reading the SNS topic {arn}"):
            raise


def _subscribed(aws: Aws, arn: str, address: str) -> bool:
    with aws.explain(f"reading the subscriptions of {arn}"):
        subs = aws.client("sns").list_subscriptions_by_topic(TopicArn=arn).get("Subscriptions", [])
    return any(s.get("Protocol") == "email" and s.get("Endpoint") == address for s in subs)


def _own_topic_arn(aws: Aws, name: str, region: str) -> str:
    return f"arn:aws:sns:{region}:{aws.account}:{topic_name(name)}"


def plan(aws: Aws, want: Desired) -> list[Step]:
    if not features.needed(aws, want, "alarms"):
        return []  # neither asked for nor deployed (features.py)
    steps: list[Step] = []
    own = _own_topic_arn(aws, want.name, want.region)
    address = want.alarms.get("notify") if not str(want.alarms.get("notify", "")).startswith("arn:") else None
    topic_there, existing = aws.map(lambda read: read(), [lambda: _topic_exists(aws, own),
                                                          lambda: _existing(aws, want.name)])
    if address and (not topic_there or not _subscribed(aws, own, address)):
        steps.append(Step(KIND, topic_name(want.name), "create" if not topic_there else "update",
                          f"alarm notifications to {address}", {"part": "topic", "arn": own}))
    for name, spec in wanted(want).items():
        args = arguments(name, spec)
        have = existing.get(name)
        if have is None:
            steps.append(Step(KIND, name, "create", f"alarm: {spec['_what']}", {"part": "alarm"}))
        elif have.get("AlarmDescription") != args["AlarmDescription"]:
            steps.append(Step(KIND, name, "update", f"alarm: {spec['_what']}", {"part": "alarm"}))
    for name in sorted(set(existing) - set(wanted(want))):
        steps.append(Step(KIND, name, "delete", "no longer in the stage's alarms", {"part": "alarm"}))
    if topic_there and not address:
        steps.append(Step(KIND, topic_name(want.name), "delete", "no alarm notifications by email",
                          {"part": "topic", "arn": own}))
    return steps


def apply(aws: Aws, step: Step, want: Desired) -> None:
    if step.detail.get("part") == "topic":
        sns = aws.client("sns")
        with aws.explain(f"creating the SNS topic {step.name}"):
            arn = sns.create_topic(Name=step.name, Tags=[{"Key": k, "Value": v} for k, v in want.tags.items()])[
                "TopicArn"]
        address = want.alarms["notify"]
        if not _subscribed(aws, arn, address):
            with aws.explain(f"subscribing {address} to {step.name}"):
                sns.subscribe(TopicArn=arn, Protocol="email", Endpoint=address)
        return
    spec = wanted(want)[step.name]
    with aws.explain(f"putting the alarm {step.name}"):
        aws.client("cloudwatch").put_metric_alarm(
            **arguments(step.name, spec), Tags=[{"Key": k, "Value": v} for k, v in want.tags.items()])


def delete(aws: Aws, step: Step) -> None:
    if step.detail.get("part") == "topic":
        with aws.explain(f"deleting the SNS topic {step.name}"):
            aws.client("sns").delete_topic(TopicArn=step.detail["arn"])
        return
    with aws.explain(f"deleting the alarm {step.name}"):
        aws.client("cloudwatch").delete_alarms(AlarmNames=[step.name])


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    name = function_name(project, stage)
    steps = [Step(KIND, alarm, "delete", "undeploy", {"part": "alarm"}) for alarm in sorted(_existing(aws, name))]
    own = _own_topic_arn(aws, name, region)
    if _topic_exists(aws, own):
        steps.append(Step(KIND, topic_name(name), "delete", "undeploy", {"part": "topic", "arn": own}))
    return steps
