"""`lz deploy --engine cloudformation` with the static files' bucket and the front door, against
moto's CloudFormation, through the real CLI: the stack makes the bucket, lz uploads the collected
files once it is up (only those that changed on the next deploy), and `lz undeploy` empties the
bucket lz named so that the stack can delete it; a Function URL's domain without a certificate in
us-east-1 is refused before any change, saying what to do.

moto's CloudFormation cannot create AWS::S3::BucketPolicy and ignores the bucket's
PublicAccessBlockConfiguration: those properties are asserted against static_bucket.py's BLOCK and
statement in test_template_frontdoor.py (test_static_bucket_is_lz_engines_bucket_and_policy), as
are the front door's types it cannot create (listed there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.cfn_support import APP, STACK, stack_client as _client
from tests.cli.conftest import REGION, lz, make_project

pytest.importorskip("moto.server")
pytestmark = pytest.mark.slow


def _keys(bucket: str) -> list[str]:
    return sorted(o["Key"] for o in _client("s3").list_objects_v2(Bucket=bucket).get("Contents", []))


def test_the_stack_makes_the_static_bucket_and_lz_uploads_the_files(aws_env, tmp_path: Path) -> None:
    root = make_project(tmp_path, {"dev": {"app": "app:app", "http": False,
                                           "static": {"dir": "public", "bucket": None}}},
                        {"app.py": APP, "public/app.css": "body { color: red }\n", "public/app.js": "1;\n"})
    first = lz(aws_env, "deploy", "dev", "--project", str(root), "--engine", "cloudformation", "--yes")
    assert first.returncode == 0, first.stderr
    account = _client("sts").get_caller_identity()["Account"]
    bucket = f"lz-proj-dev-static-{account}-{REGION}"
    resources = _client("cloudformation").describe_stack_resources(StackName=STACK)["StackResources"]
    assert ("StaticBucket", bucket) in {(r.get("LogicalResourceId"), r.get("PhysicalResourceId")) for r in resources}
    assert _keys(bucket) == ["static/app.css", "static/app.js"]
    assert f"static files: 2 uploaded to s3://{bucket}/static/" in first.stdout + first.stderr
    head = _client("s3").head_object(Bucket=bucket, Key="static/app.css")
    assert head["ContentType"].startswith("text/css") and head["CacheControl"] == "public, max-age=60"
    env = _client("lambda").get_function(FunctionName=STACK)["Configuration"]["Environment"]["Variables"]
    assert env["LZ_STATIC_URL"] == f"https://{bucket}.s3.{REGION}.amazonaws.com/static/"

    (root / "public" / "app.js").write_text("2;\n")
    again = lz(aws_env, "deploy", "dev", "--project", str(root), "--engine", "cloudformation", "--yes")
    assert again.returncode == 0, again.stderr
    assert f"static files: 1 uploaded to s3://{bucket}/static/" in again.stdout + again.stderr
    assert _client("s3").get_object(Bucket=bucket, Key="static/app.js")["Body"].read() == b"2;\n"

    gone = lz(aws_env, "undeploy", "dev", "--yes", "--project", str(root))
    assert gone.returncode == 0, gone.stderr
    assert f"static files: 2 deleted from {bucket}" in gone.stdout
    assert bucket not in [b["Name"] for b in _client("s3").list_buckets()["Buckets"]]


def test_a_function_url_domain_needs_a_certificate_in_us_east_1_first(aws_env, tmp_path: Path) -> None:
    root = make_project(tmp_path, {"dev": {"app": "app:app", "http": "function_url",
                                           "domain": {"name": "www.example.com"}}}, {"app.py": APP})
    result = lz(aws_env, "deploy", "dev", "--project", str(root), "--engine", "cloudformation", "--yes")
    assert result.returncode != 0
    assert "CloudFront needs an ISSUED certificate for www.example.com in us-east-1" in result.stderr
    assert "certificate_arn" in result.stderr
    stacks = _client("cloudformation").list_stacks()["StackSummaries"]
    assert not [s for s in stacks if s["StackName"] == STACK and s["StackStatus"] != "DELETE_COMPLETE"]
