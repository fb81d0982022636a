"""Instructions per request of lz's adapter and whole entry beside apig-wsgi and Mangum, counted by
valgrind's callgrind: unlike CPU time, the count does not move with the machine's load.

    .bench-venv/bin/python bench/instructions.py                 # every small event, raw apps
    .bench-venv/bin/python bench/instructions.py --only wsgi --events "HTTP,ALB" --calls 300

One process per app runs under callgrind with collection off except inside functools.reduce: every
handler is warmed on every event, then for each event and handler `--calls` calls (each on a newly
parsed event, as Lambda delivers them; the parsing is outside the counted span) run inside one
reduce, and callgrind dumps that span's count. Divided by `--calls` it is what one request costs in
that handler; the floor's (the app called with a prebuilt environ or scope) is subtracted, as in
adapters.py, and the ratios are lz's over the peer's.
Needs valgrind (`apt-get install valgrind`); hash randomisation is off so that runs repeat.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SMALL = ("REST GET (12 hdrs, repeated keys)", "REST GET (repeated header)", "HTTP API v2 GET + cookies",
         "ALB GET", "Function URL GET", "2 KB JSON POST (v2)")
APPS = {"raw WSGI": ("raw_wsgi", ("floor", "lz", "lz entry", "apig-wsgi")),
        "raw ASGI": ("raw_asgi", ("floor", "lz", "lz entry", "mangum"))}


def child(app_name: str, calls: int, words: str) -> None:
    """Runs under callgrind: every handler warmed on every event, then, for each event and
    handler, `calls` calls inside one functools.reduce (the only span callgrind counts)."""
    import functools

    import adapters
    from tests.builders import Context

    module_attr, peers = APPS[app_name]
    app = getattr(adapters, module_attr)
    events = {name: event for name, event in adapters.events().items() if _chosen(name, words)}
    factories = {**adapters.WSGI_PEERS, **adapters.ASGI_PEERS}
    floor_of = adapters.wsgi_floor if "WSGI" in app_name else adapters.asgi_floor
    handlers = {peer: factories[peer](app) for peer in peers if peer != "floor"}
    ctx = Context()
    sys.stdout = open(os.devnull, "w")  # the entry's request lines (a file write, as in Lambda)
    for name, event in events.items():
        text = json.dumps(event)
        floor = floor_of(app, event)
        for _ in range(20):  # caches filled before anything is counted
            floor()
            for handler in handlers.values():
                handler(json.loads(text), ctx)
        for peer in peers:
            pool = [json.loads(text) for _ in range(calls)]  # as Lambda: a newly parsed event
            if peer == "floor":
                step = (lambda _, event, call=floor: call())
            else:
                step = (lambda _, event, call=handlers[peer]: call(event, ctx))
            functools.reduce(step, pool, None)
            print(json.dumps([name, peer]), flush=True, file=sys.__stdout__)


def _chosen(event_name: str, words: str) -> bool:
    return event_name in SMALL and (not words or any(
        w.lower() in event_name.lower() for w in words.split(",")))


def counts(app_name: str, calls: int, words: str) -> dict[tuple[str, str], float]:
    """(event, handler) -> instructions per call, from one child run under callgrind."""
    import tempfile

    env = dict(os.environ, PYTHONHASHSEED="0")
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", "--collect-atstart=no",
             "--toggle-collect=functools_reduce", "--dump-after=functools_reduce",
             f"--callgrind-out-file={tmp}/cg", sys.executable, __file__, "--child", app_name,
             str(calls), words],
            capture_output=True, text=True, env=env)
        if out.returncode != 0:
            raise RuntimeError(f"callgrind run failed: {out.stderr[-2000:]}")
        labels = [tuple(json.loads(line)) for line in out.stdout.splitlines()]
        found = {}
        for index, label in enumerate(labels, 1):
            text = Path(f"{tmp}/cg.{index}").read_text()
            found[label] = int(re.search(r"^totals: (\d+)", text, re.M).group(1)) / calls
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--calls", type=int, default=200, help="calls counted per figure")
    parser.add_argument("--only", help="comma list: wsgi, asgi")
    parser.add_argument("--events", default="", help="comma list of words: only the events naming one")
    args = parser.parse_args()
    if args.child:
        app_name, calls, words = args.child
        child(app_name, int(calls), words)
        return
    print(f"bench/instructions.py on Python {sys.version.split()[0]}: instructions per request above "
          f"the floor (callgrind, {args.calls} calls, a newly parsed event each); lower is better.")
    for app_name, (_, peers) in APPS.items():
        if args.only and not any(w.lower() in app_name.lower() for w in args.only.split(",")):
            continue
        reference = peers[-1]
        per = counts(app_name, args.calls, args.events)
        print(f"\n## {app_name}")
        print(f"{'event':36s} {'floor':>8s} " + " ".join(f"{p:>10s}" for p in peers[1:])
              + f" {'lz/' + reference:>12s} {'entry/' + reference:>15s}")
        for event_name in SMALL:
            if (event_name, "floor") not in per:
                continue
            floor = per[event_name, "floor"]
            over = {c: per[event_name, c] - floor for c in peers[1:]}
            ref = over[reference]
            print(f"{event_name:36s} {floor:8.0f} " + " ".join(f"{over[c]:10.0f}" for c in peers[1:])
                  + f" {over['lz'] / ref:12.2f} {over['lz entry'] / ref:15.2f}", flush=True)


if __name__ == "__main__":
    main()
