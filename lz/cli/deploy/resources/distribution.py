"""A CloudFront distribution in front of the Function URL (settings `domain` with http:
function_url): Function URLs take no custom domain themselves.

The distribution answers for the domain's name with the stage's certificate from us-east-1 (the
only region CloudFront takes certificates from: "Supported Regions", ACM user guide,
https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html), TLS 1.2 at least, every method, caching off (AWS's
managed CachingDisabled policy) and every viewer header, query string and cookie forwarded except
Host (managed origin request policy AllViewerExceptHostHeader: the URL routes on its own host
name). The app still sees the custom name: the origin sends X-Forwarded-Host with it (a custom
origin header, which replaces any a client sent), and the adapter takes it as the host when it is
exactly that name (adapter option forwarded_host; any other value is ignored).

Found again by its comment "lz PROJECT STAGE" and its tags. Deleting one takes disabling it and
waiting until CloudFront has deployed that (minutes on AWS): lz waits up to LZ_CLOUDFRONT_WAIT
seconds (default 1200), and a later deploy or undeploy finishes the job.
"""

from __future__ import annotations

import os
import time

from ...aws import TAG_PROJECT, TAG_STAGE, Aws, not_found
from ..models import Desired
from ..steps import Step
from . import certificate, features, url

KIND = "distribution"
AFTER = ("record", "function", "url", "certificate")  # the Function URL it fronts, its cert
ZONE = "Z2FDTNDATAQYW2"  # the hosted zone id of every CloudFront alias target
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]


def _comment(project: str, stage: str) -> str:
    return f"lz {project} {stage}"


def ours(aws: Aws, project: str, stage: str) -> list[dict]:
    def fetch() -> list[dict]:
        client = aws.client("cloudfront")
        with aws.explain("listing CloudFront distributions"):
            items = [d for page in client.get_paginator("list_distributions").paginate()
                     for d in (page.get("DistributionList") or {}).get("Items", []) or []]
            found = []
            for item in items:
                if item.get("Comment") != _comment(project, stage):
                    continue
                tags = client.list_tags_for_resource(Resource=item["ARN"]).get("Tags", {}).get("Items", [])
                tags = {t["Key"]: t.get("Value") for t in tags}
                if tags.get(TAG_PROJECT) == project and tags.get(TAG_STAGE) == stage:
                    found.append(item)
            return found

    return aws.read(("distributions", project, stage), fetch)


def _origin(aws: Aws, want: Desired) -> str | None:
    endpoint = url.endpoint(aws, want.name)
    return endpoint.split("://", 1)[-1].strip("/") if endpoint else None


def _config(want: Desired, origin: str, cert: str, reference: str) -> dict:
    name = want.domain["name"]
    return {
        "CallerReference": reference, "Comment": _comment(want.project, want.stage), "Enabled": True,
        "Aliases": {"Quantity": 1, "Items": [name]},
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "function-url", "DomainName": origin, "OriginPath": "",
            "CustomHeaders": {"Quantity": 1, "Items": [{"HeaderName": "X-Forwarded-Host", "HeaderValue": name}]},
            "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only",
                                   "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
                                   "OriginReadTimeout": 60, "OriginKeepaliveTimeout": 5}}]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "function-url", "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": CACHING_DISABLED, "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST,
            "AllowedMethods": {"Quantity": len(METHODS), "Items": METHODS,
                               "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}},
            "Compress": False},
        "ViewerCertificate": {"ACMCertificateArn": cert, "SSLSupportMethod": "sni-only",
                              "MinimumProtocolVersion": "TLSv1.2_2021"},
        "HttpVersion": "http2and3", "IsIPV6Enabled": True, "PriceClass": "PriceClass_All",
    }


def _differs(have: dict, want: Desired, origin: str | None, cert: str | None) -> list[str]:
    out = []
    if (have.get("Aliases") or {}).get("Items") != [want.domain["name"]]:
        out.append("name")
    origins = (have.get("Origins") or {}).get("Items") or [{}]
    if origin and origins[0].get("DomainName") != origin:
        out.append("origin")
    if cert and (have.get("ViewerCertificate") or {}).get("ACMCertificateArn") != cert:
        out.append("certificate")
    return out


