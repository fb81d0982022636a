"""The static files' S3 bucket ("static": {"bucket": "name" or null}): Django's collected files
(built into .lz/static/STAGE/ by `lz package`) uploaded under static/, each with its Content-Type
and Cache-Control, and only those whose bytes changed (the object's ETag is the MD5 of a single-part
upload, compared with the local file's).

What is public, and nothing more: browsers fetch the files anonymously, so the bucket policy lets
anyone s3:GetObject under static/ (one statement, Sid LzStaticRead, merged into a policy the bucket
may already have); listing the bucket, writing to it, and every other key stay private. Block
Public Access keeps public ACLs blocked and ignored, and allows that one public policy
(BlockPublicPolicy and RestrictPublicBuckets off, or S3 refuses or ignores it). The function's
role gets nothing: the function never reads the bucket; the app links to LZ_STATIC_URL.

Earlier deploys' objects stay (a page rendered before this deploy still links to them); a bucket lz
named (null) goes with `lz undeploy`; a bucket the user named keeps its objects.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ...aws import TAG_PROJECT, TAG_STAGE, Aws
from ..models import Desired
from ..steps import Step

KIND = "static"
AFTER = ()  # needs nothing; the function waits for it (new code goes live once its files are up)
PREFIX = "static/"
SID = "LzStaticRead"
BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
         "RestrictPublicBuckets": False}
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=60"


def bucket_name(project: str, stage: str, account: str, region: str) -> str:
    """The name lz gives a stage's static bucket ("bucket": null): unique per account and region,
    in the letters S3 allows (a stage name may hold capitals and underscores; bucket names not)."""
    return f"lz-{project}-{stage.lower().replace('_', '-')}-static-{account}-{region}"[:63].rstrip("-.")


def static_url(bucket: str, region: str) -> str:
    """LZ_STATIC_URL: the files' public address (path-style when a dot in the name would break the
    virtual host's TLS certificate)."""
    if "." in bucket:
        return f"https://s3.{region}.amazonaws.com/{bucket}/{PREFIX}"
    return f"https://{bucket}.s3.{region}.amazonaws.com/{PREFIX}"


def statement(bucket: str) -> dict:
    return {"Sid": SID, "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/{PREFIX}*"}


def _code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


def _exists(aws: Aws, name: str) -> bool:
    try:
        aws.client("s3").head_bucket(Bucket=name)
        return True
    except Exception as exc:
        if _code(exc) in ("404", "NoSuchBucket", "NotFound"):
            return False
        with aws.explain(f"reading the static files' bucket {name}"):
            raise


def _policy(aws: Aws, name: str) -> dict | None:
    try:
        text = aws.client("s3").get_bucket_policy(Bucket=name)["Policy"]
    except Exception as exc:
        if _code(exc) == "NoSuchBucketPolicy":
            return None
        with aws.explain(f"reading the policy of bucket {name}"):
            raise
    return json.loads(text)


def _block(aws: Aws, name: str) -> dict | None:
    try:
        return aws.client("s3").get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    except Exception as exc:
        if _code(exc) == "NoSuchPublicAccessBlockConfiguration":
            return None
        with aws.explain(f"reading the public access block of bucket {name}"):
            raise


def _open_as_needed(aws: Aws, name: str) -> bool:
    policy = _policy(aws, name) or {}
    ours = [s for s in policy.get("Statement", []) if s.get("Sid") == SID]
    return _block(aws, name) == BLOCK and ours == [statement(name)]


def local_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """{key: (path, md5 hex)} of the collected files to upload; a .gz/.br twin of another file is
    left out (S3 cannot choose between encodings per request)."""
    out = {}
    names = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*")
             if p.is_file() and not p.is_symlink()}
    for name, path in sorted(names.items()):
        if name.endswith((".gz", ".br")) and name[:-3] in names:
            continue
        out[PREFIX + name] = (path, hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest())
    return out


def remote_etags(aws: Aws, name: str) -> dict[str, str]:
    s3 = aws.client("s3")
    with aws.explain(f"listing s3://{name}/{PREFIX}"):
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=name, Prefix=PREFIX)
        return {o["Key"]: o["ETag"].strip('"') for page in pages for o in page.get("Contents", [])}


