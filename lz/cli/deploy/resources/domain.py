"""The custom domain name in API Gateway (settings `domain`, http: http_api or rest_api): a
REGIONAL domain name with security policy TLS_1_2 and the stage's certificate, and the mapping of
`base_path` (or the root) to the stage: an API mapping to $default for an HTTP API (apigatewayv2),
a base path mapping to the stage for a REST API (apigateway). Tagged lz:project/lz:stage and
lz:front, so lz finds, changes and removes only domain names it made; a name that exists and is
not lz's is an error, never taken over. A Function URL's domain is a CloudFront distribution
(distribution.py); `target` answers for both.

A domain waits for its certificate: while it is pending the step says so and does nothing, and the
next deploy plans it again.
"""

from __future__ import annotations

from ...aws import TAG_PROJECT, TAG_STAGE, Aws, AwsError, not_found
from ..models import Desired
from ..steps import Step
from . import certificate, features, http_api, rest_api

KIND = "domain"
AFTER = ("record", "function", "http_api", "rest_api", "certificate")  # the API it maps, its cert
TAG_FRONT = "lz:front"
API_FRONTS = ("http_api", "rest_api")
ENDPOINT, SECURITY_POLICY = "REGIONAL", "TLS_1_2"  # what every domain lz makes is (the template too)


def http_configuration(cert) -> dict:
    """An HTTP API domain's DomainNameConfiguration (apigatewayv2 and CloudFormation alike)."""
    return {"CertificateArn": cert, "EndpointType": ENDPOINT, "SecurityPolicy": SECURITY_POLICY}


def base_path(want: Desired) -> str:
    """The domain's base path without slashes ("" for the root)."""
    return (want.domain.get("base_path") or "").strip("/")


_base = base_path


def _get(aws: Aws, name: str, front: str) -> dict | None:
    def fetch() -> dict | None:
        try:
            if front == "http_api":
                return aws.client("apigatewayv2").get_domain_name(DomainName=name)
            return aws.client("apigateway").get_domain_name(domainName=name)
        except Exception as exc:
            if not_found(exc):
                return None
            with aws.explain(f"reading API Gateway domain name {name}"):
                raise

    return aws.read(("domain", name, front), fetch)


def _tags(found: dict) -> dict:
    return found.get("Tags") or found.get("tags") or {}


def _is_ours(found: dict, project: str, stage: str) -> bool:
    tags = _tags(found)
    return tags.get(TAG_PROJECT) == project and tags.get(TAG_STAGE) == stage


def _cert_of(found: dict) -> str | None:
    configs = found.get("DomainNameConfigurations")
    return (configs or [{}])[0].get("CertificateArn") if configs is not None else found.get("regionalCertificateArn")


def ours(aws: Aws, project: str, stage: str) -> list[tuple[str, str, dict]]:
    """(name, front, domain) of every API Gateway domain name lz made for the stage (read once per
    command until a domain step changes one)."""
    return aws.read(("domain", "ours", project, stage), lambda: _ours(aws, project, stage))


def _ours(aws: Aws, project: str, stage: str) -> list[tuple[str, str, dict]]:
    found: dict[str, tuple[str, str, dict]] = {}
    with aws.explain("listing API Gateway domain names"):
        v1 = [d for page in aws.client("apigateway").get_paginator("get_domain_names").paginate()
              for d in page.get("items", [])]
        v2, token = [], None
        while True:
            page = aws.client("apigatewayv2").get_domain_names(**({"NextToken": token} if token else {}))
            v2 += page.get("Items", [])
            token = page.get("NextToken")
            if not token:
                break
    for item in v2:
        if _is_ours(item, project, stage):
            found[item["DomainName"]] = (item["DomainName"], _tags(item).get(TAG_FRONT, "http_api"), item)
    for item in v1:
        if _is_ours(item, project, stage) and item["domainName"] not in found:
            found[item["domainName"]] = (item["domainName"], _tags(item).get(TAG_FRONT, "rest_api"), item)
    return list(found.values())


