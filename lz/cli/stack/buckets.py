"""S3 notifications of a stage deployed through CloudFormation: the one thing its template cannot
hold (the buckets are yours; a template sets notifications only on a bucket it creates). The stack
grants each bucket the permission to invoke `live`; lz puts its own entries (Id `lz-FUNCTION-*`,
every other entry kept) on each bucket after the stack is deployed, and takes them off a bucket the
template no longer names and, before the stack is deleted, off every bucket. Which buckets the
deployed stage uses is read from the deployed template's Metadata (lz.S3Notifications): the stack is
the state, as AWS is for lz's own engine."""

from __future__ import annotations

import json

from ..aws import Aws, AwsError
from ..deploy.models import Desired
from ..deploy.resources import s3_notifications as s3n


def deployed_buckets(aws: Aws, stack: str) -> list[str]:
    """The buckets the stack's current template says lz connected."""
    try:
        body = aws.client("cloudformation").get_template(StackName=stack)["TemplateBody"]
    except Exception:  # noqa: BLE001 - no stack, no template: nothing was connected
        return []
    document = body if isinstance(body, dict) else json.loads(body)
    return sorted(((document.get("Metadata") or {}).get("lz") or {}).get("S3Notifications") or {})


def connect(aws: Aws, want: Desired, before: list[str]) -> list[str]:
    """Put the stage's entries on its buckets; take them off those it no longer uses. Lines saying
    what was done."""
    done = []
    wanted = s3n.wanted(want)
    for bucket, entries in sorted(wanted.items()):
        have = s3n._ours(s3n._configuration(aws, bucket), want.name)
        if sorted(map(str, map(s3n._normal, have))) == sorted(map(str, map(s3n._normal, entries))):
            continue
        s3n._check_region(aws, bucket)
        s3n._put(aws, bucket, want.name, entries)
        done.append(f"s3 notifications of {bucket}: {'; '.join(map(s3n._describe, entries))}")
    for bucket in sorted(set(before) - set(wanted)):
        if disconnect(aws, bucket, want.name):
            done.append(f"s3 notifications of {bucket}: removed (no @on_s3 handler for it any more)")
    return done


def disconnect(aws: Aws, bucket: str, function: str) -> bool:
    """Take lz's entries off `bucket` (a bucket gone has none left); whether there were any."""
    try:
        if not s3n._ours(s3n._configuration(aws, bucket), function):
            return False
    except AwsError:
        return False
    s3n._put(aws, bucket, function, [])
    return True