def changed(aws: Aws, want: Desired, exists: bool = True) -> list[str]:
    """The keys whose local bytes differ from the bucket's (all of them in a new bucket)."""
    files = local_files(want.static_folder)
    remote = remote_etags(aws, want.static_bucket) if exists else {}
    return [key for key, (_, md5) in files.items() if remote.get(key) != md5]


def plan(aws: Aws, want: Desired) -> list[Step]:
    name = want.static_bucket
    if not name:
        return []
    exists = _exists(aws, name)
    steps = []
    if not exists:
        steps.append(Step(KIND, name, "create", "the static files' bucket (public reads under static/ only)"))
    elif not _open_as_needed(aws, name):
        steps.append(Step(KIND, name, "update", "anonymous s3:GetObject under static/ (one policy "
                          "statement), public ACLs still blocked"))
    keys = changed(aws, want, exists)
    if keys:
        total = len(local_files(want.static_folder))
        steps.append(Step(KIND, f"s3://{name}/{PREFIX}", "upload", f"{len(keys)} of {total} static files "
                          "new or changed", {"count": len(keys)}))
    return steps


def apply(aws: Aws, step: Step, want: Desired) -> None:
    name = want.static_bucket
    s3 = aws.client("s3")
    if step.action == "create":
        with aws.explain(f"creating the static files' bucket {name}"):
            args = {} if want.region == "us-east-1" else {
                "CreateBucketConfiguration": {"LocationConstraint": want.region}}
            s3.create_bucket(Bucket=name, **args)
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
                {"Key": TAG_PROJECT, "Value": want.project}, {"Key": TAG_STAGE, "Value": want.stage}]})
    if step.action in ("create", "update"):
        _open(aws, name)
    if step.action == "upload":
        _upload(aws, want)


def _open(aws: Aws, name: str) -> None:
    """Public reads under static/: the block first (a public policy is refused while
    BlockPublicPolicy is on), then our statement, replacing an older one of ours only."""
    s3 = aws.client("s3")
    with aws.explain(f"allowing a public policy on bucket {name} (its Block Public Access)"):
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=BLOCK)
    policy = _policy(aws, name) or {"Version": "2012-10-17", "Statement": []}
    kept = [s for s in policy.get("Statement", []) if s.get("Sid") != SID]
    policy["Statement"] = kept + [statement(name)]
    with aws.explain(f"putting the policy that lets anyone read s3://{name}/{PREFIX}* (an AccessDenied "
                     "here is often the account's own Block Public Access, which outranks the "
                     "bucket's: allow public policies for this bucket, or put the files behind "
                     "CloudFront and keep \"static\": true)"):
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))


def _upload(aws: Aws, want: Desired) -> None:
    """Put the files whose bytes changed (re-read now: a deploy run again after an interruption
    uploads only what is still missing)."""
    from lz.adapter.static import content_type

    s3 = aws.client("s3")
    files = local_files(want.static_folder)
    hashed = _hashed(want.static_folder)
    for key in changed(aws, want):
        path, _ = files[key]
        name = key[len(PREFIX):]
        with aws.explain(f"uploading s3://{want.static_bucket}/{key}"):
            s3.put_object(Bucket=want.static_bucket, Key=key, Body=path.read_bytes(),
                          ContentType=content_type(name),
                          CacheControl=IMMUTABLE if name in hashed else SHORT)


def _hashed(folder: Path) -> set[str]:
    try:
        return set((json.loads((folder / "staticfiles.json").read_text()).get("paths") or {}).values())
    except (OSError, ValueError, AttributeError):
        return set()


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    """The bucket lz named for the stage, with its objects; a bucket the user named stays."""
    name = bucket_name(project, stage, aws.account, region)
    if not _exists(aws, name):
        return []
    return [Step(KIND, name, "delete", "the stage's static files and their bucket (lz named it)")]


def delete(aws: Aws, step: Step) -> str:
    s3 = aws.client("s3")
    removed = 0
    with aws.explain(f"deleting the static files' bucket {step.name}"):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=step.name):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=step.name, Delete={"Objects": keys})
                removed += len(keys)
        s3.delete_bucket(Bucket=step.name)
    return f"deleted static bucket {step.name} and its {removed} objects"
