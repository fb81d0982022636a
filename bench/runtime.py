"""lz's runtime loop beside awslambdaric, running the same bundle against the local Runtime API.

    .venv/bin/python bench/runtime.py               # ~1 minute; needs Python 3.13 (pyenv, PATH or uv)
    .venv/bin/python bench/runtime.py --quick       # a rough pass
    .venv/bin/python bench/runtime.py --python 3.12

Figures, each for both runtimes in the same run, the two taking turns:
- cold start: process start to the first response (best of N), a handler module importing nothing,
  and the process's CPU time until the handler's first call (median of N: it depends little on the
  machine's load, which the wall time does);
- per-invocation overhead of the loop: CPU time of the function process per invocation (every
  thread; CLOCK_PROCESS_CPUTIME_ID read by the handler at each call), median over many
  invocations of an HTTP API event answered with a small proxy result. The handler itself costs
  well under a microsecond, so this is the loop: next, decode, context, encode, post;
- RSS of the function process after the warm-up and after all invocations;
- time to first byte of a streamed response, from the app's write of its first chunk to its arrival
  at the reader (lz only: awslambdaric cannot stream), median.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lz.cli.local.runner import LocalFunction  # noqa: E402
from lz.cli.pythons import find_python  # noqa: E402
from tests.builders import make  # noqa: E402
from tests.runtime.support import LZ_LOOP, runtime_zip  # noqa: E402

HANDLER = '''
import time


def handler(event, context):
    if isinstance(event, dict) and event.get("stream"):
        out = context.lz_stream({"statusCode": 200, "headers": {"content-type": "text/plain"}})
        out.write(b"%.9f" % time.time())
        time.sleep(0.01)
        out.write(b" end")
        return None
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": '{"cpu_ns": %d}' % time.process_time_ns(), "isBase64Encoded": False}
'''

# Both start through the same exec wrapper, so that both pay the same shells (on Lambda the managed
# runtime's bootstrap script runs first either way): LZ_RUNTIME=awslambdaric makes it hand the
# command back to the managed runtime's own client.
RUNTIMES = {"awslambdaric": {**LZ_LOOP, "LZ_RUNTIME": "awslambdaric"}, "lz": dict(LZ_LOOP)}


def _rss_kb(fn: LocalFunction) -> int:
    assert fn._proc is not None
    for line in Path(f"/proc/{fn._proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cold_starts(bundle: Path, version: str, python: str, runs: int) -> dict[str, dict[str, float]]:
    """Best wall time from process start to the first response, and median CPU time of the
    process until the handler's first call (less at the mercy of the machine's load)."""
    wall = {name: float("inf") for name in RUNTIMES}
    cpu: dict[str, list[float]] = {name: [] for name in RUNTIMES}
    event = make("http_v2", path="/")
    for _ in range(runs):
        for name, env in RUNTIMES.items():
            with LocalFunction(bundle, version, python=python, handler="fn.handler", environment=env) as fn:
                inv = fn.invoke(event)
                assert inv.ok and inv.cold, inv.describe()
                wall[name] = min(wall[name], inv.duration_ms)
                cpu[name].append(json.loads(inv.result["body"])["cpu_ns"] / 1e6)
    return {name: {"wall_ms": wall[name], "cpu_ms": statistics.median(cpu[name])} for name in RUNTIMES}


def overhead(bundle: Path, version: str, python: str, count: int) -> dict[str, dict[str, float]]:
    event = make("http_v2", path="/api/items", query=[("page", "2")],
                 headers=[("Accept", "application/json"), ("User-Agent", "bench/1.0")])
    out = {}
    for name, env in RUNTIMES.items():
        with LocalFunction(bundle, version, python=python, handler="fn.handler",
                           environment={**env, "LZ_STREAM": "0"}) as fn:
            for _ in range(200):  # warm-up
                assert fn.invoke(event).ok if _ == 0 else fn.api.invoke(event, 30).ok
            warm_rss = _rss_kb(fn)
            cpu = []
            t0 = time.perf_counter()
            for _ in range(count):
                outcome = fn.api.invoke(event, 30)
                cpu.append(json.loads(outcome.payload["body"])["cpu_ns"])
            wall = (time.perf_counter() - t0) / count
            deltas = [(b - a) / 1000 for a, b in zip(cpu, cpu[1:])]
            out[name] = {"cpu_us": statistics.median(deltas), "cpu_us_mean": statistics.fmean(deltas),
                         "wall_us": wall * 1e6, "rss_warm_kb": warm_rss, "rss_end_kb": _rss_kb(fn),
                         "connections": fn.api.connections}
    return out


def ttfb(bundle: Path, version: str, python: str, count: int) -> float:
    """Median ms from the app's first write to the chunk's arrival at the reader."""
    delays = []
    with LocalFunction(bundle, version, python=python, handler="fn.handler",
                       environment={**LZ_LOOP, "LZ_STREAM": "1"}) as fn:
        for i in range(count + 5):
            inv = fn.invoke_stream({"requestContext": {}, "stream": True})
            assert inv.wait_started()
            first = next(iter(inv.chunks()))
            arrived = time.time()
            list(inv.chunks())
            assert inv.finish().ok
            if i >= 5:
                delays.append((arrived - float(first.split()[0])) * 1000)
    return statistics.median(delays)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.13")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    python = find_python(args.python)
    if python is None:
        raise SystemExit(f"no Python {args.python} found (PATH, pyenv, uv python find)")
    runs, count, streams = (5, 2000, 20) if args.quick else (15, 5000, 100)
    with tempfile.TemporaryDirectory(prefix="lz-bench-runtime-") as tmp:
        bundle = runtime_zip(Path(tmp) / "b.zip", {"fn.py": HANDLER}, python)  # with bytecode
        cold = cold_starts(bundle, args.python, python, runs)
        loop = overhead(bundle, args.python, python, count)
        first_byte = ttfb(bundle, args.python, python, streams)
    ric, lz = loop["awslambdaric"], loop["lz"]
    print(f"Python {args.python}; {count} invocations per runtime, cold start best of {runs}\n")
    print(f"{'':34}{'awslambdaric':>14}{'lz loop':>12}{'lz/ric':>9}")
    rows = [
        ("cold start, ms (best)", cold["awslambdaric"]["wall_ms"], cold["lz"]["wall_ms"]),
        ("CPU until 1st handler call, ms", cold["awslambdaric"]["cpu_ms"], cold["lz"]["cpu_ms"]),
        ("loop CPU per invocation, µs (median)", ric["cpu_us"], lz["cpu_us"]),
        ("loop CPU per invocation, µs (mean)", ric["cpu_us_mean"], lz["cpu_us_mean"]),
        ("RSS after warm-up, KiB", ric["rss_warm_kb"], lz["rss_warm_kb"]),
        (f"RSS after {count} more, KiB", ric["rss_end_kb"], lz["rss_end_kb"]),
    ]
    for label, theirs, ours in rows:
        print(f"{label:34}{theirs:>14.1f}{ours:>12.1f}{ours / theirs:>9.2f}")
    print(f"{'Runtime API connections':34}{'(C client)':>14}{lz['connections']:>12}")
    print(f"{'streamed TTFB after 1st write, ms':34}{'n/a':>14}{first_byte:>12.2f}"
          "   (awslambdaric cannot stream)")
    print("\ntargets: loop overhead <= 0.5x awslambdaric, cold start no worse, TTFB <= 5 ms")


if __name__ == "__main__":
    main()
