"""What invokes `live` besides the HTTP front, as lz's engine connects it: EventBridge rules for the
schedules (deploy/resources/schedules.py: same names, expressions, inputs), SQS event source
mappings (your @on_sqs queues and the task queue, partial batch failures reported), SNS
subscriptions to your topics, and the permission for each rule, topic and bucket alone.

S3 notifications: a template can set notifications only on a bucket it creates
(AWS::S3::Bucket NotificationConfiguration), and the buckets of @on_s3 are yours. The template
grants each bucket the permission to invoke `live` and says in its Metadata (lz.S3Notifications)
and in a note which entries each bucket needs; `lz deploy --engine cloudformation` puts them on the
bucket after the stack is made (lz's own entries only, Id `lz-FUNCTION-*`, as lz's engine does) and
takes them off before the stack is deleted.
"""

from __future__ import annotations

from ..deploy.resources import s3_notifications, schedules, sqs_sources
from .base import Template, logical_id, ref, tag_list
from .function import ALIAS_ID
from .queues import QUEUE

KIND = "sources"


def emit(t: Template) -> None:
    _schedules(t)
    _queues(t)
    _topics(t)
    _buckets(t)


def _schedules(t: Template) -> None:
    want = t.want
    for name, rule in schedules.desired_rules(want).items():
        logical = logical_id("Rule", name)
        t.add(logical, "AWS::Events::Rule", {
            "Name": name, "ScheduleExpression": rule["expression"], "State": rule["state"],
            "Description": f"lz: {rule['function']}", "Tags": tag_list(want.tags),
            "Targets": [{"Id": schedules.TARGET_ID, "Arn": ref(ALIAS_ID), "Input": rule["input"]}]})
        t.add(f"{logical}Permission", "AWS::Lambda::Permission", {
            "FunctionName": ref(ALIAS_ID), "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com", "SourceArn": {"Fn::GetAtt": [logical, "Arn"]}})


def _queues(t: Template) -> None:
    want = t.want
    task_queue = want.arn("sqs", want.task_queue_name) if want.task_queue else None
    for arn, source in sqs_sources.wanted(want).items():
        own = arn == task_queue
        t.add(logical_id("Mapping", "TaskQueue" if own else arn.rsplit(":", 1)[-1]),
              "AWS::Lambda::EventSourceMapping", {
                  "EventSourceArn": {"Fn::GetAtt": [QUEUE, "Arn"]} if own else arn,
                  "FunctionName": ref(ALIAS_ID), "BatchSize": source["batch_size"],
                  "FunctionResponseTypes": list(sqs_sources.RESPONSE_TYPES), "Enabled": True})


def _topics(t: Template) -> None:
    want = t.want
    for arn in sorted({want.arn("sns", s.target) for s in want.sources_of("sns")}):
        logical = logical_id("Topic", arn.split(":", 3)[-1].replace("${AWS::Region}:${AWS::AccountId}:", ""))
        t.add(f"{logical}Permission", "AWS::Lambda::Permission", {
            "FunctionName": ref(ALIAS_ID), "Action": "lambda:InvokeFunction", "Principal": "sns.amazonaws.com",
            "SourceArn": arn})
        t.add(f"{logical}Subscription", "AWS::SNS::Subscription", {
            "TopicArn": arn, "Protocol": "lambda", "Endpoint": ref(ALIAS_ID)},
            DependsOn=[f"{logical}Permission"])


def _buckets(t: Template) -> None:
    want = t.want
    wanted = s3_notifications.wanted(want)
    if not wanted:
        return
    for bucket in sorted(wanted):
        t.add(logical_id("Bucket", bucket, "Permission"), "AWS::Lambda::Permission", {
            "FunctionName": ref(ALIAS_ID), "Action": "lambda:InvokeFunction", "Principal": "s3.amazonaws.com",
            "SourceArn": f"arn:aws:s3:::{bucket}", "SourceAccount": "${AWS::AccountId}"})
        entries = "; ".join(s3_notifications._describe(e) for e in wanted[bucket])
        t.note(f"S3 notifications of bucket {bucket} ({entries}) to {want.name}:live",
               "a template can set notifications only on a bucket it creates, and this bucket is yours: "
               "the template grants it the permission; `lz deploy --engine cloudformation` puts the "
               "entries (Id lz-FUNCTION-*) on the bucket after the stack and takes them off before the "
               "stack is deleted; with sam deploy or aws cloudformation, add them to the bucket's own "
               "template (Metadata lz.S3Notifications lists them)")
    t.metadata["S3Notifications"] = {
        bucket: [{k: v for k, v in entry.items() if k != "LambdaFunctionArn"} for entry in entries]
        for bucket, entries in sorted(wanted.items())}
    t.output("NotifiedBuckets", ",".join(sorted(wanted)), "Buckets whose notifications lz sets (not the stack)")
