"""The record of a stage's optional features (resources/features.py, issue 15 item 24): an unchanged
redeploy reads no service of a feature the stage neither uses nor used, and a feature removed from
the settings after it was deployed is still deleted, whatever point an earlier deploy stopped at.

Calls are counted by a botocore `before-call` hook on the deploy's own session, against moto."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from tests.cli.conftest import REGION, project_copy
from tests.cli.stage import NAME, settings

pytest.importorskip("moto.server")
pytestmark = pytest.mark.slow

# what a stage with none of these features used to read on every deploy, each service or operation
UNUSED = ("acm:", "cloudfront:", "cloudwatch:", "route53:", "apigateway:", "sqs:", "sns:",
          "apigatewayv2:GetDomainNames", "lambda:GetFunctionUrlConfig")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return project_copy(tmp_path, "example_flask")


def counted():
    """An Aws whose calls are counted ("service:Operation") by a botocore hook on its session."""
    from lz.cli.aws import Aws

    aws = Aws(REGION)
    calls: Counter[str] = Counter()

    def count(model, **kwargs) -> None:
        calls[f"{model.service_model.service_name}:{model.name}"] += 1

    aws.session.events.register("before-call", count)  # every client made from the session has it
    return aws, calls


def deploy(project: Path, on_done=lambda index, step, error: None, aws_calls=None, **changes):
    """Deploy the stage in-process (the engine of `lz deploy`): (the result, its calls)."""
    from lz.cli.bundle import build
    from lz.cli.deploy.operations import deploy as run
    from lz.cli.settings import load

    if changes:
        settings(project, **changes)
    stage = load(project, "dev")
    bundle = build(stage)
    aws, calls = aws_calls or counted()
    result = run(aws, stage, bundle.path, bundle.handler, False, show_plan=lambda steps: None, on_done=on_done)
    return result, calls


def record() -> str | None:
    import boto3

    tags = boto3.client("lambda", region_name=REGION).get_function(FunctionName=NAME).get("Tags") or {}
    return tags.get("lz:features")


def alarms() -> list[str]:
    import boto3

    found = boto3.client("cloudwatch", region_name=REGION).describe_alarms(AlarmNamePrefix=f"{NAME}-")
    return sorted(a["AlarmName"] for a in found["MetricAlarms"])


def reads_of(calls: Counter[str], *prefixes: str) -> list[str]:
    return sorted(op for op in calls if op.startswith(prefixes))


def test_an_unchanged_redeploy_reads_no_service_of_a_feature_the_stage_does_not_use(aws_env, project) -> None:
    _, first = deploy(project)
    assert reads_of(first, "acm:", "cloudfront:", "cloudwatch:")  # nothing recorded yet: all kinds read
    assert record() == "http_api schedules workflows"
    again, calls = deploy(project)
    assert again.steps == []
    assert reads_of(calls, *UNUSED) == []
    assert calls["lambda:GetFunction"] <= 2  # $LATEST (the record with it) and live, once each


def test_a_feature_removed_after_it_was_deployed_is_still_deleted(aws_env, project) -> None:
    deploy(project)
    added, _ = deploy(project, alarms={"throttles": 1})
    assert [(s.kind, s.reason) for s in added.steps[:1]] == [
        ("record", "the stage's new features: alarms")]  # the plan's first step: before the alarm is made
    assert alarms() == [f"{NAME}-throttles"] and "alarms" in record().split()
    removed, _ = deploy(project, alarms={})
    assert [(s.kind, s.action) for s in removed.steps] == [("alarms", "delete"), ("features", "update")]
    assert alarms() == [] and "alarms" not in record().split()
    _, calls = deploy(project)
    assert reads_of(calls, "cloudwatch:") == []

    moved, _ = deploy(project, http="function_url")  # a front is a feature too: the old one goes
    assert ("http_api", "delete") in [(s.kind, s.action) for s in moved.steps]
    assert record().split()[0] == "function_url"
    import boto3

    assert [a for a in boto3.client("apigatewayv2", region_name=REGION).get_apis()["Items"] if a["Name"] == NAME] == []


def test_a_deploy_stopped_after_a_new_feature_was_made_still_deletes_it_later(aws_env, project) -> None:
    """The record grows before the feature's resources are made (the plan's first step): a deploy
    stopped as soon as the alarm exists leaves a record that names it."""
    deploy(project)

    class Stop(Exception):
        pass

    def stop(index, step, error) -> None:  # as Ctrl-C would, right after the alarm was made
        if step.kind == "alarms" and error is None:
            raise Stop

    with pytest.raises(Stop):
        deploy(project, on_done=stop, alarms={"throttles": 1})
    assert alarms() == [f"{NAME}-throttles"] and "alarms" in record().split()
    removed, _ = deploy(project, alarms={})
    assert ("alarms", "delete") in [(s.kind, s.action) for s in removed.steps]
    assert alarms() == []


def test_a_stage_deployed_without_a_record_is_read_whole_then_recorded(aws_env, project) -> None:
    """A stage an older lz deployed has no record: every kind reads (what the settings dropped is
    deleted), and the deploy writes the record."""
    import boto3

    deploy(project, alarms={"throttles": 1})
    lam = boto3.client("lambda", region_name=REGION)
    lam.untag_resource(Resource=lam.get_function(FunctionName=NAME)["Configuration"]["FunctionArn"],
                       TagKeys=["lz:features"])
    removed, calls = deploy(project, alarms={})
    assert reads_of(calls, "cloudwatch:", "acm:") and alarms() == []
    assert [(s.kind, s.action) for s in removed.steps] == [("alarms", "delete"), ("features", "update")]
    assert record() == "http_api schedules workflows"


def test_the_record_is_a_valid_tag_value() -> None:
    """Every feature at once still makes a valid Lambda tag value: at most 256 characters of letters,
    digits, spaces and `_ . : / = + - @` ("AWS::Lambda::Function Tag", Value: 0-256 characters,
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-tag.html;
    allowed characters: "AWS::ECS::TaskDefinition Tag", the tag restrictions,
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ecs-taskdefinition-tag.html).
    moto accepts any string."""
    from lz.cli.deploy.resources import features

    for names in (set(features.ASKED), set()):
        text = features.value(names)
        assert len(text) <= 256 and re.fullmatch(r"[A-Za-z0-9 _.:/=+\-@]*", text), text
        assert (features.NONE not in text.split()) == bool(names)


def test_what_a_deploy_reads_while_it_builds_the_plan_does_not_read_again(aws_env, project) -> None:
    """operations.warm (run beside the build): the account comes from the function's ARN, not STS,
    and the plan reuses the function, its policy, the HTTP API, the recorded schedules' rules and
    workflows' machines and roles instead of reading them again."""
    from lz.cli.deploy.operations import warm
    from lz.cli.settings import load

    deploy(project)
    aws, calls = counted()
    warm(aws, load(project, "dev"))
    assert aws.account == "123456789012" and reads_of(calls, "sts:") == []
    early = set(calls)
    assert {"lambda:GetFunction", "lambda:GetPolicy", "apigatewayv2:GetApis", "events:ListRules",
            "stepfunctions:ListStateMachines", "iam:ListRoles"} <= early
    again, calls = deploy(project, aws_calls=(aws, calls))
    assert again.steps == []
    assert {op: calls[op] for op in early if op != "lambda:GetFunction"} == {op: 1 for op in early
                                                                          if op != "lambda:GetFunction"}
    assert calls["lambda:GetFunction"] == 2  # $LATEST (early) and live (the plan), once each
