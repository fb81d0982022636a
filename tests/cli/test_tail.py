"""`lz tail` against log events written into moto's CloudWatch Logs: folding, filters, paging,
follow mode by polling, Ctrl-C, a missing log group."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.cli.conftest import REGION, ROOT, lz, project_copy

pytestmark = pytest.mark.slow
GROUP = "/aws/lambda/example-flask-dev"
TRACEBACK = ("[ERROR]\t2026-11-23T10:00:00.000Z\trid-2\tException on /api/items [POST]\n"
             "Traceback (most recent call last):\n  File \"/var/task/app.py\", line 50, in create_item\n"
             "    raise ValueError(\"no\")\nValueError: no")


def _request(rid: str, method: str, path: str, status: int, ms: float) -> str:
    return json.dumps({"lz": "request", "method": method, "path": path, "status": status, "ms": ms,
                       "request_id": rid}, separators=(",", ":"))


def _report(rid: str, ms: str, used: int, init: str | None = None) -> str:
    line = f"REPORT RequestId: {rid}\tDuration: {ms} ms\tBilled Duration: 13 ms\tMemory Size: 512 MB\tMax Memory Used: {used} MB\t"
    return line + (f"Init Duration: {init} ms\t" if init else "")


STREAM_A = "2026/11/23/[1]aaaa"
STREAM_B = "2026/11/23/[1]bbbb"
EVENTS = [  # (ms before the test's `now`, stream, message)
    (7_200_000, STREAM_A, "[INFO]\t2026-11-23T08:00:00.000Z\trid-0\ttoo old to show"),
    (60_000, STREAM_A, "START RequestId: rid-1 Version: 1"),
    (59_990, STREAM_A, "[INFO]\t2026-11-23T10:00:00.000Z\trid-1\tlisting items"),
    (59_980, STREAM_A, _request("rid-1", "GET", "/api/items", 200, 1.23)),
    (59_970, STREAM_A, "END RequestId: rid-1"),
    (59_960, STREAM_A, _report("rid-1", "12.34", 80, "250.00")),
    (50_000, STREAM_B, "START RequestId: rid-2 Version: 1"),
    (49_990, STREAM_B, TRACEBACK),
    (49_980, STREAM_B, _request("rid-2", "POST", "/api/items", 500, 3.5)),
    (49_970, STREAM_B, "END RequestId: rid-2"),
    (49_960, STREAM_B, _report("rid-2", "4.00", 81)),
    (40_000, STREAM_A, "START RequestId: rid-3 Version: 1"),
    (39_990, STREAM_A, "announcing item 3: scone"),
    (39_970, STREAM_A, "END RequestId: rid-3"),
    (39_960, STREAM_A, _report("rid-3", "1.50", 82)),
]


def _clock(now: int, ms_before: int) -> str:
    return datetime.fromtimestamp((now - ms_before) / 1000, timezone.utc).strftime("%H:%M:%S.%f")[:-3]


def _logs():
    import boto3

    return boto3.client("logs", region_name=REGION)


def _write(now: int, events) -> None:
    """Put `events` into the log group, each `ms_before` the test's `now` (epoch milliseconds)."""
    logs = _logs()
    for stream in {s for _, s, _ in events}:
        try:
            logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
        except logs.exceptions.ResourceAlreadyExistsException:
            pass
        logs.put_log_events(logGroupName=GROUP, logStreamName=stream, logEvents=[
            {"timestamp": now - before, "message": message} for before, s, message in events if s == stream])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return project_copy(tmp_path, "example_flask")


@pytest.fixture
def now() -> int:
    """The test's own "now" in epoch milliseconds, read when the test starts, never at import:
    `lz tail --since 10m` looks back from the wall clock, so events placed relative to a time taken
    at import would fall out of its window in a suite that reaches this file after 10 minutes."""
    return int(time.time() * 1000)


@pytest.fixture
def logged(aws_env, now: int):
    _logs().create_log_group(logGroupName=GROUP)
    _write(now, EVENTS)
    return aws_env


def tail(env, project: Path, *args: str) -> subprocess.CompletedProcess:
    return lz(env, "tail", "dev", "--project", str(project), "--no-follow", "--since", "10m", *args)


