"""What issue 13 adds to a stage, in a template: the role's statements for its secrets (put in the
model by desired_for_template), its alarms and lz's SNS topic for them; a canary deploy, which a
template cannot express (CloudFormation updates the alias at once), is a note."""

from __future__ import annotations

from ..deploy.resources import alarms
from .base import Template, logical_id, tag_list


def emit(t: Template) -> None:
    want = t.want
    if want.secrets:
        t.note("secrets", "the role may read the parameters and secrets by name (a secret's ARN with "
                          "its 6 random characters as -??????); the template cannot check that they exist "
                          "or find a customer managed KMS key: add kms:Decrypt for one to \"permissions\"")
    if want.canary:
        t.note("deploy.canary", "a template moves the alias live at once; canary deploys need lz's engine "
                                "(lz deploy --engine lz)")
    if not want.alarms:
        return
    topic = None
    address = want.alarms.get("notify")
    if address and not address.startswith("arn:"):
        topic = t.add("AlarmTopic", "AWS::SNS::Topic", {"TopicName": alarms.topic_name(want.name),
                                                        "Tags": tag_list(want.tags)})
        t.add("AlarmEmail", "AWS::SNS::Subscription", {"TopicArn": {"Ref": topic}, "Protocol": "email",
                                                       "Endpoint": address})
    for name, spec in alarms.wanted(want).items():
        args = alarms.arguments(name, spec)
        t.add(logical_id("Alarm", name[len(want.name) + 1:]), "AWS::CloudWatch::Alarm",
              {**args, "Tags": tag_list(want.tags)}, **({"DependsOn": [topic]} if topic else {}))
