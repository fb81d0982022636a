"""Resource-policy statements on the function's `live` alias, by statement id."""

from __future__ import annotations

import json

from ...aws import Aws, not_found
from ..models import ALIAS


def statement_ids(aws: Aws, function: str) -> set[str]:
    try:
        policy = aws.client("lambda").get_policy(FunctionName=function, Qualifier=ALIAS)["Policy"]
    except Exception as exc:
        if not_found(exc):
            return set()
        with aws.explain(f"reading the resource policy of {function}:{ALIAS}"):
            raise
    return {s.get("Sid") for s in json.loads(policy).get("Statement", [])}


def allow_api(aws: Aws, function: str, region: str, account: str, api_id: str, sid: str) -> None:
    """Let API Gateway invoke the alias for this one API (REST or HTTP), and no other."""
    aws.client("lambda").add_permission(
        FunctionName=function, Qualifier=ALIAS, StatementId=sid,
        Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{region}:{account}:{api_id}/*")


def remove(aws: Aws, function: str, sid: str) -> None:
    try:
        aws.client("lambda").remove_permission(FunctionName=function, Qualifier=ALIAS, StatementId=sid)
    except Exception as exc:
        if not not_found(exc):
            with aws.explain(f"removing permission {sid} of {function}"):
                raise
