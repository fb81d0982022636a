"""SNS subscriptions of the alias `live` to the topics of @on_sns handlers, and the permission for
each topic alone to invoke it. Topics are yours: lz subscribes and unsubscribes, never creates or
deletes them. Earlier subscriptions are found through the permissions lz granted (no local state)."""

from __future__ import annotations

import re

from ...aws import Aws, not_found
from ..models import Desired, alias_arn_of, function_name
from ..steps import Step
from . import _permissions

KIND = "sns"
AFTER = ("function",)  # the alias live
SID_PREFIX = "lz-sns-"


def _sid(topic_arn: str) -> str:
    return SID_PREFIX + re.sub(r"[^A-Za-z0-9_-]", "_", topic_arn.split(":", 3)[-1])[:90]


def _subscriptions(aws: Aws, topic_arn: str, endpoint: str) -> list[str]:
    sns = aws.client("sns")
    found = []
    try:
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
            found += [s["SubscriptionArn"] for s in page["Subscriptions"]
                      if s.get("Endpoint") == endpoint and s.get("Protocol") == "lambda"]
    except Exception as exc:
        if not_found(exc):
            return []
        with aws.explain(f"listing the subscriptions of topic {topic_arn}"):
            raise
    return found


def _connected(aws: Aws, function: str) -> dict[str, str]:
    return {arn: sid for sid, arn in _permissions.sources_with_sid_prefix(aws, function, SID_PREFIX).items()}


def plan(aws: Aws, want: Desired) -> list[Step]:
    topics = {want.arn("sns", s.target): s for s in want.sources_of("sns")}
    connected = _connected(aws, want.name)
    steps = []
    for arn, source in topics.items():
        if arn not in connected or not _subscriptions(aws, arn, want.alias_arn):
            steps.append(Step(KIND, arn.rsplit(":", 1)[-1], "create", f"notifications go to {source.function}",
                              {"topic": arn, "origin": source.origin}))
    for arn in sorted(set(connected) - set(topics)):
        steps.append(Step(KIND, arn.rsplit(":", 1)[-1], "delete", "no @on_sns handler for this topic any more",
                          {"topic": arn, "function": want.name, "endpoint": want.alias_arn}))
    return steps


def apply(aws: Aws, step: Step, want: Desired) -> None:
    topic = step.detail["topic"]
    where = f" (@on_sns at {step.detail['origin']})" if step.detail.get("origin") else ""
    if _sid(topic) not in _permissions.statement_ids(aws, want.name):
        with aws.explain(f"allowing topic {topic} to invoke {want.name}"):
            _permissions.allow(aws, want.name, _sid(topic), "sns.amazonaws.com", topic)
    if not _subscriptions(aws, topic, want.alias_arn):
        with aws.explain(f"subscribing {want.name} to topic {topic}{where}; does the topic exist?"):
            aws.client("sns").subscribe(TopicArn=topic, Protocol="lambda", Endpoint=want.alias_arn,
                                        ReturnSubscriptionArn=True)


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    function = function_name(project, stage)
    endpoint = alias_arn_of(region, aws.account, project, stage)
    return [Step(KIND, arn.rsplit(":", 1)[-1], "delete", "undeploy",
                 {"topic": arn, "function": function, "endpoint": endpoint})
            for arn in sorted(_connected(aws, function))]


def delete(aws: Aws, step: Step) -> None:
    for subscription in _subscriptions(aws, step.detail["topic"], step.detail["endpoint"]):
        with aws.explain(f"unsubscribing from topic {step.detail['topic']}"):
            aws.client("sns").unsubscribe(SubscriptionArn=subscription)
    _permissions.remove(aws, step.detail["function"], _sid(step.detail["topic"]))


def listing(aws: Aws, project: str, stage: str, region: str) -> list[tuple[str, str, str]]:
    function = function_name(project, stage)
    endpoint = alias_arn_of(region, aws.account, project, stage)
    return [("sns", arn.rsplit(":", 1)[-1],
             "subscribed" if _subscriptions(aws, arn, endpoint) else "permission only (not subscribed)")
            for arn in sorted(_connected(aws, function))]
