"""The ACM certificate of the stage's custom domain (settings `domain`).

Where it must be: in the API's region for a regional API Gateway domain ("You must provide a
Region-specific ACM certificate. This certificate must be in the same Region as your API": "Set up a
Regional custom domain name in API Gateway", API Gateway developer guide,
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-regional-api-custom-domain-create.html),
in us-east-1 for CloudFront ("To use an ACM certificate with Amazon CloudFront, you must request or
import the certificate in the US East (N. Virginia) region": "Supported Regions", ACM user guide,
https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html). A given `certificate_arn` is
checked (that region, ISSUED, covers the name) before anything changes. Otherwise an ISSUED
certificate covering the name is reused, or lz requests one with DNS validation, tagged for the
stage, writes its validation CNAME into the Route 53 zone that owns the name (dns.py) or prints it,
and waits for issuance up to LZ_CERTIFICATE_WAIT seconds (default 600) with a progress line. A
deploy that stops waiting leaves the stage deployed without the domain; the next one picks it up.

lz deletes only certificates it requested (tagged lz:project/lz:stage), never one it found.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time

from ...aws import TAG_PROJECT, TAG_STAGE, Aws, AwsError, error_code, not_found
from ..models import Desired
from ..steps import Step
from . import features

KIND = "certificate"
AFTER = ("record", "function")  # no API needed
CLOUDFRONT_REGION = "us-east-1"


def region_for(want: Desired) -> str:
    """Where the certificate must be for this stage's front."""
    return CLOUDFRONT_REGION if want.http == "function_url" else want.region


def covers(names: list[str], host: str) -> bool:
    """Whether a certificate for `names` serves `host` (a wildcard covers exactly one label)."""
    host = host.lower().rstrip(".")
    for name in names:
        name = name.lower().rstrip(".")
        if name == host or (name.startswith("*.") and host.partition(".")[2] == name[2:]):
            return True
    return False


def _acm(aws: Aws, region: str):
    return aws.client("acm", region)


def describe(aws: Aws, arn: str, region: str) -> dict | None:
    try:
        return _acm(aws, region).describe_certificate(CertificateArn=arn)["Certificate"]
    except Exception as exc:
        if not_found(exc):
            return None
        with aws.explain(f"reading certificate {arn}"):
            raise


def _names(cert: dict) -> list[str]:
    return [cert.get("DomainName", "")] + list(cert.get("SubjectAlternativeNames") or [])


def check_given(aws: Aws, want: Desired, arn: str) -> dict:
    """A `certificate_arn` the user gave: in the right region, ISSUED, covering the name."""
    name, region = want.domain["name"], region_for(want)
    arn_region = arn.split(":")[3] if arn.count(":") >= 5 else ""
    if arn_region != region:
        why = ("CloudFront (the front of a Function URL) takes certificates from us-east-1 only"
               if want.http == "function_url" else
               f"a regional API Gateway domain takes a certificate from the API's own region, {region}")
        raise AwsError(f'"domain"."certificate_arn" is in {arn_region or "no region"}, and {why}: request '
                       f"or import a certificate for {name} in {region}, or drop certificate_arn and lz "
                       "requests one")
    cert = describe(aws, arn, region)
    if cert is None:
        raise AwsError(f'"domain"."certificate_arn" {arn} does not exist in {region}: check the ARN')
    if not covers(_names(cert), name):
        raise AwsError(f'"domain"."certificate_arn" covers {", ".join(sorted(set(_names(cert))))}, not {name}: '
                       "use a certificate for the domain's name (or a wildcard over it)")
    if cert.get("Status") != "ISSUED":
        raise AwsError(f'"domain"."certificate_arn" is {cert.get("Status")}, not ISSUED: finish its '
                       "validation in ACM, or drop certificate_arn and lz requests one")
    return cert


def _listed(aws: Aws, region: str, statuses: tuple[str, ...]) -> list[dict]:
    acm = _acm(aws, region)
    with aws.explain(f"listing ACM certificates in {region}"):
        return [c for page in acm.get_paginator("list_certificates").paginate(CertificateStatuses=list(statuses))
                for c in page.get("CertificateSummaryList", [])]


