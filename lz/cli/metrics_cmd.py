"""`lz metrics STAGE [--since 3h] [--json]`: the stage's metrics as a table with a sparkline per
metric (rich), or JSON for scripts (lz/cli/metrics.py reads them)."""

from __future__ import annotations

import json
import sys

import click

from .common import aws_options, load_stage, make_aws

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """One character a point, scaled to the series' own maximum; a gap is a space."""
    present = [v for v in values if v is not None]
    top = max(present, default=0)
    out = []
    for value in values:
        if value is None:
            out.append(" ")
        elif top <= 0:
            out.append(BARS[0])
        else:
            out.append(BARS[min(len(BARS) - 1, int(value / top * (len(BARS) - 1) + 0.5))])
    return "".join(out)


def _shown(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "%":
        return f"{value:.2f}%"
    if unit == "ms":
        return f"{value:,.0f} ms"
    return f"{value:,.0f}"


def as_json(report, since: str) -> dict:
    from .metrics import error_rate

    return {
        "stage": report.stage, "function": report.function, "since": since,
        "start": report.start.isoformat(), "end": report.end.isoformat(), "period_s": report.period,
        "error_rate_pct": error_rate(report),
        "cold_starts": {"count": report.cold_starts, "init_ms_avg": report.init_ms_avg,
                        "init_ms_max": report.init_ms_max},
        "metrics": {s.key: {"label": s.label, "unit": s.unit, "value": s.total, "points": s.values}
                    for s in report.series},
    }


def table(report, since: str):
    from rich.table import Table

    from .metrics import error_rate

    out = Table("metric", "value", f"last {since} (every {report.period // 60} min)",
                title=f"{report.function}: metrics", title_justify="left")
    rows = {s.key: s for s in report.series}
    for series in report.series:
        if series.key in ("task_age", "dlq") and series.total is None:
            continue  # no tasks, no dead-letter queue: no row
        out.add_row(series.label, _shown(series.total, series.unit), sparkline(series.values))
        if series.key == "errors":
            invocations, errors = rows["invocations"].values, series.values
            rates = [None if not i else 100 * (e or 0) / i for i, e in zip(invocations, errors)]
            out.add_row("error rate", _shown(error_rate(report), "%"), sparkline(rates))
    init = "" if report.init_ms_avg is None else \
        f" (init {report.init_ms_avg:,.0f} ms avg, {report.init_ms_max:,.0f} ms max)"
    out.add_row("cold starts", f"{report.cold_starts}{init}", "")
    return out


@click.command()
@click.argument("stage")
@click.option("--since", default="3h", show_default=True, help="How far back: 30m, 3h, 2d (up to 455d).")
@click.option("--json", "as_json_flag", is_flag=True, help="Print JSON (every metric's points) for scripts.")
@aws_options
def metrics(stage: str, since: str, as_json_flag: bool, region: str | None, profile: str | None,
            project: str) -> None:
    """STAGE's invocations, errors, latency, throttles, concurrency, cold starts, task age, DLQ depth
    and front 4xx/5xx: one GetMetricData batch, a sparkline per metric."""
    from .aws import AwsError
    from .metrics import collect
    from .settings_ops import duration

    settings = load_stage(stage, project)
    try:
        span = duration(since)
    except ValueError as exc:
        raise click.ClickException(f"--since: {exc}") from None
    aws = make_aws(settings, region, profile)
    try:
        report = collect(aws, settings, span)
    except AwsError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json_flag:
        click.echo(json.dumps(as_json(report, since), indent=2))
        return
    from rich.console import Console

    Console(file=sys.stdout, soft_wrap=True, width=None if sys.stdout.isatty() else 200).print(table(report, since))
