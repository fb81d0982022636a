"""Canary deploys: the new version gets a share of the alias `live` (Lambda's alias routing
configuration), its errors and the stage's alarms are watched for a while, then it is promoted to
all of `live` or rolled back.

The state lives in AWS, on the alias itself: an alias with an additional version weight is a canary
in progress (`pending`). So an interrupted canary (Ctrl-C, a crash, a lost laptop) is found by the
next `lz deploy`, which undoes it and deploys (and watches) again, or `lz rollback`, which undoes
it; `lz status` shows it. Every alias move names the RevisionId it read, as the publish step does.

Lambda's rules for a weighted alias ("Implement Lambda canary deployments using a weighted alias",
https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html), which moto does not
enforce and `check_routing`/`_compatible` do: at most two versions, both published (never
$LATEST), the same execution role and the same dead-letter configuration; the additional version's
weight is from 0.0 to 1.0 (AliasRoutingConfiguration, Lambda API reference).

The watch reads the new version's Errors and Invocations for the alias (dimensions FunctionName,
Resource NAME:live, ExecutedVersion: "Types of metrics for Lambda functions", Lambda guide) with one
GetMetricData call per poll. Any error of the new version, or any of the stage's alarms in ALARM,
rolls it back. Polls are LZ_CANARY_POLL seconds apart (default 30: Lambda's metrics are per minute;
tests set a fraction of a second, and `clock`/`sleep` are injectable).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from ..aws import Aws, AwsError
from .models import ALIAS, Desired

POLL_ENV = "LZ_CANARY_POLL"


@dataclass(frozen=True)
class Canary:
    stable: str  # the version `live` points at
    new: str  # the additional version, getting `weight` of the traffic
    weight: float
    revision: str | None = None

    def describe(self) -> str:
        return f"version {self.new} at {self.weight:.0%} (version {self.stable} takes the rest)"


@dataclass(frozen=True)
class Verdict:
    promote: bool
    why: str
    errors: float = 0
    invocations: float = 0


def check_routing(primary: str, additional: str, weight: float) -> None:
    """Lambda's rules for a weighted alias (module docstring); AwsError saying which is broken."""
    for version in (primary, additional):
        if not version.isdigit():
            raise AwsError(f"a weighted alias routes between published versions only, not {version} "
                           "(Lambda: the alias cannot point to $LATEST)")
    if primary == additional:
        raise AwsError(f"a canary needs two different versions, got {primary} twice")
    if not 0.0 <= weight <= 1.0:
        raise AwsError(f"the additional version's weight must be from 0.0 to 1.0, got {weight}")


def _compatible(aws: Aws, want: Desired, primary: str, additional: str) -> None:
    """Both versions have the same execution role and dead-letter configuration (Lambda refuses
    routing between them otherwise). The new version's are what this deploy set (`want`); the
    stable version's are read."""
    with aws.explain(f"reading version {primary} of {want.name}"):
        old = aws.client("lambda").get_function_configuration(FunctionName=want.name, Qualifier=primary)
    if old.get("Role") != want.role_arn:
        raise AwsError(f"version {additional} has another execution role than version {primary}: Lambda "
                       "routes an alias between versions of one role only; deploy without a canary "
                       f"(lz deploy {want.stage} --canary off)")
    if ((old.get("DeadLetterConfig") or {}).get("TargetArn") or None) != (want.dead_letter or None):
        raise AwsError(f"version {additional} has another dead-letter target than version {primary}: "
                       "Lambda routes an alias between versions with the same one only; deploy this "
                       f"change of dead_letter without a canary (lz deploy {want.stage} --canary off)")


