"""Helpers for tests that deploy example_flask's dev stage to moto and look at the result."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import REGION, lz

NAME = "example-flask-dev"


def clients():
    import boto3

    return {name: boto3.client(name, region_name=REGION)
            for name in ("lambda", "iam", "logs", "apigatewayv2", "resourcegroupstaggingapi")}


def deploy(env, project: Path, *extra: str):
    result = lz(env, "deploy", "dev", "--project", str(project), *extra)
    assert result.returncode == 0, result.stderr
    return result


def settings(project: Path, **changes) -> None:
    path = project / "lz_settings.json"
    data = json.loads(path.read_text())
    data["dev"].update(changes)
    path.write_text(json.dumps(data))


def boto3_s3():
    import boto3

    return boto3.client("s3", region_name=REGION)


def rules() -> dict[str, dict]:
    import boto3

    events = boto3.client("events", region_name=REGION)
    rules = {}
    for rule in events.list_rules(NamePrefix=f"{NAME}-")["Rules"]:
        rules[rule["Name"]] = {**rule, "Targets": events.list_targets_by_rule(Rule=rule["Name"])["Targets"]}
    return rules