def _tags(aws: Aws, arn: str, region: str) -> dict[str, str]:
    with aws.explain(f"reading the tags of {arn}"):
        tags = _acm(aws, region).list_tags_for_certificate(CertificateArn=arn).get("Tags", [])
    return {t["Key"]: t.get("Value", "") for t in tags}


def _candidates(aws: Aws, want: Desired, statuses: tuple[str, ...]) -> list[dict]:
    """Certificates in the front's region that cover the name, described."""
    region, found = region_for(want), []
    for summary in _listed(aws, region, statuses):
        sans = summary.get("SubjectAlternativeNameSummaries")
        if sans is not None and not covers([summary.get("DomainName", "")] + sans, want.domain["name"]):
            continue
        cert = describe(aws, summary["CertificateArn"], region)
        if cert and covers(_names(cert), want.domain["name"]):
            found.append(cert)
    return found


def current(aws: Aws, want: Desired) -> str | None:
    """The ARN the domain should use now: the given one, or an ISSUED one covering the name (the
    stage's own first), or None while lz's request is pending."""
    def find() -> str | None:
        given = want.domain.get("certificate_arn")
        if given:
            return check_given(aws, want, given)["CertificateArn"]
        issued = _candidates(aws, want, ("ISSUED",))
        ours = [c for c in issued if _is_ours(aws, c["CertificateArn"], want.project, want.stage, region_for(want))]
        return (ours or issued)[0]["CertificateArn"] if issued else None

    return aws.read(("certificate", want.domain["name"], region_for(want)), find)


def _is_ours(aws: Aws, arn: str, project: str, stage: str, region: str) -> bool:
    tags = _tags(aws, arn, region)
    return tags.get(TAG_PROJECT) == project and tags.get(TAG_STAGE) == stage


def ours(aws: Aws, project: str, stage: str, regions: tuple[str, ...]) -> list[tuple[dict, str]]:
    """(certificate, region) of every certificate lz requested for the stage."""
    found = []
    for region in dict.fromkeys(regions):
        for summary in _listed(aws, region, ("PENDING_VALIDATION", "ISSUED", "FAILED", "VALIDATION_TIMED_OUT",
                                             "INACTIVE", "EXPIRED")):
            if _is_ours(aws, summary["CertificateArn"], project, stage, region):
                cert = describe(aws, summary["CertificateArn"], region)
                if cert:
                    found.append((cert, region))
    return found


def plan(aws: Aws, want: Desired) -> list[Step]:
    if not features.needed(aws, want, "domain"):
        return []  # neither asked for nor deployed (features.py)
    if not want.domain or want.http is False:
        return []  # stale certificates go after the domain that uses them (dns.plan lists them)
    if current(aws, want):
        return []
    name = want.domain["name"]
    pending = [c for c in _candidates(aws, want, ("PENDING_VALIDATION",))
               if _is_ours(aws, c["CertificateArn"], want.project, want.stage, region_for(want))]
    if pending:
        return [Step(KIND, name, "update", "wait for DNS validation of the requested certificate",
                     {"arn": pending[0]["CertificateArn"], "region": region_for(want)})]
    return [Step(KIND, name, "create", f"request an ACM certificate in {region_for(want)} (DNS validation)",
                 {"region": region_for(want)})]


def validation_record(aws: Aws, arn: str, region: str, patience: float = 30.0) -> dict | None:
    """The CNAME ACM wants ({Name, Type, Value}); ACM adds it to a new request within seconds."""
    deadline = time.monotonic() + patience
    while True:
        cert = describe(aws, arn, region) or {}
        for option in cert.get("DomainValidationOptions") or []:
            if option.get("ResourceRecord"):
                return option["ResourceRecord"]
        if time.monotonic() > deadline:
            return None
        time.sleep(2)


def say(line: str) -> None:
    """A progress or pending line for the person deploying (stderr, as the plan is)."""
    print(line, file=sys.stderr, flush=True)


def wait_seconds() -> float:
    try:
        return float(os.environ.get("LZ_CERTIFICATE_WAIT", "600"))
    except ValueError:
        raise AwsError("LZ_CERTIFICATE_WAIT must be a number of seconds") from None


