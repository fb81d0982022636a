"""Per-request overhead of lz's adapter beside its peers, in one process, on the same events.

    .bench-venv/bin/python bench/adapters.py            # full run (about two minutes)
    .bench-venv/bin/python bench/adapters.py --quick    # fewer rounds, rougher figures
    .bench-venv/bin/python bench/adapters.py --fresh    # a newly parsed event per call, as in Lambda
    .bench-venv/bin/python bench/adapters.py --fresh --runs 5   # each figure the median of 5 runs

For every event kind and app, each adapter's time per request is measured and the *floor* (calling
the same app directly with a prebuilt environ or scope) is subtracted: what is left is what the
adapter costs. lz's overhead is printed as a ratio to apig-wsgi's (WSGI) or Mangum's (ASGI) and to
the best peer measured in this run. Import cost is measured with `python -X importtime`.

Peers: apig-wsgi, serverless-wsgi, Mangum, Zappa's LambdaHandler (`pip install -e '.[bench]'`).
A peer that is not installed, or that cannot serve an event kind, is shown as n/a with the reason.
"""


import argparse
import asyncio
import base64
import copy
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.builders import Context, fixture, make  # noqa: E402  (AWS-shaped fixtures, shared with tests)

# --------------------------------------------------------------------------------------------- apps

GET_BODY = b'{"ok":true}'


def raw_wsgi(environ: dict, start_response: Callable) -> list[bytes]:
    body = environ["wsgi.input"].read()
    data = b'{"ok":true,"n":%d}' % len(body) if body else GET_BODY
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(data)))])
    return [data]


async def raw_asgi(scope: dict, receive: Callable, send: Callable) -> None:
    if scope["type"] != "http":
        return
    message = await receive()
    body = message.get("body", b"")
    data = b'{"ok":true,"n":%d}' % len(body) if body else GET_BODY
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


def flask_app() -> Any:
    from flask import Flask, request

    app = Flask("bench")

    @app.route("/bench", methods=["GET", "POST"])
    def bench() -> Any:
        body = request.get_data()
        return {"ok": True, "n": len(body)} if body else {"ok": True}

    return app


def fastapi_app() -> Any:
    from fastapi import FastAPI, Request

    app = FastAPI()

    @app.api_route("/bench", methods=["GET", "POST"])
    async def bench(request: Request) -> dict:
        body = await request.body()
        return {"ok": True, "n": len(body)} if body else {"ok": True}

    return app


# ------------------------------------------------------------------------------------------- events

def events() -> dict[str, dict]:
    json_body = json.dumps({"items": [{"id": i, "name": f"item-{i:04d}", "tags": ["a", "b"]}
                                      for i in range(48)]}).encode()[:2048]
    json_body = json_body + b" " * (2048 - len(json_body))
    blob = os.urandom(1024 * 1024)
    browser = [(k, v) for k, v in fixture("rest_v1")["headers"].items()
               if not k.lower().startswith(("host", "x-forwarded"))][:12]
    rest = make("rest_v1", path="/bench", query=[("tag", "a"), ("tag", "b"), ("q", "x y")],
                headers=browser)
    return {
        "REST GET (12 hdrs, repeated keys)": rest,
        # A header sent twice (proxies and browsers do): REST gives it as a list in
        # multiValueHeaders; it must stay on the adapter's fast path.
        "REST GET (repeated header)": make("rest_v1", path="/bench", query=[("q", "1")],
                                           headers=browser + [("Cache-Control", "no-cache"),
                                                              ("Cache-Control", "max-age=0")]),
        "HTTP API v2 GET + cookies": make("http_v2", path="/bench",
                                          headers=[("Cookie", "a=1; b=2; c=3"),
                                                   ("Accept", "application/json")]),
        "ALB GET": make("alb_single", path="/bench", query=[("q", "1")]),
        "Function URL GET": make("function_url", path="/bench", query=[("q", "1")]),
        "2 KB JSON POST (v2)": make("http_v2", method="POST", path="/bench", body=json_body,
                                    headers=[("Content-Type", "application/json")]),
        "1 MB base64 POST (v2)": make("http_v2", method="POST", path="/bench", body=blob,
                                      binary=True,
                                      headers=[("Content-Type", "application/octet-stream")]),
    }


