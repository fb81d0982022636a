"""The front door (settings `domain`, `auth`, `throttle`; deploy/resources/access.py, certificate.py,
domain.py, distribution.py, dns.py) is not written into templates yet: a certificate that must be
validated through DNS before the domain can use it, a zone found by name, and a distribution whose
certificate lives in us-east-1 need lz's engine, which waits and resumes. The template says so."""

from __future__ import annotations

from .base import Template

KIND = "frontdoor"


def emit(t: Template) -> None:
    want = t.want
    left = [name for name, value in (("domain", want.domain), ("auth", want.auth), ("throttle", want.throttle))
            if value]
    if left:
        t.note(f"settings {', '.join(left)} (the front door) are not in this template",
               "deploy the stage with lz's own engine (lz deploy STAGE), which makes and converges them")
