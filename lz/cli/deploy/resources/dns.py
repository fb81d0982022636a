"""Route 53 records of the custom domain: alias A and AAAA to the front's domain target, in the
public hosted zone that owns the name (settings `domain.zone`, or the longest zone name the domain
ends with). Without such a zone lz writes nothing and says which record to create (deploy and
`lz status`). Records are found again by what they point at (the target of a domain lz made), so
lz removes only records that alias its own domains, never the zone or anything else in it.

Runs after the domains: on a removal, the records' deletion steps carry the exact record sets read
at plan time (Route 53 deletes only an exact match), and the certificates the domain no longer
needs are deleted after it (certificate.stale).
"""

from __future__ import annotations

from ...aws import Aws, error_code
from ..models import Desired
from ..steps import Step
from . import certificate, domain, features

KIND = "dns"
AFTER = ("record", "function", "domain", "distribution")  # targets; old certificates once unused
TYPES = ("A", "AAAA")


def _fqdn(name: str) -> str:
    return name.rstrip(".").lower() + "."


def zone_for(aws: Aws, name: str, zone_id: str | None) -> dict | None:
    """The public hosted zone for `name`: the given id, or the one whose name is the longest suffix."""
    def zones() -> list[dict]:
        client = aws.client("route53")
        with aws.explain("listing Route 53 hosted zones"):
            return [z for page in client.get_paginator("list_hosted_zones").paginate()
                    for z in page.get("HostedZones", []) if not (z.get("Config") or {}).get("PrivateZone")]

    found = aws.read(("route53-zones",), zones)
    fqdn = _fqdn(name)
    if zone_id:
        zone_id = zone_id.split("/")[-1]
        for zone in found:
            if zone["Id"].split("/")[-1] == zone_id:
                if not (fqdn == zone["Name"] or fqdn.endswith("." + zone["Name"])):
                    from ...aws import AwsError
                    raise AwsError(f'"domain"."zone" {zone_id} is {zone["Name"]}, which does not hold {name}: '
                                   "give the zone of the name, or drop zone and lz finds it")
                return zone
        from ...aws import AwsError
        raise AwsError(f'"domain"."zone" {zone_id} is not a public hosted zone of this account: check the id')
    owning = [z for z in found if fqdn == z["Name"] or fqdn.endswith("." + z["Name"])]
    return max(owning, key=lambda z: len(z["Name"])) if owning else None


def records(aws: Aws, zone: dict, name: str) -> list[dict]:
    """The record sets named `name` in the zone."""
    client = aws.client("route53")
    with aws.explain(f"reading Route 53 records of {name}"):
        page = client.list_resource_record_sets(HostedZoneId=zone["Id"], StartRecordName=_fqdn(name),
                                                MaxItems="10")
    return [r for r in page.get("ResourceRecordSets", []) if r["Name"].lower() == _fqdn(name)]


def _aliases(found: list[dict], target: tuple[str, str]) -> list[dict]:
    dns_name = _fqdn(target[0])
    return [r for r in found if r["Type"] in TYPES and
            _fqdn((r.get("AliasTarget") or {}).get("DNSName", "")) == dns_name]


def _change(aws: Aws, zone: dict, changes: list[dict], what: str) -> None:
    if not changes:
        return
    with aws.explain(what):
        try:
            aws.client("route53").change_resource_record_sets(HostedZoneId=zone["Id"],
                                                              ChangeBatch={"Changes": changes})
        except Exception as exc:
            if error_code(exc) == "InvalidChangeBatch" and all(c["Action"] == "DELETE" for c in changes):
                return  # already gone
            raise


def upsert_validation(aws: Aws, zone: dict, record: dict) -> None:
    _change(aws, zone, [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": record["Name"], "Type": record["Type"], "TTL": 300,
        "ResourceRecords": [{"Value": record["Value"]}]}}], f"writing the validation record {record['Name']}")


