"""How long `lz package` takes, step by step, cold and warm, beside another checkout of lz.

    git worktree add /tmp/lz-head HEAD                   # the code to compare against
    .venv/bin/python bench/bundle.py --heavy --cold --baseline /tmp/lz-head --builds 5
    git worktree remove /tmp/lz-head

Run through bench/bundle.py (`--heavy` and/or `--cold`; see its --help). For each app (the heavy one:
numpy, pandas, Pillow, pydantic, cryptography, flask; and example_flask) and each checkout (this
one, and `--baseline`), the builds take turns round after round, so drift in the machine's load
hits both alike:

- cold: lz's build caches (deps/ and bytecode/ under LZ_CACHE_DIR) removed first; uv's download
  cache as it is, so no network time is measured;
- warm: the same build again, after a one-line edit of app.py (what a developer rebuilds for);
- deps changed (heavy app only): one more requirement, so the dependencies are installed, compiled
  and zipped again, but every wheel that stayed the same was compiled before.

Each build runs in a process of its own (`python -c DRIVER` with the checkout first on sys.path) and
reports its wall time, its CPU time (its own and all its descendants': compiler workers, uv, and
compileall's forkserver pool, reaped through PR_SET_CHILD_SUBREAPER), and its steps: a checkout whose Bundle has `phases` reports them; an older one is timed by wrapping its
functions (uv and what follows it, strip_tests, compile_tree, archive.write). Medians and bests are
printed, and the ratio of this checkout's median to the baseline's.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DRIVER = r"""
import ctypes, json, os, resource, sys, time
from pathlib import Path
try:  # PR_SET_CHILD_SUBREAPER: orphaned descendants (compileall's forkserver and its pool) are
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # reaped here, so their CPU time is counted too
except (OSError, AttributeError):
    pass
import lz.cli.bundle as bundle
from lz.cli.bundle import archive, deps
from lz.cli.settings import load

def cpu():
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

spent, inside = {}, []
def probe(module, name, label, only_inside=False):
    original = getattr(module, name, None)
    if original is None:
        return
    def timed(*args, **kwargs):
        if only_inside and not inside:
            return original(*args, **kwargs)
        start = time.perf_counter()
        inside.append(label)
        try:
            return original(*args, **kwargs)
        finally:
            inside.pop()
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - start
    setattr(module, name, timed)

legacy = "phases" not in getattr(bundle.Bundle, "__dataclass_fields__", {})
if legacy:
    probe(deps, "_install", "install")
    probe(deps, "strip_tests", "strip")
    probe(deps, "compile_tree", "compile")
    probe(archive, "write", "zip", only_inside=True)
    probe(deps, "prepare", "dependencies")
stage = load(Path(sys.argv[1]), "dev")
before, start = cpu(), time.perf_counter()
built = bundle.build(stage, Path(sys.argv[2]), on_wait=lambda message: None)
wall = time.perf_counter() - start
for _ in range(200):  # reap what was left to this process
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if pid == 0:
        time.sleep(0.01)
used = cpu() - before
if legacy:
    phases = {"dependencies": spent.get("dependencies", 0.0)}
    if "install" in spent:
        inner = sum(spent.get(k, 0.0) for k in ("strip", "compile", "zip"))
        phases["dependencies: install"] = spent["install"] - inner
        phases["dependencies: strip"] = spent.get("strip", 0.0)
        phases["dependencies: compile+zip"] = spent.get("compile", 0.0) + spent.get("zip", 0.0)
    phases["bundle"] = wall - phases["dependencies"]
else:
    phases = {k: v for k, v in built.phases.items() if k not in ("total", "collect")}
print(json.dumps({"wall": wall, "cpu": used, "phases": phases, "cached": built.deps_cached,
                  "size": built.zipped}))