# ---------------------------------------------------------------------------------------- adapters

def lz_handler(app: Any) -> Callable:
    from lz import adapt

    return adapt(app)


# Where the entry's request lines go while the bench runs: a file write as in Lambda (stdout is a
# pipe there), to /dev/null so that the bench's own output stays readable. sys.stdout points at
# it around each timed round and answer check (see quiet()), for every candidate alike.
_SINK = open(os.devnull, "w")


class quiet:
    """`with quiet():` sys.stdout is the sink."""

    def __enter__(self) -> None:
        self.out, sys.stdout = sys.stdout, _SINK

    def __exit__(self, *exc: Any) -> None:
        sys.stdout = self.out


def lz_entry_handler(app: Any) -> Callable:
    """The bundle's whole entry as lz_handler.py builds it: the dispatcher's bound __call__, with
    its request line on (one line per request to stdout), around the adapter. This is what runs
    in Lambda."""
    from lz import adapt
    from lz.runtime.dispatch import Dispatcher

    return Dispatcher(adapt(app), request_log=True).__call__


def apig_wsgi_handler(app: Any) -> Callable:
    from apig_wsgi import make_lambda_handler

    return make_lambda_handler(app, binary_support=True)


def serverless_wsgi_handler(app: Any) -> Callable:
    import serverless_wsgi

    return lambda event, context: serverless_wsgi.handle_request(app, event, context)


def mangum_handler(app: Any) -> Callable:
    from mangum import Mangum

    return Mangum(app, lifespan="off")


_ZAPPA_APPS: dict[str, Any] = {}


def zappa_handler(app: Any) -> Callable:
    """Zappa's LambdaHandler, configured as `zappa package` would (a zappa_settings module)."""
    import types

    name = f"zappa_bench_app_{len(_ZAPPA_APPS)}"
    module = types.ModuleType(name)
    module.app = app
    sys.modules[name] = module
    _ZAPPA_APPS[name] = app
    settings = types.ModuleType("zappa_settings")
    settings.__dict__.update(
        APP_MODULE=name, APP_FUNCTION="app", DEBUG=False, LOG_LEVEL="ERROR",
        BINARY_SUPPORT=True, CONTEXT_HEADER_MAPPINGS={}, DJANGO_SETTINGS=None,
        DOMAIN=None, BASE_PATH=None, ENVIRONMENT_VARIABLES={}, API_STAGE="dev",
        PROJECT_NAME="bench", SETTINGS_FILE=None, AWS_EVENT_MAPPING={}, AWS_BOT_EVENT_MAPPING={},
        COGNITO_TRIGGER_MAPPING={}, EXCEPTION_HANDLER=None, ADDITIONAL_TEXT_MIMETYPES=[],
    )
    sys.modules["zappa_settings"] = settings
    from zappa.handler import LambdaHandler

    LambdaHandler._LambdaHandler__instance = None  # a fresh singleton for this app
    handler = LambdaHandler("zappa_settings")
    return handler.handler


WSGI_PEERS = {"lz": lz_handler, "lz entry": lz_entry_handler, "apig-wsgi": apig_wsgi_handler,
              "serverless-wsgi": serverless_wsgi_handler, "zappa": zappa_handler}
ASGI_PEERS = {"lz": lz_handler, "lz entry": lz_entry_handler, "mangum": mangum_handler, "zappa": zappa_handler}


# ------------------------------------------------------------------------------------------- floors

