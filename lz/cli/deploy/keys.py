"""`lz keys create/list/revoke STAGE NAME`: the API keys of a REST stage with `auth.api_keys`.

A key is an API Gateway API key named PROJECT-STAGE-NAME, tagged lz:project/lz:stage and added to
the stage's usage plan (resources/access.py), so its throttle and quota apply. Its value is printed
once, when it is made; `list` shows names and ids, never values. Revoking deletes the key.
"""

from __future__ import annotations

from ..aws import TAG_PROJECT, TAG_STAGE, Aws, AwsError
from ..settings import Stage
from ..settings_front import auth_mode


def stage_keys(aws: Aws, project: str, stage: str) -> list[dict]:
    """The API keys lz made for the stage (by their tags), without their values."""
    client = aws.client("apigateway")
    with aws.explain(f"listing the API keys of {project}-{stage}"):
        found = [k for page in client.get_paginator("get_api_keys").paginate(includeValues=False)
                 for k in page.get("items", [])]
    return [k for k in found if (k.get("tags") or {}).get(TAG_PROJECT) == project
            and (k.get("tags") or {}).get(TAG_STAGE) == stage]


def _key_name(stage: Stage, name: str) -> str:
    return f"{stage.function_name}-{name}"


def _plan_id(aws: Aws, stage: Stage) -> str:
    from .resources.access import usage_plans

    if auth_mode(stage.auth) != "api_keys" or stage.http != "rest_api":
        raise AwsError(f'stage {stage.name} has no API keys: set "http": "rest_api" and "auth": '
                       '{"api_keys": {}} in lz_settings.json, then lz deploy')
    plans = usage_plans(aws, stage.project, stage.name)
    if not plans:
        raise AwsError(f"stage {stage.name} has no usage plan yet: run lz deploy {stage.name} first")
    return plans[0]["id"]


def create(aws: Aws, stage: Stage, name: str) -> tuple[str, str]:
    """Make the key and add it to the usage plan; (id, value): the value is shown only now."""
    plan_id = _plan_id(aws, stage)
    if any(k.get("name") == _key_name(stage, name) for k in stage_keys(aws, stage.project, stage.name)):
        raise AwsError(f"stage {stage.name} already has a key named {name}: revoke it first, or pick "
                       "another name")
    client = aws.client("apigateway")
    with aws.explain(f"creating API key {name} for {stage.function_name}"):
        key = client.create_api_key(name=_key_name(stage, name), enabled=True,
                                    description=f"lz keys create {stage.name} {name}",
                                    tags={TAG_PROJECT: stage.project, TAG_STAGE: stage.name})
        client.create_usage_plan_key(usagePlanId=plan_id, keyId=key["id"], keyType="API_KEY")
    return key["id"], key["value"]


def listing(aws: Aws, stage: Stage) -> list[tuple[str, str, bool]]:
    """(name, id, enabled) of each key of the stage."""
    prefix = stage.function_name + "-"
    return sorted((k["name"].removeprefix(prefix), k["id"], bool(k.get("enabled")))
                  for k in stage_keys(aws, stage.project, stage.name))


def revoke(aws: Aws, stage: Stage, name: str) -> str:
    """Delete the key named `name`; its id."""
    for key in stage_keys(aws, stage.project, stage.name):
        if key.get("name") == _key_name(stage, name):
            with aws.explain(f"deleting API key {name} of {stage.function_name}"):
                aws.client("apigateway").delete_api_key(apiKey=key["id"])
            return key["id"]
    known = ", ".join(n for n, _, _ in listing(aws, stage)) or "none"
    raise AwsError(f"stage {stage.name} has no key named {name} (keys: {known})")
