"""A stage's health in numbers: `lz metrics STAGE` and the one-line summary of `lz status`.

Every metric comes from one GetMetricData batch (paged by NextToken if AWS splits the answer):
the function's invocations, errors, throttles, duration p50/p95/p99 and maximum concurrency
through the alias `live`, the age of async events (tasks), the depth of the task dead-letter
queue, and the front's 4xx/5xx (HTTP API, REST API or Function URL). Cold starts and their init
time come from the REPORT lines of the function's log (FilterLogEvents on "Init Duration"), since
no metric counts them. The error rate is computed here from the sums.

GetMetricData's rules ("GetMetricData", CloudWatch API reference,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html), which
moto does not enforce and `check_request` does: at most 500 metrics and 100,800 data points a
call; a period of 60 s reaches back 15 days, 300 s 63 days, 3600 s 455 days.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from .aws import Aws, AwsError

BUCKETS = 30  # points per sparkline
MAX_METRICS = 500
MAX_POINTS = 100_800
RETENTION = ((60, 15 * 86400), (300, 63 * 86400), (3600, 455 * 86400))


@dataclass
class Series:
    key: str
    label: str
    unit: str  # "count", "ms", "%", "s", "msgs"
    values: list[float | None]  # one per bucket, oldest first; None: no data

    @property
    def total(self) -> float | None:
        present = [v for v in self.values if v is not None]
        if not present:
            return None
        if self.key in ("invocations", "errors", "throttles", "front_4xx", "front_5xx"):
            return sum(present)
        return max(present)


@dataclass
class Report:
    stage: str
    function: str
    start: datetime
    end: datetime
    period: int
    series: list[Series] = field(default_factory=list)
    cold_starts: int = 0
    init_ms_avg: float | None = None
    init_ms_max: float | None = None

    def get(self, key: str) -> Series | None:
        return next((s for s in self.series if s.key == key), None)

    def value(self, key: str) -> float | None:
        found = self.get(key)
        return found.total if found else None


def period_for(span: float) -> int:
    """A period (a multiple of 60 s) giving about BUCKETS points over `span` seconds, no finer than
    what CloudWatch keeps that far back."""
    period = max(60, math.ceil(span / BUCKETS / 60) * 60)
    for resolution, reach in RETENTION:
        if span <= reach:
            return math.ceil(period / resolution) * resolution
    raise AwsError(f"CloudWatch keeps metrics for 455 days at most; --since asks for {span / 86400:.0f} days")


def check_request(queries: list[dict], span: float, period: int) -> None:
    """GetMetricData's documented limits (module docstring)."""
    if len(queries) > MAX_METRICS:
        raise AwsError(f"{len(queries)} metrics in one GetMetricData call; CloudWatch takes {MAX_METRICS}")
    points = len(queries) * math.ceil(span / period)
    if points > MAX_POINTS:
        raise AwsError(f"{points:,} data points in one GetMetricData call; CloudWatch returns {MAX_POINTS:,}: "
                       "ask for a shorter --since")
    if period % 60:
        raise AwsError(f"a period of {period} s: Lambda's metrics take multiples of 60")


def _front(aws: Aws, stage: Any) -> tuple[str, list[dict], str, str] | None:
    """(namespace, dimensions, 4xx metric, 5xx metric) of the stage's HTTP front, if it has one."""
    name = stage.function_name
    if stage.http == "http_api":
        from .deploy.resources.http_api import _find

        api = _find(aws, name, stage.project, stage.name)
        if api is None:
            return None
        return "AWS/ApiGateway", [{"Name": "ApiId", "Value": api["ApiId"]}, {"Name": "Stage", "Value": "$default"}], \
            "4xx", "5xx"
    if stage.http == "rest_api":
        return "AWS/ApiGateway", [{"Name": "ApiName", "Value": name}, {"Name": "Stage", "Value": stage.name}], \
            "4XXError", "5XXError"
    if stage.http == "function_url":
        return "AWS/Lambda", [{"Name": "FunctionName", "Value": name}, {"Name": "Resource", "Value": f"{name}:live"}], \
            "Url4xxCount", "Url5xxCount"
    return None


