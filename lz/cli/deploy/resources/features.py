"""Which optional parts of a stage are deployed, recorded on its function, so that a redeploy reads
AWS only for the parts the stage uses, or used and must now delete.

A stage may have a front (HTTP API, REST API or Function URL), a custom domain (certificate, domain
name, CloudFront distribution, DNS records), auth or throttle settings, and alarms. The kind of each
must read AWS when the settings ask for it, and also when they stopped asking but it was deployed
(to delete it). Without a record of what was deployed every kind read on every deploy: a stage
with no domain listed certificates, domain names and distributions each time (issue 15, item 24).

The record is the function's tag `lz:features`, the features' names ("alarms domain http_api", or
"none"). It is written twice in a deploy, so that it always covers everything that exists:
- before anything of a newly asked-for feature is made: the plan's first step (record.py; every
  kind of a feature waits for it) adds it to what was recorded;
- after every other step (this kind is the plan's last and waits for all others): what the
  settings ask for, now that the deletes of what they no longer ask for are done.
A kind skips its reads when `needed` says no: its feature is neither asked for nor recorded. With
no record (a first deploy, a stage an older lz deployed) or none readable (GetFunction returns
tags only to a caller allowed lambda:ListTags), every kind reads, as before.
"""

from __future__ import annotations

from ...aws import TAG_PROJECT, Aws
from ..models import Desired
from ..steps import Step

KIND = "features"
TAG = "lz:features"
NONE = "none"  # what a stage with none of them records (an absent tag means: not known)
# each feature: what in the settings asks for it (the kinds that read only for it name it in `needed`)
ASKED = {
    "http_api": lambda want: want.http == "http_api",
    "rest_api": lambda want: want.http == "rest_api",
    "function_url": lambda want: want.http == "function_url",
    "access": lambda want: bool(want.auth or want.throttle),
    "domain": lambda want: bool(want.domain),  # certificate, domain name, distribution, DNS
    "alarms": lambda want: bool(want.alarms),
    "task_queue": lambda want: bool(want.task_queue),
    "sqs_sources": lambda want: bool(want.task_queue or want.sources_of("sqs")),  # @on_sqs, the task queue
    "schedules": lambda want: bool(want.schedules),
    "workflows": lambda want: bool(want.workflows),
}


def wanted(want: Desired) -> frozenset[str]:
    """The features the settings ask for."""
    return frozenset(name for name, asked in ASKED.items() if asked(want))


def value(names: frozenset[str] | set[str]) -> str:
    """The tag's value: names in order, space-separated (tag values allow letters, digits, spaces
    and `_ . : / = + - @`, up to 256 characters)."""
    return " ".join(sorted(names)) or NONE


def _tags(aws: Aws, want: Desired) -> dict[str, str] | None:
    """The function's tags as the plan read them (GetFunction, shared with the function's kind);
    None: no function, or its tags are not readable."""
    from .function import _get

    found = _get(aws, want.name)
    tags = (found or {}).get("Tags") or {}
    return tags if TAG_PROJECT in tags else None


def recorded(aws: Aws, want: Desired) -> frozenset[str] | None:
    """What the function's tag says is deployed; None when there is no record to trust."""
    tags = _tags(aws, want)
    if tags is None or TAG not in tags:
        return None
    return frozenset(name for name in tags[TAG].split() if name != NONE)


def needed(aws: Aws, want: Desired, *features: str) -> bool:
    """Whether a kind serving `features` must read AWS: one is asked for, or recorded as deployed,
    or nothing is recorded."""
    if any(ASKED[name](want) for name in features):
        return True
    found = recorded(aws, want)
    return found is None or any(name in found for name in features)


def tag(aws: Aws, want: Desired, text: str) -> None:
    """Set the record on the function (TagResource takes the unqualified function ARN)."""
    arn = want.alias_arn.rsplit(":", 1)[0]
    with aws.explain(f"recording the features of {want.name} (tag {TAG}; needs lambda:TagResource)"):
        aws.client("lambda").tag_resource(Resource=arn, Tags={TAG: text})
    aws.forget("function", want.name, None)  # its tags as read are no longer true


def _kept(aws: Aws, want: Desired, found: frozenset[str]) -> frozenset[str]:
    """What stays recorded though the settings no longer ask for it: `access` of an HTTP API stage
    that carries a throttle. API Gateway cannot remove a stage's throttle; access.py sets it to
    the account's limits and follows them on each deploy while `access` is recorded."""
    if "access" not in found or ASKED["access"](want):
        return frozenset()
    from .access import throttled

    return frozenset({"access"}) if throttled(aws, want) else frozenset()


def plan(aws: Aws, want: Desired) -> list[Step]:
    from .function import _get

    current = _get(aws, want.name)
    if current is not None and _tags(aws, want) is None:
        return []  # tags not readable: a record could never be read back, so none is written
    found = recorded(aws, want)
    final = wanted(want) | _kept(aws, want, found or frozenset())
    if current is not None and found is not None and found <= final:
        return []  # nothing to drop from the record (what is new, the plan's first step adds)
    return [Step(KIND, want.name, "update", f"record the stage's features: {value(final)}",
                 {"value": value(final)})]


def apply(aws: Aws, step: Step, want: Desired) -> None:
    tag(aws, want, step.detail["value"])


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    return []  # the record goes with the function


def delete(aws: Aws, step: Step) -> None:
    return None
