"""The project's S3 bucket for bundles over Lambda's 50 MB direct-upload limit: private (public
access blocked), encrypted, tagged. Made only when a bundle needs it; stages share it, and undeploy
removes a stage's objects, and the bucket too once no other stage's are left: its plan step and
its result say which of the two it did (`empty` or `delete`)."""

from __future__ import annotations

from ...aws import TAG_PROJECT, Aws
from ..models import Desired
from ..steps import Step

KIND = "bucket"
AFTER = ()  # needs nothing


def _exists(aws: Aws, name: str) -> bool:
    try:
        aws.client("s3").head_bucket(Bucket=name)
        return True
    except Exception as exc:
        if getattr(exc, "response", {}).get("Error", {}).get("Code") in ("404", "NoSuchBucket", "NotFound"):
            return False
        with aws.explain(f"reading bucket {name}"):
            raise


def plan(aws: Aws, want: Desired) -> list[Step]:
    if not want.via_s3 or _exists(aws, want.bucket):
        return []
    size = want.zip_path.stat().st_size / 2**20
    return [Step(KIND, want.bucket, "create", f"the {size:.0f} MiB bundle is over the 50 MB direct upload")]


def apply(aws: Aws, step: Step, want: Desired) -> None:
    s3 = aws.client("s3")
    with aws.explain(f"creating bucket {want.bucket}"):
        args = {} if want.region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": want.region}}
        s3.create_bucket(Bucket=want.bucket, **args)
        s3.put_public_access_block(Bucket=want.bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True})
        s3.put_bucket_encryption(Bucket=want.bucket, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
        s3.put_bucket_tagging(Bucket=want.bucket, Tagging={"TagSet": [
            {"Key": TAG_PROJECT, "Value": want.project}]})


def _bucket_name(aws: Aws, project: str, region: str) -> str:
    return f"lz-{project}-{aws.account}-{region}"[:63].rstrip("-")


def _stages_in(aws: Aws, name: str) -> list[str]:
    """The stages with bundles in the bucket (its top-level folders)."""
    s3 = aws.client("s3")
    with aws.explain(f"listing the stages' folders in bucket {name}"):
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=name, Delimiter="/")
        return sorted(p["Prefix"].rstrip("/") for page in pages for p in page.get("CommonPrefixes", []))


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    name = _bucket_name(aws, project, region)
    if not _exists(aws, name):
        return []
    with aws.explain(f"listing s3://{name}/{stage}/"):
        found = aws.client("s3").list_objects_v2(Bucket=name, Prefix=f"{stage}/").get("KeyCount", 0)
    if not found:
        return []
    others = [s for s in _stages_in(aws, name) if s != stage]
    if others:
        return [Step(KIND, name, "empty", f"this stage's bundles ({found}); the bucket stays: stages "
                     f"{', '.join(others)} keep theirs in it", {"prefix": f"{stage}/"})]
    return [Step(KIND, name, "delete", f"the stage's bundles ({found}), then the bucket: no other stage "
                 "uses it", {"prefix": f"{stage}/"})]


def delete(aws: Aws, step: Step) -> str:
    """Delete the stage's objects, then the bucket if nothing else is left in it; say which."""
    s3 = aws.client("s3")
    prefix = step.detail["prefix"]
    removed = 0
    with aws.explain(f"deleting {prefix} from bucket {step.name}"):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=step.name, Prefix=prefix):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=step.name, Delete={"Objects": keys})
                removed += len(keys)
        left = s3.list_objects_v2(Bucket=step.name, MaxKeys=1).get("KeyCount")
        if not left:
            s3.delete_bucket(Bucket=step.name)
    what = f"{removed} object{'s' if removed != 1 else ''} under {prefix}"
    if not left:
        return f"deleted bucket: {step.name} (with this stage's {what}; no other stage had any)"
    others = [s for s in _stages_in(aws, step.name) if f"{s}/" != prefix]
    return (f"emptied this stage's {what} from bucket {step.name} (kept: shared with other stages: "
            f"{', '.join(others) or 'other objects'})")


def upload_code(aws: Aws, want: Desired) -> None:
    """Put the bundle at s3://bucket/code_key unless it is there (an interrupted run, or the same
    build deployed before: the key names the content). CloudFormation's engine uses it too."""
    s3 = aws.client("s3")
    try:
        s3.head_object(Bucket=want.bucket, Key=want.code_key)
    except Exception as exc:
        if getattr(exc, "response", {}).get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            with aws.explain(f"checking s3://{want.bucket}/{want.code_key}"):
                raise
        with aws.explain(f"uploading the bundle to s3://{want.bucket}/{want.code_key}"):
            s3.upload_file(str(want.zip_path), want.bucket, want.code_key,
                           ExtraArgs={"ServerSideEncryption": "AES256"})
