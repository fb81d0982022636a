"""`lz template` with the front door (settings `domain`, `auth`, `throttle`) and the static files'
bucket: every variant passes cfn-lint in both formats, and the resources hold what lz's engine
sets, taken from its functions (access.py, domain.py, distribution.py, dns.py, static_bucket.py).

CloudFormation types asserted here against the model, as moto's CloudFormation cannot create them
(test_stack_frontdoor.py deploys the static bucket through it; test_template_parity.py
compares the REST methods' ApiKeyRequired): AWS::ApiGatewayV2::Authorizer,
AWS::ApiGatewayV2::DomainName, AWS::ApiGatewayV2::ApiMapping, AWS::ApiGateway::DomainName,
AWS::ApiGateway::BasePathMapping, AWS::ApiGateway::UsagePlan, AWS::CertificateManager::Certificate,
AWS::CloudFront::Distribution, AWS::Route53::RecordSetGroup (alias targets are attributes moto's
domain names do not return)."""

from __future__ import annotations

import pytest

from tests.cli.cfn_support import ACCOUNT, REGION, lint, model, of_type, project, render, resolve

pytest.importorskip("cfnlint")

JWT = {"jwt": {"issuer": "https://issuer.example.com/", "audience": ["app", "api"]}}
ZONE = "Z0123456789ABCDEFGHIJ"
CERT = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0f0e0d0c-1111-2222-3333-444455556666"
CF_CERT = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0f0e0d0c-1111-2222-3333-444455556666"
STATIC = {".lz/static/dev/app.css": "body { color: red }\n"}
VARIANTS = {
    "http_jwt_throttle_domain": ({"auth": JWT, "throttle": {"rate": 50, "burst": 100},
                                  "domain": {"name": "api.example.com", "base_path": "v1", "zone": ZONE}}, {}),
    "http_iam_domain_given_cert": ({"auth": "aws_iam", "domain": {"name": "api.example.com",
                                                                  "certificate_arn": CERT}}, {}),
    "rest_keys_throttle_domain": ({"http": "rest_api",
                                   "auth": {"api_keys": {"quota": {"limit": 1000, "period": "DAY"}}},
                                   "throttle": {"rate": 20, "burst": 40},
                                   "domain": {"name": "api.example.com", "zone": f"/hostedzone/{ZONE}"}}, {}),
    "url_domain": ({"http": "function_url", "domain": {"name": "www.example.com", "certificate_arn": CF_CERT}}, {}),
    "url_domain_no_cert": ({"http": "function_url", "domain": {"name": "www.example.com"}}, {}),
    "url_iam": ({"http": "function_url", "auth": "aws_iam"}, {}),
    "static_lz_named": ({"static": {"bucket": None}}, STATIC),
    "all_together": ({"static": {"bucket": "my-static-files"}, "auth": JWT, "throttle": {"rate": 5, "burst": 10},
                      "domain": {"name": "api.example.com", "zone": ZONE},
                      "secrets": {"DB": "ssm:/proj/db", "KEY": "secretsmanager:proj/stripe#api_key"},
                      "alarms": {"error_rate": "2%", "p99_ms": 900, "notify": "ops@example.com"},
                      "deploy": {"canary": "10%", "for": "5m"}}, STATIC),
}


def _root(tmp_path, name):
    changes, files = VARIANTS[name]
    return project(tmp_path, "example_flask", changes, files)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["cloudformation", "sam"])
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_front_door_variant_passes_cfn_lint(tmp_path, name: str, fmt: str) -> None:
    rendered = render(_root(tmp_path, name), fmt=fmt, local=fmt == "sam")
    assert lint(rendered.document) == []
    assert not [n for n in rendered.notes if "left to lz's engine" in n.how or "not in this template" in n.what]