def delete_validation(aws: Aws, zone: dict, record: dict) -> None:
    for found in records(aws, zone, record["Name"]):
        if found["Type"] == record["Type"] and [v["Value"] for v in found.get("ResourceRecords", [])] == [record["Value"]]:
            _change(aws, zone, [{"Action": "DELETE", "ResourceRecordSet": found}],
                    f"deleting the validation record {record['Name']}")


def _alias_sets(name: str, target: tuple) -> list[dict]:
    """Alias A and AAAA to `target` (a template passes its DNS name and zone as intrinsics)."""
    dns_name = _fqdn(target[0]) if isinstance(target[0], str) else target[0]
    return [{"Name": _fqdn(name), "Type": kind, "AliasTarget": {
        "HostedZoneId": target[1], "DNSName": dns_name, "EvaluateTargetHealth": False}} for kind in TYPES]


def plan(aws: Aws, want: Desired) -> list[Step]:
    if not features.needed(aws, want, "domain"):
        return []  # neither asked for nor deployed (features.py)
    steps = _stale_records(aws, want)
    if want.domain and want.http:
        name = want.domain["name"]
        zone = zone_for(aws, name, want.domain.get("zone"))
        target = domain.target(aws, want)
        if zone and (target is None or len(_aliases(records(aws, zone, name), target)) < len(TYPES)):
            steps.append(Step(KIND, name, "create", f"alias A and AAAA in zone {zone['Name']} to the domain",
                              {"zone": zone["Id"]}))
    return steps + certificate.stale(aws, want)


def _stale_records(aws: Aws, want: Desired | None, project: str = "", stage: str = "") -> list[Step]:
    """Delete steps for the alias records of lz's domains that go (all of them on undeploy)."""
    steps = []
    gone = domain.stale_targets(aws, want) if want else domain.all_targets(aws, project, stage)
    for name, target in gone:
        zone = zone_for(aws, name, None)
        if zone is None:
            continue
        found = _aliases(records(aws, zone, name), target)
        if found:
            steps.append(Step(KIND, name, "delete", "its domain goes" if want else "undeploy",
                              {"zone": zone["Id"], "records": found}))
    return steps


def apply(aws: Aws, step: Step, want: Desired) -> None:
    name = want.domain["name"]
    target = domain.target(aws, want)
    if target is None:
        certificate.say(f"  dns {name}: no record yet (the domain waits for its certificate)")
        return
    zone = {"Id": step.detail["zone"]}
    _change(aws, zone, [{"Action": "UPSERT", "ResourceRecordSet": s} for s in _alias_sets(name, target)],
            f"writing alias records for {name}")


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    return _stale_records(aws, None, project, stage)


def delete(aws: Aws, step: Step) -> str:
    _change(aws, {"Id": step.detail["zone"]}, [{"Action": "DELETE", "ResourceRecordSet": r}
                                                for r in step.detail["records"]],
            f"deleting alias records of {step.name}")
    return f"deleted DNS records of {step.name}: " + ", ".join(r["Type"] for r in step.detail["records"])


def pending(aws: Aws, want: Desired) -> list[str]:
    """What the person deploying must do by hand, or wait for (deploy's end, `lz status`)."""
    if not want.domain or not want.http:
        return []
    name, lines = want.domain["name"], []
    if certificate.current(aws, want) is None:
        lines.append(f"certificate for {name}: pending DNS validation (lz deploy waits again)")
    zone = zone_for(aws, name, want.domain.get("zone"))
    target = domain.target(aws, want)
    if target and zone is None:
        lines.append(f"DNS record to create: {name} CNAME {target[0]} (or an alias A/AAAA to it; "
                     "no Route 53 zone of this account holds the name)")
    elif target and zone and len(_aliases(records(aws, zone, name), target)) < len(TYPES):
        lines.append(f"DNS record {name}: missing in zone {zone['Name']} (lz deploy writes it)")
    return lines
