"""The project's S3 bucket for bundles over Lambda's 50 MB direct-upload limit: private (public
access blocked), encrypted, tagged. Made only when a bundle needs it; stages share it, and undeploy
removes a stage's objects (and the bucket once it is empty)."""

from __future__ import annotations

from ...aws import TAG_PROJECT, Aws
from ..models import Desired
from ..steps import Step

KIND = "bucket"


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


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    name = _bucket_name(aws, project, region)
    if not _exists(aws, name):
        return []
    with aws.explain(f"listing s3://{name}/{stage}/"):
        found = aws.client("s3").list_objects_v2(Bucket=name, Prefix=f"{stage}/").get("KeyCount", 0)
    return [Step(KIND, name, "delete", f"the stage's bundles ({found})", {"prefix": f"{stage}/"})] if found else []


def delete(aws: Aws, step: Step) -> None:
    s3 = aws.client("s3")
    with aws.explain(f"deleting {step.detail['prefix']} from bucket {step.name}"):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=step.name, Prefix=step.detail["prefix"]):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=step.name, Delete={"Objects": keys})
        if not s3.list_objects_v2(Bucket=step.name, MaxKeys=1).get("KeyCount"):
            s3.delete_bucket(Bucket=step.name)