def test_http_api_jwt_throttle_and_domain_hold_the_engines_values(tmp_path) -> None:
    from lz.cli.deploy.resources import access, dns, domain

    root = _root(tmp_path, "http_jwt_throttle_domain")
    want = model(root, real=True)
    rendered = render(root)
    document = resolve(rendered.document)
    r = document["Resources"]
    assert r["HttpApiAuthorizer"]["Properties"] == {
        "ApiId": {"Ref": "HttpApi"}, "AuthorizerType": "JWT", "Name": access.AUTHORIZER,
        "IdentitySource": ["$request.header.Authorization"], "JwtConfiguration": access._jwt(want)}
    assert access._jwt(want) == {"Issuer": "https://issuer.example.com/", "Audience": ["api", "app"]}
    route = r["HttpApiRoute"]["Properties"]
    assert (route["AuthorizationType"], route["AuthorizerId"]) == ("JWT", {"Ref": "HttpApiAuthorizer"})
    assert r["HttpApiStage"]["Properties"]["DefaultRouteSettings"] == {"ThrottlingRateLimit": 50.0,
                                                                       "ThrottlingBurstLimit": 100}
    assert r["HttpApiDomain"]["Properties"]["DomainNameConfigurations"] == [
        {"CertificateArn": {"Ref": "Certificate"}, "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}]
    assert r["HttpApiDomain"]["Properties"]["Tags"] == {**want.tags, domain.TAG_FRONT: "http_api"}
    assert r["HttpApiMapping"]["Properties"] == {"ApiId": {"Ref": "HttpApi"}, "DomainName": {"Ref": "HttpApiDomain"},
                                                 "Stage": "$default", "ApiMappingKey": "v1"}
    cert = r["Certificate"]["Properties"]
    assert (cert["DomainName"], cert["ValidationMethod"]) == ("api.example.com", "DNS")
    assert cert["DomainValidationOptions"]["Fn::If"][1] == [{"DomainName": "api.example.com",
                                                             "HostedZoneId": {"Ref": "HostedZoneId"}}]
    assert document["Parameters"]["HostedZoneId"]["Default"] == ZONE
    records = r["DomainRecords"]
    assert records["Condition"] == "HasHostedZone"
    target = ({"Fn::GetAtt": ["HttpApiDomain", "RegionalDomainName"]},
              {"Fn::GetAtt": ["HttpApiDomain", "RegionalHostedZoneId"]})
    assert records["Properties"]["RecordSets"] == dns._alias_sets("api.example.com", target)
    assert [s["Type"] for s in records["Properties"]["RecordSets"]] == ["A", "AAAA"]
    assert document["Outputs"]["CustomUrl"]["Value"] == "https://api.example.com/v1/"
    assert not rendered.notes or all("DNS of" not in n.what for n in rendered.notes)  # the zone is known


def test_given_certificate_and_no_zone_say_what_is_left_to_do(tmp_path) -> None:
    root = _root(tmp_path, "http_iam_domain_given_cert")
    rendered = render(root)
    r = rendered.document["Resources"]
    assert "Certificate" not in r
    assert r["HttpApiDomain"]["Properties"]["DomainNameConfigurations"][0]["CertificateArn"] == CERT
    assert r["HttpApiRoute"]["Properties"]["AuthorizationType"] == "AWS_IAM"
    assert "HttpApiAuthorizer" not in r and "DefaultRouteSettings" not in r["HttpApiStage"]["Properties"]
    assert rendered.document["Parameters"]["HostedZoneId"]["Default"] == ""
    (note,) = [n for n in rendered.notes if n.what == "DNS of api.example.com"]
    assert "HostedZoneId" in note.how and "DomainTarget" in note.how


def test_rest_api_keys_usage_plan_throttle_and_domain(tmp_path) -> None:
    from lz.cli.deploy.resources import access, rest_api

    root = _root(tmp_path, "rest_keys_throttle_domain")
    want = model(root, real=True)
    rendered = render(root)
    r = resolve(rendered.document)["Resources"]
    for method in ("RestApiRootMethod", "RestApiProxyMethod"):
        assert r[method]["Properties"]["ApiKeyRequired"] is rest_api._key_required(want) is True
    (deployment,) = [k for k, v in r.items() if v["Type"] == "AWS::ApiGateway::Deployment"]
    assert r[deployment]["Properties"]["StageDescription"]["MethodSettings"] == [
        {"HttpMethod": "*", "ResourcePath": "/*", "ThrottlingRateLimit": 20.0, "ThrottlingBurstLimit": 40}]
    plan = r["UsagePlan"]
    assert plan["DependsOn"] == [deployment]
    quota = access._quota(want)
    assert plan["Properties"]["Quota"] == {"Limit": quota["limit"], "Period": quota["period"], "Offset": 0}
    assert plan["Properties"]["Throttle"] == {"RateLimit": 20.0, "BurstLimit": 40}
    assert plan["Properties"]["ApiStages"] == [{"ApiId": {"Ref": "RestApi"}, "Stage": "dev"}]
    assert {t["Key"]: t["Value"] for t in plan["Properties"]["Tags"]} == want.tags  # lz keys finds it so
    assert r["RestApiDomain"]["Properties"]["SecurityPolicy"] == "TLS_1_2"
    assert r["RestApiDomain"]["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert r["RestApiDomain"]["Properties"]["RegionalCertificateArn"] == {"Ref": "Certificate"}
    assert r["RestApiMapping"]["Properties"] == {"DomainName": {"Ref": "RestApiDomain"},
                                                 "RestApiId": {"Ref": "RestApi"}, "Stage": "dev"}
    # settings gave /hostedzone/Z...; CloudFormation takes Z... only ("AWS::CertificateManager::Certificate
    # DomainValidationOption", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/
    # aws-properties-certificatemanager-certificate-domainvalidationoption.html)
    assert rendered.document["Parameters"]["HostedZoneId"]["Default"] == ZONE
    assert any(n.what == "API keys" and "lz keys create" in n.how for n in rendered.notes)
    # without keys or throttle the deployment differs (a new one is made when they change)
    plain = render(project(tmp_path / "plain", "example_flask", {"http": "rest_api"})).document["Resources"]
    assert deployment not in plain and "UsagePlan" not in plain


def test_function_url_domain_is_cloudfront_as_lz_makes_it(tmp_path) -> None:
    from lz.cli.deploy.resources import distribution

    root = _root(tmp_path, "url_domain")
    rendered = render(root)
    document = resolve(rendered.document)
    config = document["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    behavior = config["DefaultCacheBehavior"]
    assert behavior["CachePolicyId"] == distribution.CACHING_DISABLED == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    assert behavior["OriginRequestPolicyId"] == distribution.ALL_VIEWER_EXCEPT_HOST
    assert behavior["AllowedMethods"] == distribution.METHODS
    (origin,) = config["Origins"]
    assert origin["OriginCustomHeaders"] == [{"HeaderName": "X-Forwarded-Host", "HeaderValue": "www.example.com"}]
    url = {"Fn::GetAtt": ["FunctionUrl", "FunctionUrl"]}
    assert origin["DomainName"] == {"Fn::Select": [2, {"Fn::Split": ["/", url]}]}  # the URL's host
    assert config["Aliases"] == ["www.example.com"]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == {"Ref": "CloudFrontCertificateArn"}
    assert document["Parameters"]["CloudFrontCertificateArn"]["Default"] == CF_CERT
    # the same configuration lz's engine sends CloudFront, in CloudFormation's shape
    api = distribution._config(model(root, real=True), "x.lambda-url.us-east-1.on.aws", CF_CERT, "ref")
    assert config["Comment"] == api["Comment"] and config["ViewerCertificate"]["MinimumProtocolVersion"] == \
        api["ViewerCertificate"]["MinimumProtocolVersion"]
    records = document["Resources"]["DomainRecords"]["Properties"]["RecordSets"]
    assert {s["AliasTarget"]["HostedZoneId"] for s in records} == {distribution.ZONE}
    assert any("us-east-1" in n.how and "CloudFrontCertificateArn" in n.how for n in rendered.notes)
    env = document["Resources"]["Function"]["Properties"]["Environment"]["Variables"]
    assert env == model(root, real=True).function_environment  # the adapter trusts X-Forwarded-Host


def test_function_url_iam_is_its_auth_type_without_public_statements(tmp_path) -> None:
    r = render(_root(tmp_path, "url_iam")).document["Resources"]
    assert r["FunctionUrl"]["Properties"]["AuthType"] == "AWS_IAM"
    assert "FunctionUrlPublic" not in r and "FunctionUrlPublicInvoke" not in r


def test_static_bucket_is_lz_engines_bucket_and_policy(tmp_path) -> None:
    from lz.cli.deploy.resources import static_bucket

    root = _root(tmp_path, "static_lz_named")
    want = model(root, real=True)
    rendered = render(root)
    document = resolve(rendered.document)
    bucket = document["Resources"]["StaticBucket"]
    assert bucket["Properties"]["BucketName"] == want.static_bucket == \
        static_bucket.bucket_name("example-flask", "dev", ACCOUNT, REGION)
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == static_bucket.BLOCK
    assert "DeletionPolicy" not in bucket  # lz named it: it goes with the stage
    policy = document["Resources"]["StaticBucketPolicy"]["Properties"]["PolicyDocument"]
    assert policy["Statement"] == [static_bucket.statement(want.static_bucket)]
    assert document["Outputs"]["StaticUrl"]["Value"] == want.static_url
    assert any("aws s3 sync" in n.how and "--engine cloudformation" in n.how for n in rendered.notes)


def test_everything_together_keeps_secrets_alarms_and_a_named_bucket(tmp_path) -> None:
    rendered = render(_root(tmp_path, "all_together"))
    document = resolve(rendered.document)
    r = document["Resources"]
    assert r["StaticBucket"]["DeletionPolicy"] == "Retain"  # the settings named it: kept, as lz keeps it
    assert len(of_type(document, "AWS::CloudWatch::Alarm")) == 2
    statements = {s["Sid"] for s in r["Role"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]}
    assert {"ReadParameters", "ReadSecrets"} <= statements
    assert {"secrets", "deploy.canary"} <= {n.what for n in rendered.notes}
    assert {"HttpApiAuthorizer", "HttpApiDomain", "DomainRecords", "Certificate"} <= set(r)
