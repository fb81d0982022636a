"""The front door (issue 12): custom domains with certificates, DNS, auth and throttling, deployed to
moto (ACM, Route 53, API Gateway v1/v2, CloudFront) by the same engine `lz deploy` runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import REGION, lz, project_copy
from tests.cli.stage import NAME, settings

moto_server = pytest.importorskip("moto.server")
pytestmark = pytest.mark.slow

DOMAIN = "api.example.com"
JWT = {"jwt": {"issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_POOL", "audience": ["client"]}}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return project_copy(tmp_path, "example_flask")


@pytest.fixture
def front_env(aws_env, monkeypatch):
    """moto issues a requested certificate as soon as it is read again (MOTO_ACM_VALIDATION_WAIT=0;
    the server runs in this process, so its settings module is set too); lz waits for it briefly."""
    from moto import settings as moto_settings

    from tests.cli import moto_front

    moto_front.extend()
    monkeypatch.setenv("MOTO_ACM_VALIDATION_WAIT", "0")
    monkeypatch.setattr(moto_settings, "ACM_VALIDATION_WAIT", 0)
    monkeypatch.setenv("LZ_CERTIFICATE_WAIT", "5")
    return {**aws_env, "MOTO_ACM_VALIDATION_WAIT": "0", "LZ_CERTIFICATE_WAIT": "5"}


def client(name: str, region: str = REGION):
    import boto3

    return boto3.client(name, region_name=region)


def zone(name: str = "example.com") -> str:
    return client("route53").create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"]


def run(project: Path, dry_run: bool = False, **changes):
    """Deploy the stage in-process (the engine of `lz deploy`); the steps it took."""
    from lz.cli.aws import Aws
    from lz.cli.bundle import build
    from lz.cli.deploy.operations import deploy
    from lz.cli.settings import load

    if changes:
        settings(project, **changes)
    stage = load(project, "dev")
    bundle = build(stage)
    return deploy(Aws(REGION), stage, bundle.path, bundle.handler, dry_run, show_plan=lambda s: None)


def records(zone_id: str) -> dict[tuple[str, str], dict]:
    found = client("route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {(r["Name"], r["Type"]): r for r in found}


def http_api() -> dict:
    return next(a for a in client("apigatewayv2").get_apis()["Items"] if a["Name"] == NAME)


def lz_certificates(region: str = REGION) -> list[dict]:
    acm = client("acm", region)
    found = []
    for summary in acm.list_certificates()["CertificateSummaryList"]:
        tags = {t["Key"]: t["Value"] for t in acm.list_tags_for_certificate(
            CertificateArn=summary["CertificateArn"]).get("Tags", [])}
        if tags.get("lz:stage") == "dev":
            found.append(acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"])
    return found


def test_from_scratch_with_a_zone_http_api_jwt_throttle_and_removal(front_env, project: Path) -> None:
    """A regional domain with security policy TLS_1_2 and alias A records in the Route 53 zone ("If you
    use Route 53 as your DNS provider, create an A alias record": "Set up a Regional custom domain name
    in API Gateway", https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-regional-api-custom-domain-create.html)."""
    zone_id = zone()
    result = run(project, domain={"name": DOMAIN, "base_path": "v1"}, auth=JWT, throttle={"rate": 50, "burst": 100})
    assert result.url == f"https://{DOMAIN}/v1/"
    [cert] = lz_certificates()
    assert cert["Status"] == "ISSUED" and cert["DomainName"] == DOMAIN
    v2 = client("apigatewayv2")
    domain = v2.get_domain_name(DomainName=DOMAIN)
    config = domain["DomainNameConfigurations"][0]
    assert (config["EndpointType"], config["SecurityPolicy"], config["CertificateArn"]) == \
        ("REGIONAL", "TLS_1_2", cert["CertificateArn"])
    api = http_api()
    [mapping] = v2.get_api_mappings(DomainName=DOMAIN)["Items"]
    assert (mapping["ApiMappingKey"], mapping["ApiId"], mapping["Stage"]) == ("v1", api["ApiId"], "$default")
    found = records(zone_id)
    for kind in ("A", "AAAA"):
        alias = found[(f"{DOMAIN}.", kind)]["AliasTarget"]
        assert alias["DNSName"].rstrip(".") == config["ApiGatewayDomainName"]
        assert alias["HostedZoneId"] == config["HostedZoneId"]
    validation = cert["DomainValidationOptions"][0]["ResourceRecord"]
    assert found[(validation["Name"], "CNAME")]["ResourceRecords"] == [{"Value": validation["Value"]}]
    [route] = v2.get_routes(ApiId=api["ApiId"])["Items"]
    assert route["AuthorizationType"] == "JWT"
    authorizer = v2.get_authorizer(ApiId=api["ApiId"], AuthorizerId=route["AuthorizerId"])
    assert authorizer["JwtConfiguration"] == {"Issuer": JWT["jwt"]["issuer"], "Audience": ["client"]}
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
    [stage] = v2.get_stages(ApiId=api["ApiId"])["Items"]
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 50
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 100
    assert run(project).steps == []  # converged

    changed = run(project, throttle={"rate": 5, "burst": 10}, auth="aws_iam")
    assert {s.reason for s in changed.steps} == {"every route: auth JWT -> AWS_IAM", "throttle 5/s, burst 10"}
    [route] = v2.get_routes(ApiId=api["ApiId"])["Items"]
    assert route["AuthorizationType"] == "AWS_IAM"
    assert v2.get_authorizers(ApiId=api["ApiId"])["Items"] == []  # the JWT authorizer went with its use
    assert v2.get_stages(ApiId=api["ApiId"])["Items"][0]["DefaultRouteSettings"]["ThrottlingRateLimit"] == 5
    assert run(project).steps == []

    removed = run(project, domain=None, auth=None, throttle=None)
    assert {(s.kind, s.action) for s in removed.steps} >= {("domain", "delete"), ("dns", "delete"),
                                                           ("certificate", "delete"), ("access", "update")}
    assert v2.get_domain_names()["Items"] == [] and lz_certificates() == []
    assert set(records(zone_id)) == {("example.com.", "NS"), ("example.com.", "SOA")}
    account = client("apigateway").get_account()["throttleSettings"]
    assert stage_throttle(api["ApiId"]) == (account["rateLimit"], account["burstLimit"])
    assert run(project).steps == []
    assert ".execute-api." in run(project).url


def stage_throttle(api_id: str) -> tuple[float, int]:
    [stage] = client("apigatewayv2").get_stages(ApiId=api_id)["Items"]
    return stage["DefaultRouteSettings"]["ThrottlingRateLimit"], stage["DefaultRouteSettings"]["ThrottlingBurstLimit"]


def test_a_throttle_removed_gives_the_stage_the_account_s_own_limits(front_env, project: Path) -> None:
    """API Gateway cannot unset a stage's default route throttling, so a removed `throttle` sets the
    account's limits, as GetAccount reads them: the default is 10,000/s (burst 5,000) in most Regions,
    2,500 (burst 1,250) in some, and a raised quota is higher ("Amazon API Gateway quotas",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html). A fixed 10,000 would cap
    a raised account. No API raises it (Service Quotas does): the account is set in moto's backend,
    which runs in this process, as AWS would report it."""
    from moto.apigateway.models import apigateway_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    account = apigateway_backends[DEFAULT_ACCOUNT_ID][REGION].account
    account.throttle_settings = {"rateLimit": 25000.0, "burstLimit": 12000}
    run(project)
    api_id = http_api()["ApiId"]
    # a throttle set outside lz (the console) on a stage lz never throttled is not lz's: left alone
    client("apigatewayv2").update_stage(ApiId=api_id, StageName="$default", DefaultRouteSettings={
        "ThrottlingRateLimit": 7, "ThrottlingBurstLimit": 3})
    assert run(project).steps == [] and stage_throttle(api_id) == (7, 3)
    run(project, throttle={"rate": 50, "burst": 100})
    assert stage_throttle(api_id) == (50, 100)

    removed = run(project, throttle=None)
    assert [s.reason for s in removed.steps if s.kind == "access"] == ["throttle 25000/s, burst 12000 (the account's limits)"]
    assert stage_throttle(api_id) == (25000, 12000)
    recorded = client("lambda").get_function(FunctionName=NAME)["Tags"]["lz:features"].split()
    assert "access" in recorded  # the stage still carries lz's throttle: later deploys read it
    assert run(project).steps == []  # converged

    account.throttle_settings = {"rateLimit": 2500.0, "burstLimit": 1250}  # a Region with the lower default
    moved = run(project)
    assert [s.reason for s in moved.steps] == ["throttle 2500/s, burst 1250 (the account's limits)"]
    assert stage_throttle(api_id) == (2500, 1250)


def test_a_jwt_authorizer_left_unattached_by_an_interruption_is_reused_not_doubled(front_env, project: Path) -> None:
    """A deploy stopped between creating the JWT authorizer and attaching it to the route leaves an
    authorizer named lz-jwt that no route uses (made here with boto3, as that deploy would have):
    the next deploy attaches that one, and the API never holds two."""
    from lz.cli.deploy.resources.access import AUTHORIZER

    run(project)
    api_id = http_api()["ApiId"]
    v2 = client("apigatewayv2")
    left = v2.create_authorizer(ApiId=api_id, AuthorizerType="JWT", Name=AUTHORIZER,
                                IdentitySource=["$request.header.Authorization"],
                                JwtConfiguration={"Issuer": "https://old.example.com", "Audience": ["old"]})
    run(project, auth=JWT)
    [route] = v2.get_routes(ApiId=api_id)["Items"]
    [authorizer] = v2.get_authorizers(ApiId=api_id)["Items"]
    assert route["AuthorizationType"] == "JWT" and route["AuthorizerId"] == left["AuthorizerId"]
    assert authorizer["JwtConfiguration"] == {"Issuer": JWT["jwt"]["issuer"], "Audience": ["client"]}
    assert run(project).steps == []


def test_undeploy_removes_what_lz_made_and_keeps_the_zone_and_a_given_certificate(front_env, project: Path) -> None:
    zone_id = zone()
    acm = client("acm")
    given = acm.request_certificate(DomainName="*.example.com", ValidationMethod="DNS")["CertificateArn"]
    acm.describe_certificate(CertificateArn=given)  # moto issues it on this read
    run(project, http="rest_api", domain={"name": DOMAIN, "certificate_arn": given},
        auth={"api_keys": {"quota": {"limit": 1000, "period": "DAY"}}}, throttle={"rate": 10, "burst": 20})
    gw = client("apigateway")
    domain = gw.get_domain_name(domainName=DOMAIN)
    assert (domain["regionalCertificateArn"], domain["securityPolicy"]) == (given, "TLS_1_2")
    api = next(a for a in gw.get_rest_apis()["items"] if a["name"] == NAME)
    [mapping] = gw.get_base_path_mappings(domainName=DOMAIN)["items"]
    assert (mapping["restApiId"], mapping["stage"]) == (api["id"], "dev")
    assert lz_certificates() == []  # lz requested none
    [plan] = gw.get_usage_plans()["items"]
    assert plan["throttle"] == {"rateLimit": 10.0, "burstLimit": 20}
    assert plan["quota"]["limit"] == 1000 and plan["apiStages"] == [{"apiId": api["id"], "stage": "dev"}]
    for resource in gw.get_resources(restApiId=api["id"])["items"]:
        if "ANY" in (resource.get("resourceMethods") or {}):
            assert gw.get_method(restApiId=api["id"], resourceId=resource["id"], httpMethod="ANY")["apiKeyRequired"]
    stage = gw.get_stage(restApiId=api["id"], stageName="dev")
    assert stage["methodSettings"]["*/*"]["throttlingRateLimit"] == 10
    assert run(project).steps == []

    created = lz(front_env, "keys", "create", "dev", "mobile", "--project", str(project))
    assert created.returncode == 0, created.stderr
    value = created.stdout.strip().splitlines()[-1]
    keys = gw.get_api_keys(includeValues=True)["items"]
    assert [k["value"] for k in keys] == [value]
    assert gw.get_usage_plan_keys(usagePlanId=plan["id"])["items"][0]["id"] == keys[0]["id"]
    listed = lz(front_env, "keys", "list", "dev", "--project", str(project))
    assert "mobile" in listed.stdout and value not in listed.stdout
    status = lz(front_env, "status", "dev", "--project", str(project))
    assert "auth                 API keys (usage plan)" in status.stdout
    assert "throttle             10/s, burst 20" in status.stdout
    assert f"certificate          ISSUED {given}" in status.stdout
    assert "dns                  present: alias A/AAAA in example.com." in status.stdout
    revoked = lz(front_env, "keys", "revoke", "dev", "mobile", "--project", str(project))
    assert revoked.returncode == 0 and gw.get_api_keys()["items"] == []
    again = lz(front_env, "keys", "revoke", "dev", "mobile", "--project", str(project))
    assert again.returncode == 1 and "has no key named mobile (keys: none)" in again.stderr
    lz(front_env, "keys", "create", "dev", "ci", "--project", str(project))
    status = lz(front_env, "status", "dev", "--project", str(project))

    assert f"url                  https://{DOMAIN}/" in status.stdout  # the custom name answers

    run(project, auth=None)  # API keys removed: no plan, no keys, no key required
    assert gw.get_usage_plans()["items"] == [] and gw.get_api_keys()["items"] == []
    assert not any(gw.get_method(restApiId=api["id"], resourceId=r["id"], httpMethod="ANY")["apiKeyRequired"]
                   for r in gw.get_resources(restApiId=api["id"])["items"] if "ANY" in (r.get("resourceMethods") or {}))
    assert run(project).steps == []
    run(project, auth={"api_keys": {}})

    from lz.cli.aws import Aws
    from lz.cli.deploy.operations import undeploy
    from lz.cli.settings import load

    undeploy(Aws(REGION), load(project, "dev"), confirm=lambda steps: True)
    assert gw.get_domain_names()["items"] == [] and gw.get_usage_plans()["items"] == []
    assert gw.get_api_keys()["items"] == []
    assert acm.describe_certificate(CertificateArn=given)["Certificate"]["Status"] == "ISSUED"  # not lz's
    assert client("route53").get_hosted_zone(Id=zone_id)["HostedZone"]["Name"] == "example.com."
    assert set(records(zone_id)) == {("example.com.", "NS"), ("example.com.", "SOA")}


def test_without_a_zone_the_record_is_printed_and_the_next_deploy_resumes(front_env, project: Path, monkeypatch) -> None:
    from moto import settings as moto_settings

    monkeypatch.setattr(moto_settings, "ACM_VALIDATION_WAIT", 3600)  # not validated: nobody wrote the record
    settings(project, domain={"name": DOMAIN})
    env = {**front_env, "LZ_CERTIFICATE_WAIT": "0"}
    first = lz(env, "deploy", "dev", "--project", str(project))
    assert first.returncode == 0, first.stderr
    assert "create this DNS record" in first.stderr and "acm-validations.aws" in first.stderr
    assert "the stage is deployed without its domain" in first.stderr
    assert ".execute-api." in first.stdout  # the stage answers on its own address meanwhile
    assert client("apigatewayv2").get_domain_names()["Items"] == []
    status = lz(env, "status", "dev", "--project", str(project))
    assert "pending DNS validation" in status.stdout

    monkeypatch.setattr(moto_settings, "ACM_VALIDATION_WAIT", 0)  # the record was created meanwhile
    second = lz(env, "deploy", "dev", "--project", str(project))
    assert second.returncode == 0, second.stderr
    assert "create domain: api.example.com" in second.stderr.replace("  ", " ") or "domain" in second.stderr
    [domain] = client("apigatewayv2").get_domain_names()["Items"]
    target = domain["DomainNameConfigurations"][0]["ApiGatewayDomainName"]
    assert f"DNS record to create: {DOMAIN} CNAME {target}" in second.stderr
    status = lz(env, "status", "dev", "--project", str(project))
    assert f"DNS record to create: {DOMAIN} CNAME {target}" in status.stdout
    assert len(lz_certificates()) == 1


def test_a_given_certificate_in_the_wrong_region_or_for_another_name_is_refused(front_env, project: Path) -> None:
    """moto takes any certificate for any domain; AWS does not, and lz refuses before changing anything:
    - a regional custom domain: "This certificate must be in the same Region as your API" ("Set up a
      Regional custom domain name in API Gateway", API Gateway developer guide,
      https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-regional-api-custom-domain-create.html);
    - CloudFront: "you must request or import the certificate in the US East (N. Virginia) region"
      ("Supported Regions", ACM user guide, https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html).
    """
    elsewhere = client("acm", "eu-west-1").request_certificate(DomainName=DOMAIN, ValidationMethod="DNS")
    with pytest.raises(Exception, match="in eu-west-1, and a regional API Gateway domain takes a certificate "
                                        "from the API's own region, us-east-1"):
        run(project, domain={"name": DOMAIN, "certificate_arn": elsewhere["CertificateArn"]})
    other = client("acm").request_certificate(DomainName="www.example.org", ValidationMethod="DNS")
    client("acm").describe_certificate(CertificateArn=other["CertificateArn"])
    with pytest.raises(Exception, match=r"covers www.example.org, not api.example.com"):
        run(project, domain={"name": DOMAIN, "certificate_arn": other["CertificateArn"]})
    client("apigatewayv2").create_domain_name(DomainName=DOMAIN, DomainNameConfigurations=[
        {"CertificateArn": other["CertificateArn"], "EndpointType": "REGIONAL"}])  # someone else's
    with pytest.raises(Exception, match="API Gateway domain name api.example.com exists and lz did not make it"):
        run(project, domain={"name": DOMAIN})
    assert client("apigatewayv2").get_domain_name(DomainName=DOMAIN)["DomainName"] == DOMAIN  # left alone
    here = client("acm").request_certificate(DomainName=DOMAIN, ValidationMethod="DNS")
    with pytest.raises(Exception, match="CloudFront .* takes certificates from us-east-1 only"):
        run(project, http="function_url", domain={"name": DOMAIN, "certificate_arn":
                                                  elsewhere["CertificateArn"]})
    assert here["CertificateArn"].split(":")[3] == "us-east-1"


def test_a_new_domain_name_replaces_the_old_one_its_records_and_certificate(front_env, project: Path) -> None:
    zone_id = zone()
    run(project, domain={"name": DOMAIN})
    [old] = lz_certificates()
    moved = run(project, domain={"name": "www.example.com", "base_path": "api"})
    assert moved.url == "https://www.example.com/api/"
    v2 = client("apigatewayv2")
    assert [d["DomainName"] for d in v2.get_domain_names()["Items"]] == ["www.example.com"]
    assert v2.get_api_mappings(DomainName="www.example.com")["Items"][0]["ApiMappingKey"] == "api"
    names = {name for name, kind in records(zone_id) if kind in ("A", "AAAA")}
    assert names == {"www.example.com."}
    [new] = lz_certificates()
    assert new["DomainName"] == "www.example.com" and new["CertificateArn"] != old["CertificateArn"]
    cnames = {name for name, kind in records(zone_id) if kind == "CNAME"}
    assert cnames == {new["DomainValidationOptions"][0]["ResourceRecord"]["Name"]}  # the old one went too
    assert run(project).steps == []


def test_function_url_with_aws_iam_auth(front_env, project: Path) -> None:
    run(project, http="function_url", auth="aws_iam")
    assert client("lambda").get_function_url_config(FunctionName=NAME, Qualifier="live")["AuthType"] == "AWS_IAM"
    assert run(project).steps == []


def test_function_url_behind_cloudfront(front_env, project: Path) -> None:
    zone_id = zone()
    result = run(project, http="function_url", domain={"name": DOMAIN})
    cf = client("cloudfront")
    [item] = cf.list_distributions()["DistributionList"]["Items"]
    config = cf.get_distribution_config(Id=item["Id"])["DistributionConfig"]
    assert config["Aliases"]["Items"] == [DOMAIN]
    [cert] = lz_certificates("us-east-1")
    assert config["ViewerCertificate"]["ACMCertificateArn"] == cert["CertificateArn"]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    assert behaviour["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # all but Host
    assert set(behaviour["AllowedMethods"]["Items"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    origin = config["Origins"]["Items"][0]
    url = client("lambda").get_function_url_config(FunctionName=NAME, Qualifier="live")["FunctionUrl"]
    assert origin["DomainName"] == url.split("://")[1].strip("/")
    assert origin["CustomHeaders"]["Items"] == [{"HeaderName": "X-Forwarded-Host", "HeaderValue": DOMAIN}]
    alias = records(zone_id)[(f"{DOMAIN}.", "A")]["AliasTarget"]
    assert alias["DNSName"].rstrip(".") == item["DomainName"] and alias["HostedZoneId"] == "Z2FDTNDATAQYW2"
    assert result.url == f"https://{DOMAIN}/"
    assert run(project).steps == []
    run(project, domain=None)
    assert (cf.list_distributions()["DistributionList"].get("Items") or []) == []
    assert lz_certificates("us-east-1") == []
    assert set(records(zone_id)) == {("example.com.", "NS"), ("example.com.", "SOA")}

    run(project, domain={"name": DOMAIN})
    undone = lz(front_env, "undeploy", "dev", "--yes", "--project", str(project))
    assert undone.returncode == 0, undone.stderr
    assert f"deleted DNS records of {DOMAIN}: A, AAAA" in undone.stdout
    assert "deleted CloudFront distribution" in undone.stdout
    assert f"deleted certificate {DOMAIN} (lz requested it)" in undone.stdout
    assert (cf.list_distributions()["DistributionList"].get("Items") or []) == []
    assert lz_certificates("us-east-1") == [] and client("route53").get_hosted_zone(Id=zone_id)
    assert set(records(zone_id)) == {("example.com.", "NS"), ("example.com.", "SOA")}


FRONTS = {
    # route auth, throttle, certificate, domain, mapping, records
    "http_api": ({"domain": {"name": DOMAIN, "base_path": "v1"}, "auth": JWT,
                  "throttle": {"rate": 50, "burst": 100}}, 6),
    # stage throttle, usage plan, certificate, domain, mapping, records (a new REST API's methods
    # require the key from the start: no step of their own)
    "rest_api": ({"http": "rest_api", "domain": {"name": DOMAIN}, "auth": {"api_keys": {}},
                  "throttle": {"rate": 5, "burst": 10}}, 6),
    # certificate (us-east-1), distribution, records
    "function_url": ({"http": "function_url", "domain": {"name": DOMAIN}}, 3),
}


@pytest.mark.parametrize("front", list(FRONTS))
def test_a_deploy_interrupted_after_any_front_door_step_converges(front_env, project: Path, front: str) -> None:
    """The fault injection of test_deploy.py's convergence test over the front door's steps: a
    deploy stopped as the first of them starts, then deploys each stopped after one more step
    (tests/cli/interrupted.py), each planning exactly what was left; the last plans nothing."""
    from lz.cli.aws import Aws
    from lz.cli.bundle import build
    from lz.cli.deploy.operations import deploy
    from lz.cli.settings import load
    from tests.cli.interrupted import chain

    values, count = FRONTS[front]
    settings(project, **values)
    stage = load(project, "dev")
    bundle = build(stage)
    zone()
    full = deploy(Aws(REGION), stage, bundle.path, bundle.handler, dry_run=True, show_plan=lambda s: None)
    door = [i for i, s in enumerate(full.steps)
            if s.kind in ("access", "certificate", "domain", "distribution", "dns")]
    assert len(door) == count, [s.as_dict() for s in full.steps]
    links = chain(lambda **kw: deploy(Aws(REGION), stage, bundle.path, bundle.handler, dry_run=False, **kw),
                  stop_at=door[0])
    # independent steps started beside the stopped one finish in the same deploy (the front door's
    # kinds declare what they wait for): at least the chain certificate -> domain -> its mapping
    # (or distribution) -> records takes deploys of its own
    assert len(links) >= 3
    settled = deploy(Aws(REGION), stage, bundle.path, bundle.handler, dry_run=False, show_plan=lambda s: None)
    assert settled.steps == [] and settled.url == f"https://{DOMAIN}/" + ("v1/" if front == "http_api" else "")
    assert len(lz_certificates("us-east-1")) == 1


def test_lz_template_writes_the_front_door(tmp_path: Path) -> None:
    """`lz template` (the CloudFormation engine's model) writes domain/auth as resources, not a note
    leaving them to lz's engine (their values: tests/cli/test_template_frontdoor.py)."""
    pytest.importorskip("cfnlint")
    from tests.cli.cfn_support import project as cfn_project
    from tests.cli.cfn_support import render

    root = cfn_project(tmp_path, "example_flask", {"domain": {"name": DOMAIN}, "auth": JWT})
    rendered = render(root)
    assert not [n for n in rendered.notes if "front door" in n.what]
    resources = set(rendered.document["Resources"])
    assert {"HttpApiAuthorizer", "HttpApiDomain", "HttpApiMapping", "DomainRecords"} <= resources
