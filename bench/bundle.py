"""Bundles of the two example apps, built by lz and by Zappa in the same run.

    .venv/bin/python bench/bundle.py            # lz's tooling venv; Zappa gets a throwaway venv

For each app: lz's cold build (its own cache empty; uv's download cache as it is), warm rebuild,
zipped size, and cold start (process start to first response, under the local Lambda runtime in
Python 3.13, bundles taking turns, best of 10) with and without target bytecode; then `zappa package` of the same app, from a venv
holding the app's requirements and Zappa, with its size, build time and cold start under the same
local runtime. Best of a few runs each.

    .venv/bin/python bench/bundle.py --tests    # dependencies' test folders: left out vs kept

    .venv/bin/python bench/bundle.py --heavy --cold --baseline /tmp/lz-head   # build speed

`--heavy`, `--cold`, `--baseline DIR`, `--builds N`: how long builds take, step by step (install,
strip, compile+zip, bundle), cold and warm, for the heavy app and example_flask, beside another
checkout of lz measured in the same run (see bench/bundle_speed.py).

`--tests` builds a heavy app (numpy, pandas, Pillow, ...) twice, once as lz does by default
(dependencies' tests/ left out) and once with "keep_tests": ["*"], and prints each bundle's
unzipped size, file count and cold build time; then it imports every top-level package of the
stripped bundle under the local Lambda runtime, to show that nothing needed was removed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lz.cli.local.runner import LocalFunction  # noqa: E402
from lz.cli.pythons import find_python  # noqa: E402
from tests.builders import make  # noqa: E402

EXAMPLES = {"flask": ("example_flask", "/api/items"), "fastapi": ("example_fastapi", "/api/items/")}


def lz_package(project: Path, out: Path, env: dict, *extra: str) -> float:
    t0 = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "lz.cli.main", "package", "dev", "--project",
                             str(project), "-o", str(out), *extra], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return time.perf_counter() - t0


def cold_starts(bundles: dict[str, tuple[Path, str, str]], path: str, runs: int) -> dict[str, float | str]:
    """Best cold start (ms, process start to first response) of each bundle, the bundles taking
    turns run after run so that drift in the machine's load hits them alike."""
    best: dict[str, float | str] = {name: float("inf") for name in bundles}
    for _ in range(runs):
        for name, (bundle, handler, kind) in bundles.items():
            if isinstance(best[name], str):
                continue
            with LocalFunction(bundle, "3.13", handler=handler, timeout=60) as fn:
                t0 = time.perf_counter()
                inv = fn.invoke(make(kind, path=path, stage="dev" if kind == "rest_v1" else None))
                # Up to the answer's arrival: the runner's wait for the last log lines is not
                # part of the cold start.
                elapsed = (inv.answered_at - t0) * 1000
            if not inv.ok or inv.result.get("statusCode") != 200:
                best[name] = f"n/a ({inv.describe()[:60]})"
            else:
                best[name] = min(best[name], elapsed)
    return best


