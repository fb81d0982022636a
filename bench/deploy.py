"""An unchanged redeploy of example_flask against a local moto server: wall time, AWS calls, code
uploads (the user's case: run `lz deploy` again with nothing changed).

    .venv/bin/python bench/deploy.py        # needs moto[server] (pip install -e '.[test]')
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="lz-bench-deploy-") as tmp:
            project = Path(tmp) / "example_flask"
            shutil.copytree(ROOT / "example_flask", project, ignore=shutil.ignore_patterns(".lz", "__pycache__"))
            env = {**os.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                   "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                   "AWS_DEFAULT_REGION": "us-east-1", "LZ_CACHE_DIR": str(Path(tmp) / "cache")}
            import boto3

            # the example's @on_s3 bucket is the user's own: it exists before lz deploys
            boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                         aws_access_key_id="bench", aws_secret_access_key="bench").create_bucket(
                Bucket="example-flask-uploads-dev")
            cmd = [sys.executable, "-m", "lz.cli.main", "deploy", "dev", "--project", str(project)]
            runs = []
            for label in ["first deploy", "unchanged redeploy", "unchanged redeploy", "unchanged redeploy"]:
                t0 = time.perf_counter()
                out = subprocess.run(cmd, env=env, capture_output=True, text=True)
                elapsed = time.perf_counter() - t0
                if out.returncode != 0:
                    raise SystemExit(out.stderr)
                calls = re.search(r"(\d+) AWS calls \((\d+) writes\), (no code uploaded|code uploaded)", out.stderr)
                runs.append((label, elapsed, calls.group(1), calls.group(2), calls.group(3)))
    finally:
        server.stop()
    print(f"{'run':22s} {'seconds':>8s} {'AWS calls':>10s} {'writes':>7s}  code")
    for label, elapsed, calls, writes, code in runs:
        print(f"{label:22s} {elapsed:8.2f} {calls:>10s} {writes:>7s}  {code}")
    best = min(r[1] for r in runs[1:])
    print(f"\nunchanged redeploy: best {best:.2f} s (target <= 2 s), "
          f"{runs[-1][2]} AWS calls, {runs[-1][3]} writes, {runs[-1][4]}")


if __name__ == "__main__":
    main()
