"""The front door in a template (settings `domain`; issue 12's deploy/resources/certificate.py,
domain.py, distribution.py, dns.py): the certificate, the custom domain and its mapping, CloudFront
for a Function URL, and the alias records, with the values lz's engine uses (its functions and
constants, not a second copy of them). `auth` and `throttle` are properties of the API (front.py).

What a template does differently, and says in its notes:
- the hosted zone is a parameter (HostedZoneId; settings `domain.zone` its default): a template
  cannot look a zone up by name as lz's engine does (`lz deploy --engine cloudformation` does, and
  passes it). With a zone, the certificate's DNS validation record and the alias A/AAAA records are
  written by CloudFormation; without one, both are yours to create (the stack waits for the
  certificate, its events show the validation record; the output DomainTarget is where to point).
- a certificate is requested by the stack (AWS::CertificateManager::Certificate, DNS validation)
  unless settings give `certificate_arn`; lz's engine also reuses an ISSUED certificate it finds.
  With HostedZoneId "ACM adds your CNAME to the domain record", and the zone is written Z...
  without the /hostedzone/ prefix ListHostedZones returns ("AWS::CertificateManager::Certificate
  DomainValidationOption", CloudFormation template reference, https://docs.aws.amazon.com/
  AWSCloudFormation/latest/UserGuide/aws-properties-certificatemanager-certificate-domainvalidationoption.html).
- CloudFront takes certificates from us-east-1 only ("Supported Regions", ACM user guide,
  https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html), and a stack creates resources
  in its own region: the distribution's certificate is the parameter CloudFrontCertificateArn
  (settings `certificate_arn` its default; `lz deploy --engine cloudformation` passes the ISSUED one
  covering the name it finds in us-east-1).
The custom URL is the output CustomUrl.
"""

from __future__ import annotations

from ..deploy.resources import certificate, distribution, dns, domain
from .base import Template, att, ref, tag_list

KIND = "frontdoor"
ZONE = "HostedZoneId"
HAS_ZONE = "HasHostedZone"
CLOUDFRONT_CERTIFICATE = "CloudFrontCertificateArn"
CERT_PATTERN = r"^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/.+$"
NO_VALUE = {"Ref": "AWS::NoValue"}


def emit(t: Template) -> None:
    want = t.want
    if not want.domain or not want.http:
        return
    name = want.domain["name"]
    zone = _zone(t)
    if want.http == "function_url":
        target = _distribution(t, _cloudfront_certificate(t))
    else:
        target = (_http_domain if want.http == "http_api" else _rest_domain)(t, _certificate(t, zone))
    t.add("DomainRecords", "AWS::Route53::RecordSetGroup", {
        "HostedZoneId": zone, "Comment": f"lz: {want.project} {want.stage} {name}",
        "RecordSets": dns._alias_sets(name, target)}, Condition=HAS_ZONE)
    base = domain.base_path(want)
    t.output("CustomUrl", f"https://{name}/" + (f"{base}/" if base else ""), "The stage's custom URL")
    t.output("DomainTarget", target[0], f"Where {name} points (alias A/AAAA, or a CNAME)")
    if not (want.domain.get("zone") or "").strip():
        t.note(f"DNS of {name}", f"the template cannot find the hosted zone by name: give it as the parameter "
                                 f"{ZONE} (`lz deploy --engine cloudformation` finds and passes it), or create "
                                 f"the certificate's validation CNAME (in the stack's events) and {name} CNAME "
                                 "to the output DomainTarget yourself")


def _zone(t: Template) -> dict:
    given = (t.want.domain.get("zone") or "").split("/")[-1]
    t.conditions[HAS_ZONE] = {"Fn::Not": [{"Fn::Equals": [ref(ZONE), ""]}]}
    return t.parameter(ZONE, "String", given, "The Route 53 public hosted zone holding the domain's name "
                       "(settings domain.zone); empty: no DNS records, create them yourself",
                       AllowedPattern="^(Z[A-Z0-9]{1,31})?$")


def _certificate(t: Template, zone: dict) -> dict | str:
    """The regional API domain's certificate: settings `certificate_arn`, or one the stack requests
    with DNS validation (its record written in the zone when there is one)."""
    want = t.want
    given = want.domain.get("certificate_arn")
    if given:
        return given
    name = want.domain["name"]
    t.add("Certificate", "AWS::CertificateManager::Certificate", {
        "DomainName": name, "ValidationMethod": "DNS",
        "DomainValidationOptions": {"Fn::If": [HAS_ZONE, [{"DomainName": name, "HostedZoneId": zone}], NO_VALUE]},
        "Tags": tag_list(want.tags)})
    return ref("Certificate")