def wsgi_floor(app: Any, event: dict) -> Callable[[], Any]:
    """Call the app with a prebuilt environ (what any WSGI server must at least do)."""
    from lz.adapter.events import detect
    from lz.adapter.events import Options
    from lz.adapter.environ import build_environ

    request = detect(event).parse(event, Context(), Options())
    # Rebuilt key by key: a plain dict of the environ's size, whatever table lz's own template
    # has (environ._roomy), so that the floor does not move with lz's internals.
    base = dict(build_environ(request).items())
    body = request.body

    def call(environ: dict | None = None) -> Any:
        environ = base.copy() if environ is None else environ
        environ["wsgi.input"] = io.BytesIO(body)
        out: list = []
        result = app(environ, lambda s, h, e=None: out.append((s, h)))
        data = b"".join(result)
        getattr(result, "close", lambda: None)()
        return data

    call.base = base  # type: ignore[attr-defined]  (FreshFloor copies it with new strings)
    return call


def asgi_floor(app: Any, event: dict) -> Callable[[], Any]:
    """Run the app with a prebuilt scope, driven the cheapest way that works for it."""
    from lz.adapter.asgi import build_scope, run_coroutine
    from lz.adapter.events import Options, detect

    request = detect(event).parse(event, Context(), Options())
    base = build_scope(request, None)
    body = request.body
    loop = asyncio.new_event_loop()

    def parts() -> tuple:
        sent: list = []
        done = [False]

        async def receive() -> dict:
            if not done[0]:
                done[0] = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        return receive, send, sent

    def direct(scope: dict | None = None) -> Any:
        receive, send, sent = parts()
        coro = app(dict(base) if scope is None else scope, receive, send)
        asyncio._set_running_loop(loop)
        try:
            coro.send(None)
        except StopIteration:
            return sent
        finally:
            asyncio._set_running_loop(None)
        coro.close()
        raise RuntimeError("app awaited real I/O")

    def tasked(scope: dict | None = None) -> Any:
        receive, send, sent = parts()
        run_coroutine(app(dict(base) if scope is None else scope, receive, send))
        return sent

    direct.base = tasked.base = base  # type: ignore[attr-defined]  (see FreshFloor)
    try:
        direct()
        return direct
    except Exception:
        return tasked


def renewed(value: Any) -> Any:
    """`value` with new str and bytes objects in it (in lists and tuples too), whose hashes are
    not computed yet: what an adapter gives the app, since it reads them from a newly parsed
    event. Other objects are kept."""
    kind = type(value)
    if kind is str:
        return (value + " ")[:-1]
    if kind is bytes:
        return (value + b" ")[:-1]
    if kind is list:
        return [renewed(v) for v in value]
    if kind is tuple:
        return tuple(renewed(v) for v in value)
    return value


# ------------------------------------------------------------------------------------------ timing

FRESH_ROUND = 50  # events per timed round under --fresh: ~0.5 MB of REST events (see Fresh)


class Fresh:
    """Calls `handler` with a newly parsed event each time, as Lambda does (new strings, no cached
    hashes), from a pool parsed before each round so that the parsing is not timed.

    The pool is small (FRESH_ROUND events): in Lambda the handler gets the event the runtime has
    just parsed, still in the CPU's cache. A pool of 500 parsed events (5 MB of REST events, 1.7
    MB of HTTP API ones, against this machine's 1 MB L2 cache) had every call start on an event
    pushed out of L2 and charged every adapter for cache misses no invocation has."""

    def __init__(self, handler: Callable[[dict, Any], Any], text: str, ctx: Any) -> None:
        self.handler, self.text, self.ctx = handler, text, ctx
        self.pool: list[dict] = []

    def refill(self, number: int) -> None:
        self.pool = [json.loads(self.text) for _ in range(number)]

    def __call__(self) -> Any:
        return self.handler(self.pool.pop(), self.ctx)


