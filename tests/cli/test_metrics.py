"""`lz metrics` and `lz status`'s health line against moto: known datapoints put into CloudWatch
and REPORT lines into the function's log, the printed table and the JSON checked against them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.cli.conftest import REGION, lz, make_project

pytestmark = pytest.mark.slow  # deploys against moto

NAME = "proj-dev"
APP = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"
ALIAS = [{"Name": "FunctionName", "Value": NAME}, {"Name": "Resource", "Value": f"{NAME}:live"}]


def _client(name: str):
    import boto3

    return boto3.client(name, region_name=REGION)


def _put(metric: str, values: list[float], dims=ALIAS, namespace: str = "AWS/Lambda") -> None:
    """One datapoint a value, 10 minutes apart, the last 5 minutes ago."""
    now = datetime.now(timezone.utc)
    _client("cloudwatch").put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": metric, "Dimensions": dims, "Value": value,
         "Timestamp": now - timedelta(minutes=5 + 10 * (len(values) - 1 - i))} for i, value in enumerate(values)])


def _report_lines(inits: list[float | None]) -> None:
    logs = _client("logs")
    group = f"/aws/lambda/{NAME}"
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(datetime.now(timezone.utc).timestamp() * 1000) - 60_000
    events = []
    for i, init in enumerate(inits):
        line = (f"REPORT RequestId: r{i}\tDuration: 10.00 ms\tBilled Duration: 10 ms\tMemory Size: 512 MB\t"
                f"Max Memory Used: 80 MB\t" + (f"Init Duration: {init} ms\t" if init else ""))
        events.append({"timestamp": now + i, "message": line})
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=events)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path, {"dev": {"app": "app:app", "http": "function_url"}}, {"app.py": APP})


@pytest.fixture
def datapoints(aws_env) -> None:
    _put("Invocations", [100, 50, 250])
    _put("Errors", [0, 2, 3])
    _put("Throttles", [1])
    _put("ConcurrentExecutions", [3, 7, 4])
    _put("Url5xxCount", [2, 3])
    _put("Invocations", [999], dims=[{"Name": "FunctionName", "Value": "another-fn"},
                                     {"Name": "Resource", "Value": "another-fn:live"}])
    _report_lines([300.0, None, 500.0, None])


def test_metrics_json_has_what_cloudwatch_and_the_log_hold(aws_env, project: Path, datapoints) -> None:
    result = lz(aws_env, "metrics", "dev", "--since", "1h", "--json", "--project", str(project))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    metrics = data["metrics"]
    assert metrics["invocations"]["value"] == 400 and metrics["errors"]["value"] == 5
    assert data["error_rate_pct"] == pytest.approx(1.25)
    assert metrics["throttles"]["value"] == 1 and metrics["concurrency"]["value"] == 7
    assert metrics["front_5xx"] == {**metrics["front_5xx"], "label": "function_url 5xx", "value": 5}
    assert data["cold_starts"] == {"count": 2, "init_ms_avg": 400.0, "init_ms_max": 500.0}
    assert data["period_s"] == 120 and len(metrics["invocations"]["points"]) == 30
    assert [p for p in metrics["invocations"]["points"] if p is not None] == [100, 50, 250]


def test_metrics_table_has_a_sparkline_per_metric(aws_env, project: Path, datapoints) -> None:
    result = lz(aws_env, "metrics", "dev", "--since", "1h", "--project", str(project))
    assert result.returncode == 0, result.stderr
    rows = {line.split("│")[1].strip(): line.split("│")[2:] for line in result.stdout.splitlines()
            if line.count("│") >= 4}
    assert rows["invocations"][0].strip() == "400"
    spark = rows["invocations"][1].strip()
    assert set(spark) <= set("▁▂▃▄▅▆▇█ ") and spark.count("█") == 1  # the 250 is the top
    assert rows["error rate"][0].strip() == "1.25%"
    assert rows["cold starts"][0].strip() == "2 (init 400 ms avg, 500 ms max)"
    assert rows["function_url 5xx"][0].strip() == "5"
    assert "task DLQ depth" not in rows  # no data: no task queue here


def test_status_has_a_one_line_health_summary(aws_env, project: Path) -> None:
    assert lz(aws_env, "deploy", "dev", "--project", str(project)).returncode == 0
    _put("Invocations", [40, 60])
    _put("Errors", [1])
    _report_lines([250.0])
    result = lz(aws_env, "status", "dev", "--project", str(project))
    assert result.returncode == 0, result.stderr
    assert "health               100 invocations, 1.00% errors, 1 cold starts (last 1h)" in result.stdout


def test_getmetricdata_limits_that_moto_does_not_enforce() -> None:
    """"GetMetricData", CloudWatch API reference
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html): at
    most 500 metrics and 100,800 data points per call; 60 s periods reach back 15 days, 300 s 63
    days, 3600 s 455 days."""
    from lz.cli.aws import AwsError
    from lz.cli.metrics import check_request, period_for

    assert period_for(3 * 3600) == 360 and period_for(1800) == 60
    assert period_for(20 * 86400) % 300 == 0 and period_for(100 * 86400) % 3600 == 0
    with pytest.raises(AwsError, match="455 days"):
        period_for(500 * 86400)
    check_request([{}] * 12, 3600, 60)
    with pytest.raises(AwsError, match="CloudWatch takes 500"):
        check_request([{}] * 501, 3600, 60)
    with pytest.raises(AwsError, match="100,800"):
        check_request([{}] * 500, 86400, 60)
    with pytest.raises(AwsError, match="multiples of 60"):
        check_request([{}], 3600, 90)


@pytest.mark.parametrize("front, namespace, metric, dims", [
    ("http_api", "AWS/ApiGateway", "5xx", None),
    ("rest_api", "AWS/ApiGateway", "5XXError", [{"Name": "ApiName", "Value": NAME}, {"Name": "Stage", "Value": "dev"}]),
])
def test_api_gateway_fronts_report_their_own_5xx(aws_env, tmp_path: Path, front, namespace, metric, dims) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app", "http": front}}, {"app.py": APP})
    assert lz(aws_env, "deploy", "dev", "--project", str(project)).returncode == 0
    if dims is None:  # the HTTP API's id, as deployed
        [api] = [a for a in _client("apigatewayv2").get_apis()["Items"] if a["Name"] == NAME]
        dims = [{"Name": "ApiId", "Value": api["ApiId"]}, {"Name": "Stage", "Value": "$default"}]
    _put(metric, [4, 3], dims=dims, namespace=namespace)
    result = lz(aws_env, "metrics", "dev", "--since", "1h", "--json", "--project", str(project))
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)["metrics"]["front_5xx"]
    assert shown["label"] == f"{front} 5xx" and shown["value"] == 7