def target_of(found: dict) -> tuple[str, str] | None:
    """(DNS name, hosted zone id) that alias records point at."""
    configs = found.get("DomainNameConfigurations")
    if configs is not None:
        config = configs[0] if configs else {}
        return (config["ApiGatewayDomainName"], config["HostedZoneId"]) \
            if config.get("ApiGatewayDomainName") and config.get("HostedZoneId") else None
    return (found["regionalDomainName"], found["regionalHostedZoneId"]) \
        if found.get("regionalDomainName") and found.get("regionalHostedZoneId") else None


def target(aws: Aws, want: Desired) -> tuple[str, str] | None:
    """Where the domain's records point now (None until the domain exists)."""
    from . import distribution

    if not want.domain or not want.http:
        return None
    if want.http == "function_url":
        return distribution.target(aws, want)
    found = _get(aws, want.domain["name"], want.http)
    return target_of(found) if found and _is_ours(found, want.project, want.stage) else None


def _wanted(want: Desired, name: str, front: str) -> bool:
    return bool(want.domain) and want.http in API_FRONTS and name == want.domain["name"] and front == want.http


def stale_targets(aws: Aws, want: Desired) -> list[tuple[str, tuple[str, str]]]:
    """(name, target) of lz's domains (API Gateway and CloudFront) that this deploy removes."""
    from . import distribution

    gone = [(name, target_of(found)) for name, front, found in ours(aws, want.project, want.stage)
            if not _wanted(want, name, front)]
    gone += distribution.stale_targets(aws, want)
    return [(name, t) for name, t in gone if t]


def all_targets(aws: Aws, project: str, stage: str) -> list[tuple[str, tuple[str, str]]]:
    from . import distribution

    found = [(name, target_of(item)) for name, _, item in ours(aws, project, stage)]
    found += distribution.all_targets(aws, project, stage)
    return [(name, t) for name, t in found if t]


def _mapping_action(aws: Aws, want: Desired) -> str | None:
    """None when the domain maps exactly its base path to this stage; else "create" when it has no
    mapping yet (a domain made by an interrupted deploy), "update" when it maps something else."""
    name, base = want.domain["name"], _base(want)
    if want.http == "http_api":
        api = http_api._find(aws, want.name, want.project, want.stage)
        items = aws.client("apigatewayv2").get_api_mappings(DomainName=name).get("Items", [])
        found = [(m.get("ApiMappingKey") or "", m["ApiId"], m["Stage"]) for m in items]
        wanted = [(base, api["ApiId"], "$default")] if api else None
    else:
        api = rest_api._find(aws, want.name, want.project, want.stage)
        items = aws.client("apigateway").get_base_path_mappings(domainName=name).get("items", [])
        found = [(m.get("basePath") if m.get("basePath") != "(none)" else "", m["restApiId"], m.get("stage"))
                 for m in items]
        wanted = [(base, api["id"], want.stage)] if api else None
    if found and found == wanted:
        return None
    return "update" if found else "create"


def plan(aws: Aws, want: Desired) -> list[Step]:
    if not features.needed(aws, want, "domain"):
        return []  # neither asked for nor deployed (features.py)
    steps = [Step(KIND, name, "delete", "not in the settings any more" if want.domain else "domain removed",
                  {"front": front, "project": want.project, "stage": want.stage})
             for name, front, _ in ours(aws, want.project, want.stage) if not _wanted(want, name, front)]
    if not want.domain or want.http not in API_FRONTS:
        return steps
    name = want.domain["name"]
    found = _get(aws, name, want.http)
    if found is not None and not _is_ours(found, want.project, want.stage):
        raise AwsError(f'API Gateway domain name {name} exists and lz did not make it for this stage: '
                       "delete it (or its other use) first, or pick another \"domain\".\"name\"")
    cert = certificate.current(aws, want)
    kind = "HTTP API mapping" if want.http == "http_api" else "REST base path mapping"
    where = f"/{_base(want)}" if _base(want) else "/"
    if found is None:
        steps.append(Step(KIND, name, "create", "regional domain name, TLS 1.2", {"part": "domain"}))
        steps.append(Step(KIND, name, "create", f"{kind}: {where} -> this stage", {"part": "mapping"}))
        return steps
    if cert and _cert_of(found) != cert:
        steps.append(Step(KIND, name, "update", "use the stage's certificate", {"part": "certificate"}))
    with aws.explain(f"reading the mappings of {name}"):
        action = _mapping_action(aws, want)
    if action:
        steps.append(Step(KIND, name, action, f"{kind}: {where} -> this stage", {"part": "mapping"}))
    return steps


