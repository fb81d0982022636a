"""The front door as a whole (issue 12): the URL a stage answers on, and what `lz deploy` and
`lz status` say about its domain, certificate, DNS record, auth and throttle."""

from __future__ import annotations

from ..aws import Aws
from ..settings_front import auth_mode
from .models import Desired
from .resources import certificate, dns, domain


def custom_url(aws: Aws, want: Desired) -> str | None:
    """https://NAME/BASE/ once the domain exists and lz's alias records point at it (with no zone
    lz cannot tell whether the record was created, so the front's own address stays the URL)."""
    if not want.domain or not want.http:
        return None
    target = domain.target(aws, want)
    zone = dns.zone_for(aws, want.domain["name"], want.domain.get("zone"))
    if target is None or zone is None or dns.pending(aws, want):
        return None
    base = (want.domain.get("base_path") or "").strip("/")
    return f"https://{want.domain['name']}/" + (f"{base}/" if base else "")


def lines(aws: Aws, want: Desired) -> list[tuple[str, str]]:
    """(label, value) rows for `lz status`."""
    rows = []
    if want.domain and want.http:
        name = want.domain["name"]
        arn = certificate.current(aws, want)
        cert = certificate.describe(aws, arn, certificate.region_for(want)) if arn else None
        rows.append(("domain", f"{name}" + (f" (base path /{want.domain['base_path'].strip('/')})"
                                            if want.domain.get("base_path") else "")))
        rows.append(("certificate", f"{cert['Status']} {arn}" if cert else "pending DNS validation"))
        target = domain.target(aws, want)
        zone = dns.zone_for(aws, name, want.domain.get("zone"))
        if target is None:
            rows.append(("dns", "none yet (the domain waits for its certificate)"))
        elif zone is None:
            rows.append(("dns", f"to create: {name} CNAME {target[0]}"))
        else:
            present = not dns.pending(aws, want)
            rows.append(("dns", f"{'present' if present else 'missing'}: alias A/AAAA in {zone['Name']}"))
    mode = auth_mode(want.auth)
    rows.append(("auth", {"jwt": "JWT authorizer on every route", "aws_iam": "AWS_IAM",
                          "api_keys": "API keys (usage plan)"}.get(mode or "", "none (anyone)")))
    if want.throttle:
        rows.append(("throttle", f"{want.throttle['rate']}/s, burst {want.throttle['burst']}"))
    return rows