def apply(aws: Aws, step: Step, want: Desired) -> None:
    from . import dns

    region, name = step.detail["region"], want.domain["name"]
    arn = step.detail.get("arn")
    if arn is None:
        # One token per request: botocore's retries of this call reuse it (no second certificate),
        # while a request after lz deleted one gets a new certificate, not the deleted one's ARN
        # (ACM answers a token it saw within the hour with that certificate).
        token = hashlib.sha256(f"{want.project}/{want.stage}/{name}/{time.time_ns()}".encode()).hexdigest()[:32]
        with aws.explain(f"requesting an ACM certificate for {name} in {region}"):
            arn = _acm(aws, region).request_certificate(
                DomainName=name, ValidationMethod="DNS", IdempotencyToken=token,
                Tags=[{"Key": k, "Value": v} for k, v in want.tags.items()])["CertificateArn"]
    record = validation_record(aws, arn, region)
    zone = dns.zone_for(aws, name, want.domain.get("zone"))
    if record and zone:
        dns.upsert_validation(aws, zone, record)
    elif record:
        say(f"  certificate {name}: create this DNS record where {name} is served so ACM can issue it:\n"
            f"    {record['Name']} {record['Type']} {record['Value']}")
    wait(aws, arn, region, name)


def wait(aws: Aws, arn: str, region: str, name: str) -> bool:
    """Wait for ISSUED, saying so every 15 s; False when LZ_CERTIFICATE_WAIT runs out."""
    aws.forget("certificate")
    limit = wait_seconds()
    start = time.monotonic()
    last = start
    while True:
        cert = describe(aws, arn, region) or {}
        status = cert.get("Status")
        if status == "ISSUED":
            say(f"  certificate {name}: issued")
            return True
        if status not in (None, "PENDING_VALIDATION"):
            raise AwsError(f"the ACM certificate for {name} is {status} ({arn}): delete it in ACM and deploy "
                           "again to request a new one")
        waited = time.monotonic() - start
        if waited >= limit:
            say(f"  certificate {name}: still {status} after {waited:.0f} s; the stage is deployed without "
                f"its domain, and the next lz deploy picks up from here (lz status shows what is pending)")
            return False
        if time.monotonic() - last >= 15:
            say(f"  certificate {name}: waiting for DNS validation ({waited:.0f} s of {limit:.0f})")
            last = time.monotonic()
        time.sleep(min(5.0, max(0.0, limit - waited)))


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    return [Step(KIND, cert["DomainName"], "delete", "undeploy (lz requested it)",
                 {"arn": cert["CertificateArn"], "region": where})
            for cert, where in ours(aws, project, stage, (region, CLOUDFRONT_REGION))]


def stale(aws: Aws, want: Desired) -> list[Step]:
    """Certificates lz requested for the stage that its settings no longer call for."""
    keep = current(aws, want) if want.domain and want.http else None
    steps = []
    for cert, where in ours(aws, want.project, want.stage, (want.region, CLOUDFRONT_REGION)):
        wanted = want.domain and want.http and where == region_for(want) and \
            covers(_names(cert), want.domain["name"])
        if cert["CertificateArn"] != keep and not wanted:
            steps.append(Step(KIND, cert["DomainName"], "delete", "the domain no longer uses it (lz requested it)",
                              {"arn": cert["CertificateArn"], "region": where}))
    return steps


def delete(aws: Aws, step: Step) -> str | None:
    """The certificate, and its validation CNAME where lz wrote it. One still in use elsewhere (another
    stage's domain reusing it) is kept, and the answer says so."""
    from . import dns

    arn, region = step.detail["arn"], step.detail["region"]
    cert = describe(aws, arn, region)
    if cert is None:
        return None
    aws.forget("certificate")
    try:
        _acm(aws, region).delete_certificate(CertificateArn=arn)
    except Exception as exc:
        if error_code(exc) == "ResourceInUseException":
            users = ", ".join(cert.get("InUseBy") or []) or "another resource"
            message = f"kept certificate {step.name}: still in use by {users}"
            say(f"  {message}")
            return message
        if not_found(exc):
            return None
        with aws.explain(f"deleting certificate {step.name}"):
            raise
    for option in cert.get("DomainValidationOptions") or []:
        record = option.get("ResourceRecord")
        zone = dns.zone_for(aws, option.get("DomainName", ""), None) if record else None
        if record and zone:
            dns.delete_validation(aws, zone, record)
    return f"deleted certificate {step.name} (lz requested it) and its validation record"