def apply(aws: Aws, step: Step, want: Desired) -> None:
    name, part = want.domain["name"], step.detail["part"]
    aws.forget("domain")
    cert = certificate.current(aws, want)
    if cert is None:
        certificate.say(f"  domain {name}: waits for its certificate (the next lz deploy makes it)")
        return
    v2, v1 = aws.client("apigatewayv2"), aws.client("apigateway")
    tags = {**want.tags, TAG_FRONT: want.http}
    with aws.explain(f"{step.action} {part} of domain {name}"):
        if part == "domain" and _get(aws, name, want.http) is None:
            aws.forget("domain")
            if want.http == "http_api":
                v2.create_domain_name(DomainName=name, Tags=tags, DomainNameConfigurations=[http_configuration(cert)])
            else:
                v1.create_domain_name(domainName=name, regionalCertificateArn=cert, securityPolicy=SECURITY_POLICY,
                                      endpointConfiguration={"types": [ENDPOINT]}, tags=tags)
        elif part == "certificate":
            if want.http == "http_api":
                v2.update_domain_name(DomainName=name, DomainNameConfigurations=[http_configuration(cert)])
            else:
                v1.update_domain_name(domainName=name, patchOperations=[
                    {"op": "replace", "path": "/regionalCertificateArn", "value": cert}])
        elif part == "mapping":
            _map(aws, want, name)
        aws.forget("domain")


def _map(aws: Aws, want: Desired, name: str) -> None:
    """Make the domain's mappings exactly this stage's one (the domain is lz's, for this stage)."""
    if _get(aws, name, want.http) is None:
        return  # the domain step waited for its certificate
    base = _base(want)
    if want.http == "http_api":
        client, api = aws.client("apigatewayv2"), http_api._find(aws, want.name, want.project, want.stage)
        for mapping in client.get_api_mappings(DomainName=name).get("Items", []):
            client.delete_api_mapping(ApiMappingId=mapping["ApiMappingId"], DomainName=name)
        client.create_api_mapping(ApiId=api["ApiId"], DomainName=name, Stage="$default",
                                  **({"ApiMappingKey": base} if base else {}))
        return
    client, api = aws.client("apigateway"), rest_api._find(aws, want.name, want.project, want.stage)
    for mapping in client.get_base_path_mappings(domainName=name).get("items", []):
        client.delete_base_path_mapping(domainName=name, basePath=mapping.get("basePath") or "(none)")
    client.create_base_path_mapping(domainName=name, restApiId=api["id"], stage=want.stage,
                                    **({"basePath": base} if base else {}))


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    return [Step(KIND, name, "delete", "undeploy", {"front": front, "project": project, "stage": stage})
            for name, front, _ in ours(aws, project, stage)]


def delete(aws: Aws, step: Step) -> str | None:
    """The domain name (its mappings go with it), if it is still lz's for this stage."""
    name, front = step.name, step.detail["front"]
    aws.forget("domain")
    found = _get(aws, name, front)
    if found is None or not _is_ours(found, step.detail["project"], step.detail["stage"]):
        return None
    with aws.explain(f"deleting domain name {name}"):
        if front == "http_api":
            aws.client("apigatewayv2").delete_domain_name(DomainName=name)
        else:
            aws.client("apigateway").delete_domain_name(domainName=name)
    aws.forget("domain")
    return f"deleted domain name {name} and its mapping"