def pending(aws: Aws, name: str) -> Canary | None:
    """The canary in progress on `live`, if any."""
    from .resources.function import _alias

    alias = _alias(aws, name)
    weights = ((alias or {}).get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    if not weights:
        return None
    (new, weight), = weights.items()
    return Canary(alias["FunctionVersion"], new, float(weight), alias.get("RevisionId"))


def _move(aws: Aws, name: str, version: str, weights: dict[str, float], revision: str | None) -> None:
    with aws.explain(f"pointing {ALIAS} of {name} at version {version}"):
        aws.client("lambda").update_alias(
            FunctionName=name, Name=ALIAS, FunctionVersion=version,
            RoutingConfig={"AdditionalVersionWeights": weights}, **({"RevisionId": revision} if revision else {}))
    aws.forget("function", name)


def shift(aws: Aws, want: Desired, alias: dict, version: str) -> Canary:
    """Give the just-published `version` the canary's share of `live` (it stays on its version)."""
    primary = alias["FunctionVersion"]
    check_routing(primary, version, want.canary or 0.0)
    _compatible(aws, want, primary, version)
    _move(aws, want.name, primary, {version: round(want.canary or 0.0, 4)}, alias.get("RevisionId"))
    return Canary(primary, version, want.canary or 0.0)


def promote(aws: Aws, name: str, canary: Canary) -> None:
    """All of `live` to the new version."""
    current = pending(aws, name)
    _move(aws, name, canary.new, {}, current.revision if current else None)


def undo(aws: Aws, name: str, canary: Canary) -> None:
    """All of `live` back to the stable version (it never left it)."""
    current = pending(aws, name)
    _move(aws, name, canary.stable, {}, current.revision if current else None)


def poll_interval() -> float:
    raw = os.environ.get(POLL_ENV)
    if not raw:
        return 30.0
    try:
        value = float(raw)
    except ValueError:
        raise AwsError(f"{POLL_ENV}={raw!r} is not a number of seconds") from None
    return max(value, 0.01)


def _stage_alarms(aws: Aws, name: str) -> list[str]:
    """The stage's alarms (settings `alarms`: resources/alarms.py) that are in ALARM."""
    from .resources.alarms import SUFFIXES

    ours = [f"{name}-{suffix}" for suffix in SUFFIXES]
    with aws.explain("reading the stage's alarms"):
        answer = aws.client("cloudwatch").describe_alarms(AlarmNames=ours, StateValue="ALARM")
    # the state is checked here too: moto ignores StateValue when AlarmNames is given
    return sorted(a["AlarmName"] for a in answer.get("MetricAlarms", []) if a.get("StateValue") == "ALARM")


def _version_metrics(aws: Aws, name: str, version: str, start: datetime, end: datetime) -> tuple[float, float]:
    """(errors, invocations) of `version` through `live` between start and end: one GetMetricData."""
    dims = [{"Name": "FunctionName", "Value": name}, {"Name": "Resource", "Value": f"{name}:{ALIAS}"},
            {"Name": "ExecutedVersion", "Value": version}]
    queries = [{"Id": metric.lower(), "ReturnData": True, "MetricStat": {
        "Metric": {"Namespace": "AWS/Lambda", "MetricName": metric, "Dimensions": dims},
        "Period": 60, "Stat": "Sum"}} for metric in ("Errors", "Invocations")]
    with aws.explain(f"reading the metrics of version {version}"):
        answer = aws.client("cloudwatch").get_metric_data(MetricDataQueries=queries, StartTime=start,
                                                          EndTime=end)
    sums = {r["Id"]: sum(r.get("Values") or []) for r in answer.get("MetricDataResults", [])}
    return sums.get("errors", 0.0), sums.get("invocations", 0.0)


def watch(aws: Aws, name: str, canary: Canary, seconds: int,
          on_tick: Callable[[float, int, float, float], None] = lambda *a: None,
          clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
          now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> Verdict:
    """Watch the new version for `seconds`: the first error of it, or an alarm of the stage in
    ALARM, ends the watch with a rollback verdict; none in the whole time, a promote verdict."""
    poll = poll_interval()
    began = clock()
    since = now().replace(second=0, microsecond=0)  # metrics are per minute: this one counts
    errors = invocations = 0.0
    while True:
        end = now() + timedelta(minutes=1)
        errors, invocations = _version_metrics(aws, name, canary.new, since, end)
        elapsed = clock() - began
        on_tick(elapsed, seconds, errors, invocations)
        if errors > 0:
            return Verdict(False, f"version {canary.new} had {errors:.0f} error(s) in {invocations:.0f} "
                                  f"invocation(s) after {_duration(elapsed)}", errors, invocations)
        firing = _stage_alarms(aws, name)
        if firing:
            return Verdict(False, f"alarm {', '.join(firing)} went into ALARM after {_duration(elapsed)}",
                           errors, invocations)
        if elapsed >= seconds:
            return Verdict(True, f"version {canary.new} had no errors in {invocations:.0f} invocation(s) "
                                 f"over {_duration(seconds)}", errors, invocations)
        sleep(min(poll, seconds - elapsed))


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def conclude(aws: Aws, name: str, canary: Canary, verdict: Verdict) -> str:
    """Promote or roll back as the verdict says; what happened, in words."""
    if verdict.promote:
        promote(aws, name, canary)
        return f"canary promoted: live -> version {canary.new} ({verdict.why})"
    undo(aws, name, canary)
    return f"canary rolled back: live stays on version {canary.stable} ({verdict.why})"


def settle(aws: Aws, name: str, dry_run: bool) -> str | None:
    """Before a deploy plans: a canary left in progress (an interrupted deploy) is undone, so the
    deploy starts from the stable version and publishes and watches again; what was found, in words."""
    found = pending(aws, name)
    if found is None:
        return None
    if dry_run:
        return f"an interrupted canary is in progress ({found.describe()}): lz deploy undoes it first"
    undo(aws, name, found)
    return (f"found an interrupted canary ({found.describe()}): undone, live is on version {found.stable}; "
            "this deploy publishes and watches again")


def run(aws: Aws, want: Desired, on_tick: Callable[[float, int, float, float], None]) -> str | None:
    """After the plan is applied: watch the canary this deploy shifted, then promote or roll back.
    Ctrl-C leaves it as it is, and says how to finish it."""
    found = pending(aws, want.name)
    if found is None:
        return None  # nothing was published, or live did not exist yet: no canary to watch
    try:
        verdict = watch(aws, want.name, found, want.canary_for, on_tick)
    except KeyboardInterrupt:
        raise AwsError(f"interrupted while watching the canary ({found.describe()}): live is still split; "
                       f"lz deploy {want.stage} undoes it and deploys again, lz rollback {want.stage} "
                       "undoes it") from None
    return conclude(aws, want.name, found, verdict)
