"""Resource-policy statements on the function's `live` alias, by statement id.

Steps of several kinds add statements side by side (deploy/graph.py), and Lambda refuses
concurrent changes of one function's policy (ResourceConflictException), so every change goes
through one lock per function. The policy is read once per command: a change made here is written
into that read (Aws.update) instead of reading it again."""

from __future__ import annotations

import json

from ...aws import Aws, not_found
from ..models import ALIAS


def statements(aws: Aws, function: str) -> list[dict]:
    """The alias's statements, read once per command (url, APIs, rules, buckets and topics all ask)
    until a permission is added or removed."""
    return aws.read(("lambda-policy", function), lambda: _fetch(aws, function))


def _fetch(aws: Aws, function: str) -> list[dict]:
    try:
        policy = aws.client("lambda").get_policy(FunctionName=function, Qualifier=ALIAS)["Policy"]
    except Exception as exc:
        if not_found(exc):
            return []
        with aws.explain(f"reading the resource policy of {function}:{ALIAS}"):
            raise
    return json.loads(policy).get("Statement", [])


def changed(aws: Aws, function: str) -> None:
    """When the function goes (or its policy changed some other way): read it again."""
    aws.forget("lambda-policy", function)


def add(aws: Aws, function: str, sid: str, source_arn: str | None = None, **grant) -> None:
    """AddPermission on the alias (grant: Action, Principal and the rest), one change of the
    function's policy at a time; a statement this command already sees is not added again."""
    with aws.serial("lambda-policy", function):
        if sid in statement_ids(aws, function):
            return
        aws.client("lambda").add_permission(
            FunctionName=function, Qualifier=ALIAS, StatementId=sid,
            **({"SourceArn": source_arn} if source_arn else {}), **grant)
        statement = {"Sid": sid, **({"Condition": {"ArnLike": {"AWS:SourceArn": source_arn}}} if source_arn else {})}
        aws.update(("lambda-policy", function), lambda found: [*found, statement])


def statement_ids(aws: Aws, function: str) -> set[str]:
    return {s.get("Sid") for s in statements(aws, function)}


def sources_with_sid_prefix(aws: Aws, function: str, prefix: str) -> dict[str, str]:
    """{statement id: its source ARN} for lz's statements whose id starts with `prefix`: how teardown
    finds the buckets and topics an earlier deploy connected, with no local state."""
    found = {}
    for statement in statements(aws, function):
        sid = statement.get("Sid") or ""
        if sid.startswith(prefix):
            condition = statement.get("Condition") or {}
            arn = (condition.get("ArnLike") or {}).get("AWS:SourceArn") or \
                (condition.get("ArnEquals") or {}).get("AWS:SourceArn")
            if arn:
                found[sid] = arn
    return found


def allow(aws: Aws, function: str, sid: str, principal: str, source_arn: str,
          source_account: str | None = None) -> None:
    """Let one AWS service invoke the alias, for one source ARN (a bucket, a topic, a rule)."""
    add(aws, function, sid, source_arn, Action="lambda:InvokeFunction", Principal=principal,
        **({"SourceAccount": source_account} if source_account else {}))


def allow_api(aws: Aws, function: str, region: str, account: str, api_id: str, sid: str) -> None:
    """Let API Gateway invoke the alias for this one API (REST or HTTP), and no other."""
    add(aws, function, sid, f"arn:aws:execute-api:{region}:{account}:{api_id}/*",
        Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")


def remove(aws: Aws, function: str, sid: str) -> None:
    with aws.serial("lambda-policy", function):
        try:
            aws.client("lambda").remove_permission(FunctionName=function, Qualifier=ALIAS, StatementId=sid)
        except Exception as exc:
            if not not_found(exc):
                with aws.explain(f"removing permission {sid} of {function}"):
                    raise
        aws.update(("lambda-policy", function), lambda found: [s for s in found if s.get("Sid") != sid])