def zappa_bundle(example: str, work: Path) -> tuple[Path, float] | str:
    python = find_python("3.13")
    if python is None:
        return "n/a (no Python 3.13)"
    venv = work / f"zappa-venv-{example}"
    if not (venv / "bin" / "zappa").exists():
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        reqs = (ROOT / example / "requirements.txt").read_text().split()
        out = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "zappa", *reqs],
                             capture_output=True, text=True)
        if out.returncode != 0:
            return f"n/a (pip install zappa failed: {out.stderr.strip()[-80:]})"
    app_dir = work / f"zappa-{example}"
    shutil.rmtree(app_dir, ignore_errors=True)
    app_dir.mkdir()
    source = (ROOT / example / "app.py").read_text()
    source = source.replace("from lz import adapt\n", "").replace("handler = adapt(app)\n", "")
    (app_dir / "app.py").write_text(source)
    (app_dir / "zappa_settings.json").write_text(json.dumps({"dev": {
        "app_function": "app.app", "s3_bucket": "lz-bench-unused", "runtime": "python3.13",
        "aws_region": "us-east-1", "project_name": f"bench-{example}"}}))
    env = {**os.environ, "VIRTUAL_ENV": str(venv), "PATH": f"{venv}/bin:{os.environ['PATH']}",
           "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    out_zip = work / f"zappa-{example}.zip"
    t0 = time.perf_counter()
    result = subprocess.run([str(venv / "bin" / "zappa"), "package", "dev", "-o", str(out_zip)],
                            cwd=app_dir, env=env, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        return f"n/a (zappa package failed: {result.stderr.strip()[-80:]})"
    return out_zip, time.perf_counter() - t0


HEAVY = "numpy\npandas\npillow\npydantic\ncryptography\nflask\n"
IMPORT_ALL = """import importlib, json, os

def app(environ, start_response):
    here = os.path.dirname(os.path.abspath(__file__))
    failed, tried = {}, []
    for entry in sorted(os.listdir(here)):
        name = entry.split(".")[0]
        if name.startswith("_") or name in ("app", "lz_handler") or entry.endswith(".dist-info"):
            continue
        is_dir = os.path.isdir(os.path.join(here, entry))
        if not (is_dir and "." not in entry or not is_dir and entry.endswith((".py", ".pyc"))):
            continue  # pillow.libs/, numpy.libs/: shared libraries, not packages
        tried.append(name)
        try:
            importlib.import_module(name)
        except Exception as exc:
            failed[name] = repr(exc)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"tried": tried, "failed": failed}).encode()]
"""


def test_folders(work: Path) -> None:
    """Stripped vs kept test folders of a heavy app's dependencies."""
    import zipfile

    project = work / "heavy"
    project.mkdir()
    (project / "app.py").write_text(IMPORT_ALL)
    (project / "requirements.txt").write_text(HEAVY)
    (project / "lz_settings.json").write_text(json.dumps({
        "dev": {"app": "app:app"}, "kept": {"extends": "dev", "keep_tests": ["*"]}}))
    env = {**os.environ, "LZ_CACHE_DIR": str(work / "cache-heavy")}
    rows = {}
    for stage in ("dev", "kept"):
        out = work / f"heavy-{stage}.zip"
        t0 = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "lz.cli.main", "package", stage, "--project",
                                 str(project), "-o", str(out)], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(result.stderr)
        seconds = time.perf_counter() - t0
        with zipfile.ZipFile(out) as zf:
            infos = zf.infolist()
        tests = [i for i in infos if "/tests/" in i.filename or "/test/" in i.filename]
        rows[stage] = (seconds, sum(i.file_size for i in infos), len(infos), out.stat().st_size,
                       sum(i.file_size for i in tests), len(tests))
    print("## heavy app: " + HEAVY.strip().replace("\n", ", "))
    for stage, (seconds, unzipped, count, zipped, test_bytes, test_count) in rows.items():
        label = "tests left out (default)" if stage == "dev" else 'keep_tests ["*"]'
        print(f"   {label:26s} cold build {seconds:6.1f} s  unzipped {unzipped / 2**20:7.1f} MiB in "
              f"{count:6d} files  zipped {zipped / 2**20:6.1f} MiB  (test folders: "
              f"{test_bytes / 2**20:.1f} MiB in {test_count} files)")
    with LocalFunction(work / "heavy-dev.zip", "3.13", timeout=120) as fn:
        answer = fn.invoke(make("http_v2", path="/"))
    if not answer.ok:
        raise SystemExit(answer.describe())
    body = json.loads(answer.result["body"])
    print(f"   imported {len(body['tried'])} top-level packages of the stripped bundle under the local "
          f"runtime: {len(body['failed'])} failed {body['failed'] or ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="cold starts per bundle (best is kept)")
    parser.add_argument("--no-zappa", action="store_true")
    parser.add_argument("--tests", action="store_true",
                        help="only measure leaving out the dependencies' test folders (heavy app)")
    parser.add_argument("--heavy", action="store_true",
                        help="build speed of the heavy app (numpy, pandas, ...) and example_flask")
    parser.add_argument("--cold", action="store_true",
                        help="build speed, cold builds only (lz's build caches removed before each)")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="another checkout of lz (git worktree add DIR HEAD) built in the same run")
    parser.add_argument("--builds", type=int, default=3, help="builds of each kind per checkout")
    parser.add_argument("--jobs", help="LZ_BUILD_JOBS for the builds (default: one per CPU)")
    args = parser.parse_args()
    if args.heavy or args.cold or args.baseline:
        from bench.bundle_speed import main as speed

        with tempfile.TemporaryDirectory(prefix="lz-bench-") as tmp:
            speed(Path(tmp), args.heavy, args.cold, args.baseline, args.builds, args.jobs)
        return
    if args.tests:
        with tempfile.TemporaryDirectory(prefix="lz-bench-") as tmp:
            test_folders(Path(tmp))
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="lz-bench-") as tmp:
        work = Path(tmp)
        for name, (example, path) in EXAMPLES.items():
            project = work / example
            shutil.copytree(ROOT / example, project, ignore=shutil.ignore_patterns(".lz", "__pycache__"))
            env = {**os.environ, "LZ_CACHE_DIR": str(work / f"cache-{name}")}
            out = work / f"{name}.zip"
            cold = lz_package(project, out, env)
            warm = min(lz_package(project, out, env) for _ in range(3))
            plain = work / f"{name}-sources.zip"
            lz_package(project, plain, env, "--no-bytecode")
            row = {"app": name, "cold build s": cold, "warm rebuild s": warm,
                   "zipped MiB": out.stat().st_size / 2**20}
            bundles = {"cold start ms (bytecode)": (out, "lz_handler.handler", "http_v2"),
                       "cold start ms (sources)": (plain, "lz_handler.handler", "http_v2")}
            if not args.no_zappa:
                built = zappa_bundle(example, work)
                if isinstance(built, str):
                    row["zappa"] = built
                else:
                    zip_path, seconds = built
                    row["zappa build s"] = seconds
                    row["zappa zipped MiB"] = zip_path.stat().st_size / 2**20
                    bundles["zappa cold start ms"] = (zip_path, "handler.lambda_handler", "rest_v1")
            row.update(cold_starts(bundles, path, args.runs))
            rows.append(row)
            print(f"  measured {name}", flush=True)
    print()
    for row in rows:
        print(f"## {row['app']}")
        for key, value in row.items():
            if key != "app":
                print(f"   {key:28s} {value:10.2f}" if isinstance(value, float) else f"   {key:28s} {value}")
        ratio = row["cold start ms (bytecode)"], row["cold start ms (sources)"]
        if all(isinstance(v, float) for v in ratio):
            print(f"   {'cold start bytecode/sources':28s} {ratio[0] / ratio[1]:10.2f}")
        if isinstance(row.get("zappa zipped MiB"), float):
            print(f"   {'size lz/zappa':28s} {row['zipped MiB'] / row['zappa zipped MiB']:10.2f}")
            print(f"   {'build lz cold/zappa':28s} {row['cold build s'] / row['zappa build s']:10.2f}")
            if isinstance(row.get("zappa cold start ms"), float) and isinstance(ratio[0], float):
                print(f"   {'cold start lz/zappa':28s} {ratio[0] / row['zappa cold start ms']:10.2f}")


if __name__ == "__main__":
    main()
