"""Resource-policy statements on the function's `live` alias, by statement id."""

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
    """After AddPermission / RemovePermission (and when the function goes): read it again."""
    aws.forget("lambda-policy", function)


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
    changed(aws, function)
    aws.client("lambda").add_permission(
        FunctionName=function, Qualifier=ALIAS, StatementId=sid, Action="lambda:InvokeFunction",
        Principal=principal, SourceArn=source_arn,
        **({"SourceAccount": source_account} if source_account else {}))


def allow_api(aws: Aws, function: str, region: str, account: str, api_id: str, sid: str) -> None:
    """Let API Gateway invoke the alias for this one API (REST or HTTP), and no other."""
    changed(aws, function)
    aws.client("lambda").add_permission(
        FunctionName=function, Qualifier=ALIAS, StatementId=sid,
        Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{region}:{account}:{api_id}/*")


def remove(aws: Aws, function: str, sid: str) -> None:
    changed(aws, function)
    try:
        aws.client("lambda").remove_permission(FunctionName=function, Qualifier=ALIAS, StatementId=sid)
    except Exception as exc:
        if not not_found(exc):
            with aws.explain(f"removing permission {sid} of {function}"):
                raise
