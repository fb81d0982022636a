"""Alarms against moto: created from the `alarms` setting on the alias, with lz's own SNS topic for
an email address; changed in place; removed with their key (and the topic with `notify`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import REGION, lz, make_project

pytestmark = pytest.mark.slow  # deploys against moto

NAME = "proj-dev"
APP = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"
TOPIC = f"arn:aws:sns:{REGION}:123456789012:{NAME}-alarms"


def _client(name: str):
    import boto3

    return boto3.client(name, region_name=REGION)


def _alarms() -> dict[str, dict]:
    found = _client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{NAME}-")["MetricAlarms"]
    return {a["AlarmName"]: a for a in found}


def _topics() -> list[str]:
    return [t["TopicArn"] for t in _client("sns").list_topics()["Topics"]]


def _deploy(env, project: Path, ok: bool = True, **settings) -> str:
    (project / "lz_settings.json").write_text(json.dumps({"dev": {"app": "app:app", **settings}}))
    result = lz(env, "deploy", "dev", "--project", str(project))
    assert (result.returncode == 0) == ok, result.stderr
    return result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path, {"dev": {"app": "app:app"}}, {"app.py": APP})


def test_alarms_are_created_changed_and_removed_with_their_keys(aws_env, project: Path) -> None:
    out = _deploy(aws_env, project, alarms={"error_rate": "1%", "p99_ms": 1500, "throttles": 1,
                                            "notify": "ops@example.com"})
    assert "alarm: error rate over 1%" in out and "alarm notifications to ops@example.com" in out
    alarms = _alarms()
    assert sorted(alarms) == [f"{NAME}-error-rate", f"{NAME}-p99", f"{NAME}-throttles"]
    alias = [{"Name": "FunctionName", "Value": NAME}, {"Name": "Resource", "Value": f"{NAME}:live"}]
    p99 = alarms[f"{NAME}-p99"]
    assert (p99["MetricName"], p99["ExtendedStatistic"], p99["Threshold"], p99["ComparisonOperator"]) == (
        "Duration", "p99", 1500.0, "GreaterThanThreshold")
    assert sorted(p99["Dimensions"], key=lambda d: d["Name"]) == alias
    throttles = alarms[f"{NAME}-throttles"]
    assert (throttles["MetricName"], throttles["Statistic"], throttles["Threshold"],
            throttles["ComparisonOperator"]) == ("Throttles", "Sum", 1.0, "GreaterThanOrEqualToThreshold")
    rate = alarms[f"{NAME}-error-rate"]
    assert rate["Threshold"] == 1.0 and rate["ComparisonOperator"] == "GreaterThanThreshold"
    expressions = [m.get("Expression") for m in rate.get("Metrics", [])]
    assert "IF(invocations > 0, 100 * errors / invocations, 0)" in expressions
    assert all(a["AlarmActions"] == [TOPIC] and a["OKActions"] == [TOPIC] for a in alarms.values())
    assert TOPIC in _topics()
    subs = _client("sns").list_subscriptions_by_topic(TopicArn=TOPIC)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("email", "ops@example.com")]
    tags = _client("sns").list_tags_for_resource(ResourceArn=TOPIC)["Tags"]
    assert {"Key": "lz:stage", "Value": "dev"} in tags

    same = _deploy(aws_env, project, alarms={"error_rate": "1%", "p99_ms": 1500, "throttles": 1,
                                             "notify": "ops@example.com"})
    assert "nothing to change" in same

    changed = _deploy(aws_env, project, alarms={"error_rate": "1%", "p99_ms": 900, "notify": "ops@example.com"})
    assert f"update alarms: {NAME}-p99" in changed and f"delete alarms: {NAME}-throttles" in changed
    assert "error-rate" not in changed  # unchanged alarms are left alone
    assert _alarms()[f"{NAME}-p99"]["Threshold"] == 900.0 and f"{NAME}-throttles" not in _alarms()

    topic = "arn:aws:sns:us-east-1:123456789012:team-pager"
    _deploy(aws_env, project, alarms={"p99_ms": 900, "notify": topic})
    assert sorted(_alarms()) == [f"{NAME}-p99"]
    assert _alarms()[f"{NAME}-p99"]["AlarmActions"] == [topic]
    assert TOPIC not in _topics()  # lz's own topic goes when notify no longer names an address

    _deploy(aws_env, project)
    assert _alarms() == {}


def test_a_dlq_alarm_watches_the_task_dead_letter_queue(aws_env, project: Path) -> None:
    out = _deploy(aws_env, project, ok=False, alarms={"dlq": 1})
    assert '"alarms"."dlq"' in out and "has none" in out
    _deploy(aws_env, project, alarms={"dlq": 1}, tasks={"queue": True})
    dlq = _alarms()[f"{NAME}-dlq"]
    assert (dlq["Namespace"], dlq["MetricName"], dlq["Dimensions"], dlq["Threshold"]) == (
        "AWS/SQS", "ApproximateNumberOfMessagesVisible", [{"Name": "QueueName", "Value": f"{NAME}-tasks-dlq"}],
        1.0)
    assert dlq["AlarmActions"] == []


def test_undeploy_removes_the_alarms_and_the_topic(aws_env, project: Path) -> None:
    _deploy(aws_env, project, alarms={"throttles": 2, "notify": "ops@example.com"})
    result = lz(aws_env, "undeploy", "dev", "--yes", "--project", str(project))
    assert result.returncode == 0, result.stderr
    assert _alarms() == {} and TOPIC not in _topics()


def test_alarm_settings_are_checked(lz_env, tmp_path: Path) -> None:
    for alarms, message in (({"notify": "ops@example.com"}, 'has only "notify"'),
                            ({"error_rate": "0%"}, "more than 0%"),
                            ({"error_rate": "five"}, 'a percentage like "10%"'),
                            ({"notify": "not an address"}, "an email address or an SNS topic ARN"),
                            ({"p99": 100}, 'did you mean "p99_ms"')):
        project = make_project(tmp_path, {"dev": {"app": "app:app", "alarms": alarms}}, {"app.py": APP})
        result = lz(lz_env, "package", "dev", "--project", str(project))
        assert result.returncode != 0 and message in result.stderr, (alarms, result.stderr)