def test_no_follow_prints_the_folded_lines_in_order_once(logged, project: Path, now: int) -> None:
    out = tail(logged, project, "--page-size", "3")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        f"{_clock(now, 59_990)} INFO listing items",
        f"{_clock(now, 59_980)} GET /api/items -> 200 (1 ms) · 12 ms, 80/512 MB, cold start 250 ms",
        f"{_clock(now, 49_990)} ERROR Exception on /api/items [POST]",
        "Traceback (most recent call last):",
        '  File "/var/task/app.py", line 50, in create_item',
        '    raise ValueError("no")',
        "ValueError: no",
        f"{_clock(now, 49_980)} POST /api/items -> 500 (4 ms) · 4 ms, 81/512 MB",
        f"{_clock(now, 39_990)} announcing item 3: scone",
        f"{_clock(now, 39_960)} 2 ms, 82/512 MB",
    ]


def test_filters_json_and_raw(logged, project: Path) -> None:
    http = tail(logged, project, "--http").stdout.splitlines()
    assert [line.split(" ", 1)[1] for line in http] == [
        "GET /api/items -> 200 (1 ms) · 12 ms, 80/512 MB, cold start 250 ms",
        "POST /api/items -> 500 (4 ms) · 4 ms, 81/512 MB"]
    errors = tail(logged, project, "--errors").stdout
    assert "ValueError: no" in errors and "POST /api/items -> 500" in errors and "GET" not in errors
    records = [json.loads(line) for line in tail(logged, project, "--json").stdout.splitlines()]
    assert [r["kind"] for r in records] == ["log", "request", "error", "request", "raw", "report"]
    assert records[1]["status"] == 200 and records[1]["report"]["used"] == "80"
    assert records[2]["message"].endswith("ValueError: no") and records[2]["request_id"] == "rid-2"
    raw = tail(logged, project, "--raw").stdout
    assert raw.count("START RequestId") == 3 and raw.count("REPORT RequestId") == 0  # REPORTs become lines
    pattern = tail(logged, project, "--filter", "announcing").stdout.splitlines()
    assert [line.split(" ", 1)[1] for line in pattern] == ["announcing item 3: scone"]


def test_a_window_reads_every_page_and_a_later_poll_only_what_is_new(logged, now: int) -> None:
    from lz.cli.aws import Aws
    from lz.cli.tail.fetch import Tail

    reader = Tail(Aws(REGION), GROUP, now - 600_000, page_size=4)
    first = reader.window()
    assert reader.pages == 4 and [e.message for e in first] == [m for b, _, m in EVENTS if b < 600_000]
    # a late event (older than the newest seen, within the overlap) and a new one: both, once
    _write(now, [(39_000, STREAM_B, "late but not lost"), (1_000, STREAM_A, "brand new")])
    assert [e.message for e in reader.window()] == ["late but not lost", "brand new"]
    assert reader.window() == []


def test_follow_mode_prints_new_lines_then_stops_on_ctrl_c(logged, project: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "lz.cli.main", "tail", "dev", "--project", str(project), "--since", "10m",
         "--poll", "--interval", "0.2"], cwd=ROOT, env=logged, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()

    def wait_for(text: str) -> None:
        deadline = time.monotonic() + 30
        while not any(text in line for line in lines):
            assert time.monotonic() < deadline and proc.poll() is None, (lines, proc.stderr.read() if proc.poll() else "")
            time.sleep(0.05)

    wait_for("announcing item 3")
    _write(int(time.time() * 1000), [(0, STREAM_B, "[INFO]\t2026-11-23T10:01:00.000Z\trid-9\twritten after tail started")])
    wait_for("written after tail started")
    time.sleep(0.6)  # a few more polls: nothing may come twice
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0
    assert sum("written after tail started" in line for line in lines) == 1
    assert sum("announcing item 3" in line for line in lines) == 1


def test_a_missing_log_group_says_why(aws_env, project: Path) -> None:
    out = tail(aws_env, project)
    assert out.returncode == 1
    assert "no log group /aws/lambda/example-flask-dev: the stage was never deployed" in out.stderr
    bad = lz(aws_env, "tail", "dev", "--project", str(project), "--since", "yesterday-ish")
    assert bad.returncode == 1 and "use a duration like 10m" in bad.stderr
