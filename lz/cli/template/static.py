"""The static files' bucket (settings `static: {"bucket": ...}`; deploy/resources/static_bucket.py)
in a template: the bucket (encrypted, tagged), its Block Public Access exactly as lz's engine sets
it (public ACLs blocked and ignored, the one public policy allowed), and the policy with lz's single
statement letting anyone read static/*. The URL the app links to (LZ_STATIC_URL) is the output
StaticUrl.

Uploading the files is not CloudFormation's: `lz deploy --engine cloudformation` uploads those
whose bytes changed once the stack is up (stack/engine.py), as lz's engine does; with the template
alone, copy .lz/static/STAGE/ under static/ yourself (the note says how). A bucket lz names goes
with the stack (the engine empties it first: CloudFormation deletes only an empty bucket); a bucket
the settings name is kept (DeletionPolicy Retain), as lz's engine keeps it, and must not exist
before the stack makes it (lz's own engine takes an existing one over).
"""

from __future__ import annotations

from ..deploy.resources import static_bucket
from .base import ACCOUNT, REGION, Template, tag_list

KIND = "static"
BUCKET = "StaticBucket"


def named_by_lz(want) -> bool:
    return want.static_bucket == static_bucket.bucket_name(want.project, want.stage, ACCOUNT, REGION)


def emit(t: Template) -> None:
    want = t.want
    name = want.static_bucket
    if not name:
        return
    ours = named_by_lz(want)
    if ours and not name.endswith(REGION):  # cut to S3's 63 characters through a pseudo parameter
        from . import TemplateError

        raise TemplateError(f'the static bucket lz names for {want.project}-{want.stage} is too long to '
                            'be written with the account and region left to CloudFormation: name it in '
                            'the settings ("static": {"bucket": "a-name"})')
    keep = {} if ours else {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
    t.add(BUCKET, "AWS::S3::Bucket", {
        "BucketName": name, "PublicAccessBlockConfiguration": dict(static_bucket.BLOCK),
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
        "Tags": tag_list(want.tags)}, **keep)
    t.add("StaticBucketPolicy", "AWS::S3::BucketPolicy", {
        "Bucket": {"Ref": BUCKET},
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [static_bucket.statement(name)]}})
    t.output("StaticUrl", want.static_url, "Where the app links its static files (LZ_STATIC_URL)")
    t.output("StaticBucket", {"Ref": BUCKET}, "The static files' bucket")
    t.note(f"static files of {want.stage}",
           f"the stack makes the bucket and its public-read policy on {static_bucket.PREFIX}*; the files are "
           "uploaded by `lz deploy --engine cloudformation` once the stack is up (only those that changed). "
           f"Deploying the template otherwise: `aws s3 sync .lz/static/{want.stage}/ "
           f"s3://BUCKET/{static_bucket.PREFIX}` after the stack (BUCKET: the output StaticBucket)")
