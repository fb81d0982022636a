"""Fuzz the bundle entry with 100,000+ hostile events and print what went wrong, and RSS.

    .venv/bin/python bench/fuzz.py                    # 100,000 events (50,000 per app)
    .venv/bin/python bench/fuzz.py --events 200000 --seed 3

Events go through `Dispatcher(adapt(app))` exactly as the generated lz_handler.py builds it, for a
WSGI and an ASGI app that reflect request headers, path and query into their response headers (the
machinery, shared with tests/test_fuzz_entry.py, is tests/adapter/fuzzing.py and fuzz_run.py).
Printed per app: events, escapes (exceptions out of the entry, with where they were raised),
invalid results, CR/LF/NUL in result headers, unserializable results, lz's log lines by level, and
RSS at start, after a warm-up tenth, and at the end. Exit status 1 when anything but the log counts
was found.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.adapter import fuzz_run, fuzzing  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="in all, split over the apps")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("wsgi", "asgi"), help="one app only")
    args = parser.parse_args()
    apps = {"wsgi": fuzzing.reflect_wsgi, "asgi": fuzzing.reflect_asgi}
    if args.only:
        apps = {args.only: apps[args.only]}
    per_app = args.events // len(apps)
    found = 0
    print(f"bench/fuzz.py: {per_app * len(apps):,} events through Dispatcher(adapt(app)), "
          f"seed {args.seed}, Python {sys.version.split()[0]}")
    for index, (front, app) in enumerate(apps.items()):
        counts: Counter = Counter()
        examples: dict[str, str] = {}
        t0 = time.perf_counter()
        stream = fuzz_run.events(args.seed * 100 + index, per_app)
        rss = fuzz_run.run(fuzzing.entry(app), stream, counts, examples, warmup=per_app // 10)
        seconds = time.perf_counter() - t0
        print(f"\n## {front} (reflecting app): {seconds:.1f} s, "
              f"{seconds / max(per_app, 1) * 1e6:.0f} µs per event")
        fuzz_run.report(counts, examples, rss)
        found += sum(fuzz_run.problems(counts).values())
    print(f"\nproblems found: {found:,}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