class FreshFloor(Fresh):
    """The floor under `--fresh`: pops an event like the adapters do, then calls the app directly
    with an environ or scope from a pool made beside the events', its values new strings and
    bytes, as an adapter's are for what it reads from the event (`renewed`; a few constants such
    as "HTTP/1.1" are new here too): a prebuilt one's values have their hashes cached, so
    an app that hashes them (Flask's routing, cookies, header lookups) did less work on the floor
    than under any adapter, and that work was counted as every adapter's overhead. The keys stay
    the same objects, as the constant keys of an adapter's environ or scope do."""

    def refill(self, number: int) -> None:
        super().refill(number)
        base = self.handler.base
        self.bases = [{key: renewed(value) for key, value in base.items()} for _ in range(number)]

    def __call__(self) -> Any:
        self.pool.pop()
        return self.handler(self.bases.pop())


def warm(fn: Callable[[], Any], number: int) -> None:
    calls = max(3, number // 10)
    if isinstance(fn, Fresh):
        fn.refill(calls)
    for _ in range(calls):
        fn()


def interleaved_us(candidates: dict[str, Callable[[], Any]], number: int, rounds: int) -> dict[str, float]:
    """µs per call for each candidate: best round of `rounds`, candidates taking turns each round.

    Thread CPU time, not wall time, so that preemption by other processes is not counted; taking
    turns means slow drift (frequency, cache, other load) hits every candidate alike. A `Fresh`
    candidate's events are parsed before its round starts.
    """
    for fn in candidates.values():
        warm(fn, number)
    best = {name: float("inf") for name in candidates}
    clock = time.thread_time_ns
    for _ in range(rounds):
        for name, fn in candidates.items():
            if isinstance(fn, Fresh):
                fn.refill(number)
            t0 = clock()
            for _ in range(number):
                fn()
            best[name] = min(best[name], (clock() - t0) / number / 1000)
    return best


def check(result: Any, expect_n: int | None) -> str | None:
    """None when `result` is a correct answer for the bench app, else what was wrong."""
    if not isinstance(result, dict) or result.get("statusCode") != 200:
        return f"status {result.get('statusCode') if isinstance(result, dict) else result!r}"
    body = result.get("body") or ""
    if result.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    try:
        data = json.loads(body)
    except ValueError:
        return f"body {body[:40]!r}"
    if data.get("ok") is not True or data.get("n") != expect_n:
        return f"body {data}"
    return None


def measure(quick: bool, only: str | None, fresh: bool = False) -> list[dict]:
    rows = []
    evs = events()
    apps = [("raw WSGI", raw_wsgi, "wsgi"), ("Flask", None, "wsgi"),
            ("raw ASGI", raw_asgi, "asgi"), ("FastAPI", None, "asgi")]
    for app_name, app, kind in apps:
        if only and not any(word.lower() in app_name.lower() for word in only.split(",")):
            continue
        if app is None:
            try:
                app = flask_app() if app_name == "Flask" else fastapi_app()
            except ImportError as exc:
                print(f"  {app_name}: skipped ({exc})", flush=True)
                continue
        peers = WSGI_PEERS if kind == "wsgi" else ASGI_PEERS
        handlers: dict[str, Any] = {}
        for peer, factory in peers.items():
            try:
                handlers[peer] = factory(app)
            except Exception as exc:  # not installed, or cannot wrap this app
                handlers[peer] = f"n/a ({type(exc).__name__}: {exc})"[:60]
        for event_name, event in evs.items():
            big = "1 MB" in event_name
            number, rounds = (10, 15) if big else (FRESH_ROUND, 400) if fresh else (500, 40)
            if quick:
                number, rounds = (5, 5) if big else (FRESH_ROUND, 100) if fresh else (200, 10)
            body_len = len(base64.b64decode(event["body"])) if event.get("isBase64Encoded") else (
                len(event["body"].encode()) if event.get("body") else 0)
            expect_n = body_len or None
            floor = (wsgi_floor if kind == "wsgi" else asgi_floor)(app, event)
            candidates = {"floor": FreshFloor(floor, json.dumps(event), None) if fresh else floor}
            row = {"app": app_name, "event": event_name, "peers": {}}
            for peer, handler in handlers.items():
                if isinstance(handler, str):
                    row["peers"][peer] = handler
                    continue
                try:
                    with quiet():
                        answer = handler(copy.deepcopy(event), Context())
                    problem = check(answer, expect_n)
                except Exception as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                if problem:
                    row["peers"][peer] = f"n/a (wrong answer: {problem})"[:60]
                    continue
                ctx = Context()
                if fresh:
                    # As in Lambda: each call gets a newly parsed event (new strings, no cached
                    # hashes), parsed before the round; the floor pops from a pool alike.
                    candidates[peer] = Fresh(handler, json.dumps(event), ctx)
                else:
                    # Peers get the same event object each call: lz never mutates it, and the
                    # answers above were checked on a fresh copy.
                    candidates[peer] = (lambda h=handler, e=event, c=ctx: h(e, c))
            if event.get("isBase64Encoded"):
                # What no adapter can avoid: decoding the body once (binascii, the stdlib's C code).
                import binascii

                text = event["body"]
                candidates["base64 decode"] = lambda t=text: binascii.a2b_base64(t)
            with quiet():
                times = interleaved_us(candidates, number, rounds)
            decode = times.pop("base64 decode", None)
            if decode is not None:
                row["decode"] = decode
            row["floor"] = times.pop("floor")
            for peer, t in times.items():
                row["peers"][peer] = t - row["floor"]
            rows.append(row)
            print(f"  measured {app_name:9s} {event_name}", flush=True)
    return rows


def median_rows(runs: list[list[dict]]) -> list[dict]:
    """One table from several runs of measure(): every figure the median of its runs (a peer
    that was n/a in any run stays n/a). On a shared machine one run's ratios move by ±0.1 on
    the small events; the median of five moves by a few hundredths."""
    from statistics import median

    combined = []
    for rows in zip(*runs):
        row = {"app": rows[0]["app"], "event": rows[0]["event"], "peers": {},
               "floor": median(r["floor"] for r in rows)}
        if "decode" in rows[0]:
            row["decode"] = median(r["decode"] for r in rows)
        for peer in rows[0]["peers"]:
            values = [r["peers"][peer] for r in rows]
            row["peers"][peer] = (median(values) if all(isinstance(v, float) for v in values)
                                  else next(v for v in values if isinstance(v, str)))
        combined.append(row)
    return combined


def import_cost_ms(module: str, runs: int = 15) -> float | None:
    """Import time of `module` over a bare interpreter, from -X importtime (best of `runs`)."""
    def modules(stmt: str) -> dict[str, int] | None:
        out = subprocess.run([sys.executable, "-X", "importtime", "-c", stmt],
                             capture_output=True, text=True)
        if out.returncode != 0:
            return None
        times: dict[str, int] = {}
        for line in out.stderr.splitlines():
            if line.startswith("import time:") and "|" in line:
                self_us, _, name = line[len("import time:"):].split("|")
                if self_us.strip().isdigit():
                    times[name.strip()] = int(self_us)
        return times

    best = None
    for _ in range(runs):
        bare = modules("pass")
        full = modules(f"import {module}")
        if bare is None or full is None:
            return None
        extra = sum(us for name, us in full.items() if name not in bare) / 1000
        best = extra if best is None else min(best, extra)
    return best


def fmt(value: Any) -> str:
    return f"{value:8.1f}" if isinstance(value, float) else f"{value}"


def report(rows: list[dict], fresh: bool = False) -> None:
    print()
    print(f"Python {sys.version.split()[0]}; overhead = CPU µs per request above the floor "
          "(the app called directly with a prebuilt environ/scope); lower is better.")
    print("Events: " + (
        "newly parsed for every call, as Lambda delivers them (json.loads before each timed round, "
        "untimed)." if fresh else
        "one event object reused for every call (its strings' hashes stay cached; --fresh parses "
        "each call anew)."))
    for app_name in dict.fromkeys(r["app"] for r in rows):
        subset = [r for r in rows if r["app"] == app_name]
        peers = list(subset[0]["peers"])
        reference = "apig-wsgi" if "apig-wsgi" in peers else "mangum"
        print()
        print(f"## {app_name}")
        header = f"{'event':36s} {'floor':>8s} " + " ".join(f"{p:>16s}" for p in peers)
        print(header + f" {'lz/' + reference:>12s} {'lz/best peer':>13s} {'entry/' + reference:>15s}")
        for r in subset:
            cells = []
            for p in peers:
                v = r["peers"][p]
                cells.append(f"{v:16.1f}" if isinstance(v, float) else f"{'n/a':>16s}")
            lz = r["peers"].get("lz")
            ref = r["peers"].get(reference)
            others = [v for p, v in r["peers"].items() if not p.startswith("lz") and isinstance(v, float)]
            entry = r["peers"].get("lz entry")
            ratio_entry = (f"{entry / ref:15.2f}" if isinstance(entry, float) and isinstance(ref, float)
                           and ref > 0 else f"{'n/a':>15s}")
            ratio_ref = f"{lz / ref:12.2f}" if isinstance(lz, float) and isinstance(ref, float) and ref > 0 else f"{'n/a':>12s}"
            best = min(others) if others else None
            ratio_best = f"{lz / best:13.2f}" if isinstance(lz, float) and best and best > 0 else f"{'n/a':>13s}"
            print(f"{r['event']:36s} {r['floor']:8.1f} " + " ".join(cells) + f" {ratio_ref} {ratio_best} {ratio_entry}")
        if app_name.endswith("ASGI") or app_name == "FastAPI":
            print("   (zappa's ASGI handler creates a new event loop for every request)")
        for r in subset:
            if "decode" in r:
                print(f"   {r['event']}: decoding the base64 body alone costs {r['decode']:.1f} µs "
                      "of every adapter's overhead")
        notes = {p: v for r in subset for p, v in r["peers"].items() if isinstance(v, str)}
        for p, v in notes.items():
            print(f"   {p}: {v}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (rougher figures)")
    parser.add_argument("--json", metavar="FILE", help="also write the raw figures as JSON")
    parser.add_argument("--only", metavar="APPS", help="comma list: wsgi, flask, asgi, fastapi")
    parser.add_argument("--no-imports", action="store_true", help="skip the import-cost runs")
    parser.add_argument("--fresh", action="store_true",
                        help="give every call a newly parsed event, as Lambda does (parsed before each timed round)")
    parser.add_argument("--runs", type=int, default=1, metavar="N",
                        help="measure N times and print the median of each figure")
    args = parser.parse_args()
    print(f"bench/adapters.py on Python {sys.version.split()[0]} ({sys.executable})", flush=True)
    # Peers are imported from site-packages, which pip compiled at install time; lz ships compiled
    # in its bundles too, so compile the checkout here (this machine may set
    # PYTHONDONTWRITEBYTECODE, which would otherwise make lz recompile on every import).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "lz")], check=True)
    runs = []
    for run in range(max(1, args.runs)):
        if args.runs > 1:
            print(f"run {run + 1} of {args.runs}", flush=True)
        runs.append(measure(args.quick, args.only, args.fresh))
    rows = median_rows(runs) if len(runs) > 1 else runs[0]
    if len(runs) > 1:
        print(f"\nEach figure below is the median of {len(runs)} runs (the ratios are of those medians).")
    report(rows, args.fresh)
    if args.no_imports:
        return
    print()
    print("## import cost (ms over a bare interpreter, best of 15, python -X importtime)")
    imports = {}
    for module in ("lz.adapter", "apig_wsgi", "serverless_wsgi", "mangum", "zappa.handler"):
        cost = import_cost_ms(module, 5 if args.quick else 15)
        imports[module] = cost
        print(f"   {module:18s} {'not installed' if cost is None else f'{cost:6.2f} ms'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "imports": imports}, indent=1))


if __name__ == "__main__":
    main()