def plan(aws: Aws, want: Desired) -> list[Step]:
    if not features.needed(aws, want, "domain"):
        return []  # neither asked for nor deployed (features.py)
    found = ours(aws, want.project, want.stage)
    wanted = bool(want.domain) and want.http == "function_url"
    steps = [Step(KIND, d["Id"], "delete", "domain removed or front changed", {"id": d["Id"]})
             for d in (found if not wanted else found[1:])]
    if not wanted:
        return steps
    name = want.domain["name"]
    if not found:
        return steps + [Step(KIND, name, "create", "CloudFront in front of the Function URL (caching off)", {})]
    differs = _differs(found[0], want, _origin(aws, want), certificate.current(aws, want))
    if differs:
        steps.append(Step(KIND, name, "update", ", ".join(differs) + " changed", {"id": found[0]["Id"]}))
    return steps


def apply(aws: Aws, step: Step, want: Desired) -> None:
    cert, origin = certificate.current(aws, want), _origin(aws, want)
    name = want.domain["name"]
    if cert is None or origin is None:
        certificate.say(f"  distribution {name}: waits for its certificate (the next lz deploy makes it)")
        return
    client = aws.client("cloudfront")
    aws.forget("distributions")
    with aws.explain(f"{step.action} the CloudFront distribution of {name}"):
        if step.action == "create":
            if ours(aws, want.project, want.stage):
                return
            config = _config(want, origin, cert, f"lz-{want.project}-{want.stage}-{time.time_ns()}")
            client.create_distribution_with_tags(DistributionConfigWithTags={
                "DistributionConfig": config,
                "Tags": {"Items": [{"Key": k, "Value": v} for k, v in want.tags.items()]}})
        else:
            have = client.get_distribution_config(Id=step.detail["id"])
            config = _config(want, origin, cert, have["DistributionConfig"]["CallerReference"])
            client.update_distribution(Id=step.detail["id"], DistributionConfig=config, IfMatch=have["ETag"])
    aws.forget("distributions")


def target(aws: Aws, want: Desired) -> tuple[str, str] | None:
    found = ours(aws, want.project, want.stage)
    return (found[0]["DomainName"], ZONE) if found else None


def stale_targets(aws: Aws, want: Desired) -> list[tuple[str, tuple[str, str]]]:
    keep = bool(want.domain) and want.http == "function_url"
    found = ours(aws, want.project, want.stage)
    return [(_alias(d), (d["DomainName"], ZONE)) for d in (found[1:] if keep else found)]


def all_targets(aws: Aws, project: str, stage: str) -> list[tuple[str, tuple[str, str]]]:
    return [(_alias(d), (d["DomainName"], ZONE)) for d in ours(aws, project, stage)]


def _alias(distribution: dict) -> str:
    return ((distribution.get("Aliases") or {}).get("Items") or [""])[0]


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    return [Step(KIND, d["Id"], "delete", "undeploy", {"id": d["Id"]}) for d in ours(aws, project, stage)]


def delete(aws: Aws, step: Step) -> str | None:
    """Disable, wait until CloudFront has deployed that, delete."""
    client = aws.client("cloudfront")
    aws.forget("distributions")
    ident = step.detail["id"]
    with aws.explain(f"deleting CloudFront distribution {ident}"):
        try:
            have = client.get_distribution_config(Id=ident)
        except Exception as exc:
            if not_found(exc) or "NoSuchDistribution" in str(exc):
                return None
            raise
        etag = have["ETag"]
        if have["DistributionConfig"].get("Enabled"):
            config = {**have["DistributionConfig"], "Enabled": False}
            etag = client.update_distribution(Id=ident, DistributionConfig=config, IfMatch=etag)["ETag"]
        limit = float(os.environ.get("LZ_CLOUDFRONT_WAIT", "1200"))
        start = time.monotonic()
        while client.get_distribution(Id=ident)["Distribution"]["Status"] != "Deployed":
            if time.monotonic() - start > limit:
                return (f"CloudFront distribution {ident} disabled; CloudFront is still deploying that: run "
                        "the command again later to delete it")
            time.sleep(10)
        client.delete_distribution(Id=ident, IfMatch=client.get_distribution(Id=ident)["ETag"])
    return f"deleted CloudFront distribution {ident}"