def _cloudfront_certificate(t: Template) -> dict:
    want = t.want
    t.note(f"certificate of {want.domain['name']} (CloudFront)",
           f"CloudFront takes it from {certificate.CLOUDFRONT_REGION} only and a stack creates resources in its "
           f"own region: give an ISSUED certificate covering the name as the parameter {CLOUDFRONT_CERTIFICATE} "
           "(settings domain.certificate_arn is its default; `lz deploy --engine cloudformation` passes the one "
           "it finds there; lz's own engine requests one)")
    value = t.parameter(CLOUDFRONT_CERTIFICATE, "String", want.domain.get("certificate_arn"),
                        f"An ISSUED ACM certificate in {certificate.CLOUDFRONT_REGION} covering "
                        f"{want.domain['name']} (CloudFront's)", AllowedPattern=CERT_PATTERN,
                        ConstraintDescription="an ACM certificate ARN in us-east-1")
    if not want.domain.get("certificate_arn"):  # no default: the stack asks for it
        del t.parameters[CLOUDFRONT_CERTIFICATE]["Default"]
    return value


def _http_domain(t: Template, cert) -> tuple:
    want = t.want
    t.add("HttpApiDomain", "AWS::ApiGatewayV2::DomainName", {
        "DomainName": want.domain["name"], "DomainNameConfigurations": [domain.http_configuration(cert)],
        "Tags": {**want.tags, domain.TAG_FRONT: "http_api"}})
    base = domain.base_path(want)
    t.add("HttpApiMapping", "AWS::ApiGatewayV2::ApiMapping", {
        "ApiId": ref("HttpApi"), "DomainName": ref("HttpApiDomain"), "Stage": "$default",
        **({"ApiMappingKey": base} if base else {})}, DependsOn=["HttpApiStage"])
    return att("HttpApiDomain", "RegionalDomainName"), att("HttpApiDomain", "RegionalHostedZoneId")


def _rest_domain(t: Template, cert) -> tuple:
    want = t.want
    t.add("RestApiDomain", "AWS::ApiGateway::DomainName", {
        "DomainName": want.domain["name"], "RegionalCertificateArn": cert,
        "SecurityPolicy": domain.SECURITY_POLICY, "EndpointConfiguration": {"Types": [domain.ENDPOINT]},
        "Tags": tag_list({**want.tags, domain.TAG_FRONT: "rest_api"})})
    base = domain.base_path(want)
    deployment = next(k for k, r in t.resources.items() if r["Type"] == "AWS::ApiGateway::Deployment")
    t.add("RestApiMapping", "AWS::ApiGateway::BasePathMapping", {
        "DomainName": ref("RestApiDomain"), "RestApiId": ref("RestApi"), "Stage": want.stage,
        **({"BasePath": base} if base else {})}, DependsOn=[deployment])
    return att("RestApiDomain", "RegionalDomainName"), att("RestApiDomain", "RegionalHostedZoneId")


def _distribution(t: Template, cert: dict) -> tuple:
    """distribution._config (CloudFront's API shape) in CloudFormation's shape; the origin is the
    Function URL's host name."""
    want = t.want
    origin = {"Fn::Select": [2, {"Fn::Split": ["/", att("FunctionUrl", "FunctionUrl")]}]}
    api = distribution._config(want, origin, cert, "")
    t.add("Distribution", "AWS::CloudFront::Distribution", {
        "DistributionConfig": cloudformation_shape(api), "Tags": tag_list(want.tags)})
    return att("Distribution", "DomainName"), distribution.ZONE


def cloudformation_shape(api: dict) -> dict:
    """A DistributionConfig as CloudFront's API takes it (Quantity/Items lists) as CloudFormation's
    AWS::CloudFront::Distribution takes it (plain lists, other names), nothing added or dropped."""
    (origin,) = api["Origins"]["Items"]
    custom, behavior, viewer = origin["CustomOriginConfig"], api["DefaultCacheBehavior"], api["ViewerCertificate"]
    return {
        "Comment": api["Comment"], "Enabled": api["Enabled"], "Aliases": api["Aliases"]["Items"],
        "Origins": [{
            "Id": origin["Id"], "DomainName": origin["DomainName"],
            **({"OriginPath": origin["OriginPath"]} if origin["OriginPath"] else {}),
            "OriginCustomHeaders": origin["CustomHeaders"]["Items"],
            "CustomOriginConfig": {
                "HTTPPort": custom["HTTPPort"], "HTTPSPort": custom["HTTPSPort"],
                "OriginProtocolPolicy": custom["OriginProtocolPolicy"],
                "OriginSSLProtocols": custom["OriginSslProtocols"]["Items"],
                "OriginReadTimeout": custom["OriginReadTimeout"],
                "OriginKeepaliveTimeout": custom["OriginKeepaliveTimeout"]}}],
        "DefaultCacheBehavior": {
            "TargetOriginId": behavior["TargetOriginId"], "ViewerProtocolPolicy": behavior["ViewerProtocolPolicy"],
            "CachePolicyId": behavior["CachePolicyId"], "OriginRequestPolicyId": behavior["OriginRequestPolicyId"],
            "AllowedMethods": behavior["AllowedMethods"]["Items"],
            "CachedMethods": behavior["AllowedMethods"]["CachedMethods"]["Items"], "Compress": behavior["Compress"]},
        "ViewerCertificate": {"AcmCertificateArn": viewer["ACMCertificateArn"],
                              "SslSupportMethod": viewer["SSLSupportMethod"],
                              "MinimumProtocolVersion": viewer["MinimumProtocolVersion"]},
        "HttpVersion": api["HttpVersion"], "IPV6Enabled": api["IsIPV6Enabled"], "PriceClass": api["PriceClass"]}