def _query(key: str, namespace: str, metric: str, dims: list[dict], stat: str, period: int) -> dict:
    return {"Id": key, "ReturnData": True, "MetricStat": {
        "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dims}, "Period": period, "Stat": stat}}


# (key, label, unit, metric, stat) on the alias live
LAMBDA = [
    ("invocations", "invocations", "count", "Invocations", "Sum"),
    ("errors", "errors", "count", "Errors", "Sum"),
    ("throttles", "throttles", "count", "Throttles", "Sum"),
    ("p50", "duration p50", "ms", "Duration", "p50"),
    ("p95", "duration p95", "ms", "Duration", "p95"),
    ("p99", "duration p99", "ms", "Duration", "p99"),
    ("concurrency", "max concurrency", "count", "ConcurrentExecutions", "Maximum"),
    ("task_age", "async event age", "ms", "AsyncEventAge", "Maximum"),
]


def queries(aws: Aws, stage: Any, period: int) -> tuple[list[dict], dict[str, tuple[str, str]]]:
    """The batch, and key -> (label, unit) for what it returns."""
    name = stage.function_name
    alias = [{"Name": "FunctionName", "Value": name}, {"Name": "Resource", "Value": f"{name}:live"}]
    out = [_query(key, "AWS/Lambda", metric, alias, stat, period) for key, _, _, metric, stat in LAMBDA]
    labels = {key: (label, unit) for key, label, unit, _, _ in LAMBDA}
    from .deploy.models import task_queue_names

    dlq = task_queue_names(stage.project, stage.name)[1]
    out.append(_query("dlq", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                      [{"Name": "QueueName", "Value": dlq}], "Maximum", period))
    labels["dlq"] = ("task DLQ depth", "msgs")
    front = _front(aws, stage)
    if front:
        namespace, dims, four, five = front
        out += [_query("front_4xx", namespace, four, dims, "Sum", period),
                _query("front_5xx", namespace, five, dims, "Sum", period)]
        labels["front_4xx"] = (f"{stage.http} 4xx", "count")
        labels["front_5xx"] = (f"{stage.http} 5xx", "count")
    return out, labels


def _buckets(result: dict, start: datetime, period: int, count: int) -> list[float | None]:
    values: list[float | None] = [None] * count
    for stamp, value in zip(result.get("Timestamps") or [], result.get("Values") or []):
        if value is None:
            continue
        index = int((stamp - start).total_seconds() // period)
        if 0 <= index < count:
            values[index] = value if values[index] is None else values[index] + value
    return values


_INIT = re.compile(r"Init Duration: ([\d.]+) ms")


def cold_starts(aws: Aws, group: str, start: datetime, end: datetime, json_format: bool = False) -> list[float]:
    """The init durations (ms) of the REPORT lines with one, between start and end: the phrase
    "Init Duration" of a text-format REPORT line, or the initDurationMs of a JSON-format
    platform.report (log_format json)."""
    logs = aws.client("logs")
    found = []
    args = {"logGroupName": group, "startTime": int(start.timestamp() * 1000), "endTime": int(end.timestamp() * 1000),
            "filterPattern": '"initDurationMs"' if json_format else '"Init Duration"'}
    try:
        for page in logs.get_paginator("filter_log_events").paginate(**args):
            for event in page.get("events", []):
                match = _INIT.search(event.get("message", ""))
                if match:
                    found.append(float(match.group(1)))
                elif '"initDurationMs"' in event.get("message", ""):  # JSON log format's platform.report
                    match = re.search(r'"initDurationMs"\s*:\s*([\d.]+)', event["message"])
                    if match:
                        found.append(float(match.group(1)))
    except Exception as exc:
        if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ResourceNotFoundException":
            return []
        with aws.explain(f"reading cold starts from {group}"):
            raise
    return found


def collect(aws: Aws, stage: Any, span: float, now: datetime | None = None) -> Report:
    """The stage's metrics over the last `span` seconds, in BUCKETS-ish points."""
    period = period_for(span)
    end = (now or datetime.now(timezone.utc)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    count = math.ceil(span / period)
    start = end - timedelta(seconds=count * period)
    batch, labels = queries(aws, stage, period)
    check_request(batch, count * period, period)
    results: dict[str, dict] = {}
    token = None
    cloudwatch = aws.client("cloudwatch")
    while True:
        with aws.explain(f"reading the metrics of {stage.function_name}"):
            answer = cloudwatch.get_metric_data(MetricDataQueries=batch, StartTime=start, EndTime=end,
                                                **({"NextToken": token} if token else {}))
        for result in answer.get("MetricDataResults", []):
            merged = results.setdefault(result["Id"], {"Timestamps": [], "Values": []})
            merged["Timestamps"] += result.get("Timestamps") or []
            merged["Values"] += result.get("Values") or []
        token = answer.get("NextToken")
        if not token:
            break
    report = Report(stage.name, stage.function_name, start, end, period)
    for key, (label, unit) in labels.items():
        report.series.append(Series(key, label, unit, _buckets(results.get(key, {}), start, period, count)))
    inits = cold_starts(aws, stage.log_group, start, end, getattr(stage, "log_format", "text") == "json")
    report.cold_starts = len(inits)
    if inits:
        report.init_ms_avg = sum(inits) / len(inits)
        report.init_ms_max = max(inits)
    return report


def error_rate(report: Report) -> float | None:
    invocations, errors = report.value("invocations"), report.value("errors") or 0
    return None if not invocations else 100 * errors / invocations


def health(report: Report, span_text: str) -> str:
    """One line: traffic, errors, latency, throttles, cold starts."""
    invocations = report.value("invocations")
    if not invocations:
        return f"no invocations in the last {span_text}"
    parts = [f"{invocations:,.0f} invocations", f"{error_rate(report):.2f}% errors"]
    p99 = report.value("p99")
    if p99 is not None:
        parts.append(f"p99 {p99:,.0f} ms")
    throttles = report.value("throttles")
    if throttles:
        parts.append(f"{throttles:,.0f} throttled")
    parts.append(f"{report.cold_starts} cold starts")
    return f"{', '.join(parts)} (last {span_text})"


def health_line(aws: Aws, stage: Any, span: int = 3600) -> str | None:
    """`lz status`'s health line over the last hour (None when CloudWatch cannot be read)."""
    try:
        return health(collect(aws, stage, span), "1h")
    except AwsError:
        return None
