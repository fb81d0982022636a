"""Static files in an S3 bucket lz manages ("static": {"bucket": null}), deployed to the moto
server: the collected files as objects with their types and cache headers, public reads under
static/ only, LZ_STATIC_URL in the function, an unchanged redeploy that uploads nothing, a changed
file that uploads only what changed, and undeploy removing the bucket lz named."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.cli.conftest import REGION, ROOT, lz, moto_requests, need_python

moto_server = pytest.importorskip("moto.server")
pytestmark = pytest.mark.slow
NAME = "django-app-s3"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "django_app"
    shutil.copytree(ROOT / "tests" / "django_app", dest, ignore=shutil.ignore_patterns(".lz", "__pycache__"))
    settings = json.loads((dest / "lz_settings.json").read_text())
    settings["s3"] = {"extends": "static", "static": {"bucket": None}}
    (dest / "lz_settings.json").write_text(json.dumps(settings))
    return dest


def _s3():
    import boto3

    return boto3.client("s3", region_name=REGION)


def _objects(bucket: str) -> dict[str, dict]:
    s3 = _s3()
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="static/")
            for o in page.get("Contents", [])]
    return {key: s3.head_object(Bucket=bucket, Key=key) for key in keys}


def test_static_files_go_to_a_bucket_with_public_reads_under_static_only(aws_env, project: Path) -> None:
    need_python("3.13")
    import boto3

    first = lz(aws_env, "deploy", "s3", "--project", str(project))
    assert first.returncode == 0, first.stderr
    account = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]
    bucket = f"lz-django-app-s3-static-{account}-{REGION}"
    objects = _objects(bucket)
    manifest = json.loads((project / ".lz" / "static" / "s3" / "staticfiles.json").read_text())["paths"]
    hashed = manifest["admin/css/base.css"]
    css = objects[f"static/{hashed}"]
    assert css["ContentType"] == "text/css; charset=utf-8"
    assert css["CacheControl"] == "public, max-age=31536000, immutable"
    assert objects["static/admin/css/base.css"]["CacheControl"] == "public, max-age=60"
    assert objects["static/admin/img/icon-yes.svg"]["ContentType"] == "image/svg+xml"
    body = _s3().get_object(Bucket=bucket, Key=f"static/{hashed}")["Body"].read()
    assert body == (project / ".lz" / "static" / "s3" / hashed).read_bytes()

    # S3 refuses a public bucket policy while BlockPublicPolicy is on, and ignores it for anonymous
    # requests while RestrictPublicBuckets is on ("PublicAccessBlockConfiguration - Amazon Simple
    # Storage Service", https://docs.aws.amazon.com/AmazonS3/latest/API/API_PublicAccessBlockConfiguration.html);
    # moto enforces neither, so the configuration itself is asserted: ACLs stay blocked.
    block = _s3().get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
                     "RestrictPublicBuckets": False}
    policy = json.loads(_s3().get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"] == [{"Sid": "LzStaticRead", "Effect": "Allow", "Principal": "*",
                                    "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/static/*"}]
    tags = {t["Key"]: t["Value"] for t in _s3().get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags == {"lz:project": "django-app", "lz:stage": "s3"}

    lam = boto3.client("lambda", region_name=REGION)
    config = lam.get_function_configuration(FunctionName=NAME)
    assert config["Environment"]["Variables"]["LZ_STATIC_URL"] == f"https://{bucket}.s3.{REGION}.amazonaws.com/static/"
    statements = boto3.client("iam", region_name=REGION).get_role_policy(
        RoleName=f"{NAME}-lambda", PolicyName="lz")["PolicyDocument"] if _has_inline(NAME) else {}
    assert bucket not in json.dumps(statements)  # the function never reads the bucket
    bundle = project / ".lz" / f"{NAME}.zip"
    with zipfile.ZipFile(bundle) as zf:  # only Django's manifest ships, to link hashed names
        assert [n for n in zf.namelist() if n.startswith("lz_static/")] == ["lz_static/staticfiles.json"]
        entry = zf.read("lz_handler.py").decode()
        assert "serve_static" not in entry and "django_static_root" in entry
    _login_page_links_the_bucket(project, bundle, config["Environment"]["Variables"], hashed)

    # unchanged: no static step, no object written
    moto_requests(aws_env["AWS_ENDPOINT_URL"], "start")
    again = lz(aws_env, "deploy", "s3", "--project", str(project))
    sent = moto_requests(aws_env["AWS_ENDPOINT_URL"], "stop")
    assert again.returncode == 0, again.stderr
    assert "static files new or changed" not in again.stderr
    assert not [r for r in sent if r["method"] == "PUT" and bucket in r["url"]]

    # one stylesheet changed: its plain name, its new hashed name and the manifest, nothing else
    (project / "assets" / "site.css").write_text("body { color: #654321; }\n")
    moto_requests(aws_env["AWS_ENDPOINT_URL"], "start")
    third = lz(aws_env, "deploy", "s3", "--project", str(project))
    sent = moto_requests(aws_env["AWS_ENDPOINT_URL"], "stop")
    assert third.returncode == 0, third.stderr
    # (the old hashed name leaves the collected files; its object stays for pages still open)
    assert f"3 of {len(objects)} static files new or changed" in third.stderr
    puts = sorted(r["url"].split(f"{bucket}/", 1)[-1].split("?")[0] for r in sent
                  if r["method"] == "PUT" and bucket in r["url"] and "/static/" in r["url"])
    assert len(puts) == 3 and "static/site.css" in puts and "static/staticfiles.json" in puts

    # objects lost (a deploy interrupted mid-upload, a hand deletion): the next deploy reads the
    # bucket again and puts back exactly those
    _s3().delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"static/{hashed}"},
                                                            {"Key": "static/staticfiles.json"}]})
    fourth = lz(aws_env, "deploy", "s3", "--project", str(project))
    assert fourth.returncode == 0, fourth.stderr
    assert f"2 of {len(objects)} static files new or changed" in fourth.stderr
    assert {f"static/{hashed}", "static/staticfiles.json"} <= set(_objects(bucket))

    gone = lz(aws_env, "undeploy", "s3", "--yes", "--project", str(project))
    assert gone.returncode == 0, gone.stderr
    assert f"deleted static bucket {bucket}" in gone.stdout
    assert bucket not in [b["Name"] for b in _s3().list_buckets()["Buckets"]]


def _has_inline(name: str) -> bool:
    import boto3

    names = boto3.client("iam", region_name=REGION).list_role_policies(RoleName=f"{name}-lambda")["PolicyNames"]
    return "lz" in names


def _login_page_links_the_bucket(project: Path, bundle: Path, environment: dict, hashed: str) -> None:
    """The deployed zip, run by the local runtime with the function's environment: the admin's
    page links the stylesheet in the bucket, by the hashed name from the shipped manifest."""
    from lz.cli.local.runner import LocalFunction
    from tests.builders import make

    python = need_python("3.13")
    with LocalFunction(bundle, "3.13", python=python, environment=environment) as fn:
        page = fn.invoke(make("http_v2", path="/admin/login/"))
    assert page.ok and page.result["statusCode"] == 200, page.log
    assert f'href="{environment["LZ_STATIC_URL"]}{hashed}"' in page.result["body"]
