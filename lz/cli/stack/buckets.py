"""S3 notifications of a stage deployed through CloudFormation: the one thing its template cannot
hold (the buckets are yours; a template sets notifications only on a bucket it creates). The stack
grants each bucket the permission to invoke `live`; lz puts its own entries (Id `lz-FUNCTION-*`,
every other entry kept) on each bucket after the stack is deployed, and takes them off a bucket the
template no longer names and, before the stack is deleted, off every bucket. Which buckets the
deployed stage uses is read from the deployed template's Metadata (lz.S3Notifications): the stack is
the state, as AWS is for lz's own engine.

The static files' bucket is the stack's; its files are not (static_bucket.py uploads those whose
bytes changed, after the stack is up), and CloudFormation deletes only an empty bucket: the bucket
lz named is emptied before the stack goes (one the settings named keeps its files, as with lz's
engine; the template retains it). The front door's parameters a template cannot find by itself
(the hosted zone of the domain's name, CloudFront's certificate in us-east-1) are found here as lz's
engine finds them and passed to the stack."""

from __future__ import annotations

import json

from ..aws import Aws, AwsError
from ..deploy.models import Desired
from ..deploy.resources import s3_notifications as s3n
from ..deploy.resources import static_bucket


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


def upload_static(aws: Aws, want: Desired) -> list[str]:
    """The static files whose bytes differ from the bucket's (the stack made the bucket)."""
    if not want.static_bucket or want.static_folder is None:
        return []
    count = len(static_bucket.changed(aws, want))
    if not count:
        return []
    static_bucket._upload(aws, want)
    return [f"static files: {count} uploaded to s3://{want.static_bucket}/{static_bucket.PREFIX}"]


def empty_static(aws: Aws, stage, resources: list[dict]) -> list[str]:
    """Empty the static bucket lz named before the stack deletes it (a bucket with objects cannot be
    deleted); a bucket the settings named is retained by the stack and keeps its files."""
    from ..template.static import BUCKET

    name = static_bucket.bucket_name(stage.project, stage.name, aws.account, aws.region)
    if not any(r.get("LogicalResourceId") == BUCKET and r.get("PhysicalResourceId") == name for r in resources):
        return []
    s3, removed = aws.client("s3"), 0
    with aws.explain(f"emptying the static files' bucket {name} before the stack deletes it"):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=name, Delete={"Objects": keys})
                removed += len(keys)
    return [f"static files: {removed} deleted from {name} (the stack deletes the bucket)"]


def front_parameters(aws: Aws, want: Desired) -> list[dict]:
    """HostedZoneId and CloudFrontCertificateArn for a stage with a domain, found as lz's engine
    finds them (dns.zone_for, certificate.current)."""
    from ..deploy.resources import certificate, dns
    from ..template.frontdoor import CLOUDFRONT_CERTIFICATE, ZONE

    if not want.domain or not want.http:
        return []
    zone = dns.zone_for(aws, want.domain["name"], want.domain.get("zone"))
    out = [{"ParameterKey": ZONE, "ParameterValue": zone["Id"].split("/")[-1] if zone else ""}]
    if want.http == "function_url":
        arn = certificate.current(aws, want)
        if arn is None:
            raise AwsError(f"CloudFront needs an ISSUED certificate for {want.domain['name']} in "
                           f"{certificate.CLOUDFRONT_REGION}, and a stack cannot make one there from "
                           f"{want.region}: request it in ACM ({certificate.CLOUDFRONT_REGION}, DNS validation) or "
                           'give "domain"."certificate_arn", then deploy again')
        out.append({"ParameterKey": CLOUDFRONT_CERTIFICATE, "ParameterValue": arn})
    return out