"""

HEAVY = "numpy\npandas\npillow\npydantic\ncryptography\nflask\n"
HELLO = """def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]
"""
SHOWN = ("dependencies: install", "dependencies: strip", "dependencies: compile+zip", "bundle")


def _app(work: Path, name: str) -> Path:
    project = work / name
    if name == "heavy":
        project.mkdir()
        (project / "app.py").write_text(HELLO)
        (project / "requirements.txt").write_text(HEAVY)
        (project / "lz_settings.json").write_text(json.dumps({"dev": {"app": "app:app"}}))
    else:
        shutil.copytree(ROOT / name, project, ignore=shutil.ignore_patterns(".lz", "__pycache__"))
    return project


def _build(checkout: Path, project: Path, cache: Path, out: Path, jobs: str | None) -> dict:
    env = {**os.environ, "LZ_CACHE_DIR": str(cache), "PYTHONPATH": str(checkout)}
    if jobs:
        env["LZ_BUILD_JOBS"] = jobs
    result = subprocess.run([sys.executable, "-c", DRIVER, str(project), str(out)], cwd=checkout,
                            env=env, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise SystemExit(f"build with {checkout} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _clear(cache: Path) -> None:
    for name in ("deps", "bytecode"):
        shutil.rmtree(cache / name, ignore_errors=True)


def _edit(project: Path, n: int) -> None:
    with open(project / "app.py", "a") as handle:
        handle.write(f"# edit {n}\n")


def measure(work: Path, apps: list[str], checkouts: dict[str, Path], builds: int, cold_only: bool,
            jobs: str | None) -> dict:
    """{(app, kind, checkout): [result, ...]}, the checkouts taking turns round after round."""
    results: dict[tuple[str, str, str], list[dict]] = {}
    for app in apps:
        projects = {}
        for label in checkouts:
            (work / label).mkdir(exist_ok=True)
            projects[label] = _app(work / label, app)
        for round_ in range(builds):
            for label, checkout in checkouts.items():
                cache, project = work / label / f"cache-{app}", projects[label]
                _clear(cache)
                if app == "heavy":
                    (project / "requirements.txt").write_text(HEAVY)
                out = work / label / f"{app}.zip"
                results.setdefault((app, "cold", label), []).append(_build(checkout, project, cache, out, jobs))
                if cold_only:
                    continue
                _edit(project, round_)
                results.setdefault((app, "warm", label), []).append(_build(checkout, project, cache, out, jobs))
                if app == "heavy":
                    (project / "requirements.txt").write_text(HEAVY + "six\n")
                    results.setdefault((app, "deps changed", label), []).append(
                        _build(checkout, project, cache, out, jobs))
            print(f"  {app}: round {round_ + 1} of {builds} done", flush=True)
    return results


def report(results: dict, checkouts: dict[str, Path]) -> None:
    labels = list(checkouts)
    by_case: dict[tuple[str, str], dict[str, list[dict]]] = {}
    for (app, kind, label), runs in results.items():
        by_case.setdefault((app, kind), {})[label] = runs
    for (app, kind), per in by_case.items():
        print(f"\n## {app}, {kind} build ({len(next(iter(per.values())))} builds each; median [best])")
        header = f"   {'':26s}" + "".join(f"{label:>22s}" for label in labels)
        if len(labels) == 2:
            header += f"{'ratio ' + labels[0] + '/' + labels[1]:>24s}"
        print(header)
        rows = [("wall s", lambda r: r["wall"]), ("cpu s", lambda r: r["cpu"])]
        rows += [(name, (lambda r, n=name: r["phases"].get(n, 0.0))) for name in SHOWN
                 if any(name in r["phases"] for runs in per.values() for r in runs)]
        rows.append(("zipped MiB", lambda r: r["size"] / 2**20))
        for name, pick in rows:
            medians = []
            line = f"   {name:26s}"
            for label in labels:
                values = [pick(r) for r in per.get(label, [])]
                median = statistics.median(values) if values else float("nan")
                medians.append(median)
                line += f"{median:12.2f} [{min(values) if values else float('nan'):6.2f}]  "
            if len(labels) == 2 and medians[1]:
                line += f"{medians[0] / medians[1]:20.2f}"
            print(line)


def main(work: Path, heavy: bool, cold_only: bool, baseline: Path | None, builds: int,
         jobs: str | None) -> None:
    checkouts = {"this": ROOT}
    if baseline is not None:
        if not (baseline / "lz" / "cli" / "bundle").is_dir():
            raise SystemExit(f"--baseline {baseline}: not a checkout of lz (no lz/cli/bundle/ in it)")
        checkouts["baseline"] = baseline.resolve()
    apps = ["heavy", "example_flask"] if heavy else ["example_flask"]
    report(measure(work, apps, checkouts, builds, cold_only, jobs), checkouts)
