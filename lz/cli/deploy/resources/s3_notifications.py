"""S3 event notifications from your buckets to the alias `live`, one per distinct @on_s3 filter
(events, prefix, suffix), and the permission for S3 to invoke the alias for that bucket alone.

A bucket's notification configuration is one document shared with whatever else uses the bucket:
lz changes only its own entries (Id `lz-FUNCTION-<hash>`) and keeps every other one as it is. The
buckets are yours: lz never creates or deletes them, and says so when one is missing. Prefix and
suffix filters are sent to S3 as filter rules (Zappa silently dropped them) and checked again by
the dispatcher, so a handler only ever sees keys it asked for.
"""

from __future__ import annotations

import hashlib
import re

from ...aws import Aws, AwsError
from ..models import Desired, function_name
from ..steps import Step
from . import _permissions

KIND = "s3"
AFTER = ("function",)  # the alias live
SID_PREFIX = "lz-s3-"


def _sid(bucket: str) -> str:
    return SID_PREFIX + re.sub(r"[^A-Za-z0-9_-]", "_", bucket)[:90]


def _id_prefix(function: str) -> str:
    return f"lz-{function}-"


def _entry(function: str, alias_arn: str, events: tuple[str, ...], prefix: str, suffix: str) -> dict:
    digest = hashlib.sha256(f"{sorted(events)}|{prefix}|{suffix}".encode()).hexdigest()[:8]
    rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v]
    entry = {"Id": f"{_id_prefix(function)}{digest}", "LambdaFunctionArn": alias_arn,
             "Events": sorted(events)}
    if rules:
        entry["Filter"] = {"Key": {"FilterRules": rules}}
    return entry


def wanted(want: Desired) -> dict[str, list[dict]]:
    """{bucket: lz's notification entries for it}."""
    out: dict[str, dict[str, dict]] = {}
    for source in want.sources_of("s3"):
        bucket = source.target.removeprefix("arn:aws:s3:::")
        entry = _entry(want.name, want.alias_arn, source.events, source.prefix, source.suffix)
        out.setdefault(bucket, {})[entry["Id"]] = entry
    return {bucket: sorted(entries.values(), key=lambda e: e["Id"]) for bucket, entries in out.items()}


def _describe(entry: dict) -> str:
    rules = " ".join(f"{n}={v}" for n, v in _normal(entry)["Rules"])
    return f"{','.join(entry['Events'])} {rules}".strip()


def _normal(entry: dict) -> dict:
    rules = sorted(((r["Name"].lower(), r["Value"]) for r in
                    ((entry.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []))
    return {"Id": entry.get("Id"), "Arn": entry.get("LambdaFunctionArn"),
            "Events": sorted(entry.get("Events") or []), "Rules": rules}


def _configuration(aws: Aws, bucket: str, origin: str = "") -> dict:
    try:
        config = aws.client("s3").get_bucket_notification_configuration(Bucket=bucket)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code")
        if code in ("NoSuchBucket", "404", "AccessDenied", "403"):
            where = f" (@on_s3 at {origin})" if origin else ""
            raise AwsError(f"bucket {bucket}{where} does not exist or is not yours ({code}): create it "
                           "in this account, or change the bucket name in the decorator") from None
        with aws.explain(f"reading the notifications of bucket {bucket}"):
            raise
    config.pop("ResponseMetadata", None)
    return config


def _ours(config: dict, function: str) -> list[dict]:
    return [e for e in config.get("LambdaFunctionConfigurations", [])
            if str(e.get("Id", "")).startswith(_id_prefix(function))]


def _connected(aws: Aws, function: str) -> dict[str, str]:
    """{bucket: statement id} of the buckets an earlier deploy allowed to invoke the alias."""
    return {arn.removeprefix("arn:aws:s3:::"): sid
            for sid, arn in _permissions.sources_with_sid_prefix(aws, function, SID_PREFIX).items()}


def plan(aws: Aws, want: Desired) -> list[Step]:
    steps = []
    desired = wanted(want)
    origins = {s.target.removeprefix("arn:aws:s3:::"): s.origin for s in want.sources_of("s3")}
    connected = _connected(aws, want.name)
    for bucket, entries in desired.items():
        have = _ours(_configuration(aws, bucket, origins.get(bucket, "")), want.name)
        if sorted(map(str, map(_normal, have))) != sorted(map(str, map(_normal, entries))) \
                or bucket not in connected:
            steps.append(Step(KIND, bucket, "create" if not have else "update",
                              "; ".join(map(_describe, entries)), {"bucket": bucket}))
    for bucket in sorted(set(connected) - set(desired)):
        steps.append(Step(KIND, bucket, "delete", "no @on_s3 handler for this bucket any more",
                          {"bucket": bucket, "function": want.name}))
    return steps


def _check_region(aws: Aws, bucket: str) -> None:
    with aws.explain(f"finding the region of bucket {bucket}"):
        region = aws.client("s3").get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    if region != aws.region:
        raise AwsError(f"bucket {bucket} is in {region} but the stage deploys to {aws.region}: S3 notifies "
                       "functions of its own region only; use a bucket there, or set the stage's region")


def _put(aws: Aws, bucket: str, function: str, entries: list[dict]) -> None:
    config = _configuration(aws, bucket)
    others = [e for e in config.get("LambdaFunctionConfigurations", [])
              if not str(e.get("Id", "")).startswith(_id_prefix(function))]
    config["LambdaFunctionConfigurations"] = others + entries
    config = {k: v for k, v in config.items() if v}
    with aws.explain(f"setting the notifications of bucket {bucket} (do two @on_s3 filters overlap?)"):
        aws.client("s3").put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)


def apply(aws: Aws, step: Step, want: Desired) -> None:
    bucket = step.detail["bucket"]
    _check_region(aws, bucket)
    if _sid(bucket) not in _permissions.statement_ids(aws, want.name):
        with aws.explain(f"allowing bucket {bucket} to invoke {want.name}"):
            _permissions.allow(aws, want.name, _sid(bucket), "s3.amazonaws.com", f"arn:aws:s3:::{bucket}",
                               want.account)
    _put(aws, bucket, want.name, wanted(want)[bucket])


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    function = function_name(project, stage)
    return [Step(KIND, bucket, "delete", "undeploy", {"bucket": bucket, "function": function})
            for bucket in sorted(_connected(aws, function))]


def delete(aws: Aws, step: Step) -> None:
    bucket, function = step.detail["bucket"], step.detail["function"]
    try:
        if _ours(_configuration(aws, bucket), function):
            _put(aws, bucket, function, [])
    except AwsError:
        pass  # the bucket is gone: nothing of ours is left in it
    _permissions.remove(aws, function, _sid(bucket))


def listing(aws: Aws, project: str, stage: str, region: str) -> list[tuple[str, str, str]]:
    function = function_name(project, stage)
    rows = []
    for bucket in sorted(_connected(aws, function)):
        try:
            entries = _ours(_configuration(aws, bucket), function)
        except AwsError:
            entries = []
        rows.append(("s3", bucket, "; ".join(map(_describe, entries)) or "permission only (no notification)"))
    return rows
