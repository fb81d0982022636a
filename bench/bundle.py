"""Bundles of the two example apps, built by lz and by Zappa in the same run.

    .venv/bin/python bench/bundle.py            # lz's tooling venv; Zappa gets a throwaway venv

For each app: lz's cold build (its own cache empty; uv's download cache as it is), warm rebuild,
zipped size, and cold start (process start to first response, under the local Lambda runtime in
Python 3.13, bundles taking turns, best of 10) with and without target bytecode; then `zappa package` of the same app, from a venv
holding the app's requirements and Zappa, with its size, build time and cold start under the same
local runtime. Best of a few runs each.
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
                elapsed = (time.perf_counter() - t0) * 1000
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="cold starts per bundle (best is kept)")
    parser.add_argument("--no-zappa", action="store_true")
    args = parser.parse_args()
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
