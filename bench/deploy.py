"""A first deploy and unchanged redeploys of example_flask against a local moto server: wall time,
AWS calls, code uploads (the user's case: run `lz deploy` again with nothing changed).

    .venv/bin/python bench/deploy.py                # needs moto[server] (pip install -e '.[test]')
    .venv/bin/python bench/deploy.py --latency 80   # each AWS call delayed 80 ms, as on real AWS

moto answers a call in ~5 ms where AWS takes 50-150 ms, so against bare moto the number of calls
one after another hardly shows; --latency puts a small proxy in front of moto
(tests/cli/slow_aws.py) that waits that long before forwarding each request.

"waiting" is the time in which at least one call of the run was being delayed by the proxy: the
part of the run that latency costs (the apply's steps run as a graph, so calls of independent
steps overlap); "cpu" is the CPU time of the `lz deploy` process. On a machine other processes
keep busy, "seconds" grows far more than either: compare runs there by these two.
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
    import argparse
    import logging

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0, help="milliseconds added to every AWS call")
    parser.add_argument("--redeploys", type=int, default=3, help="unchanged redeploys after the first")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="keep PYTHONDONTWRITEBYTECODE as it is: each run compiles what it imports")
    parser.add_argument("--cold-moto", action="store_true",
                        help="time the first deploy with moto's services not yet built (see warm())")
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.cli.slow_aws import LatencyProxy

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    proxy = LatencyProxy(f"http://127.0.0.1:{port}", options.latency / 1000)
    endpoint = proxy.__enter__()
    try:
        with tempfile.TemporaryDirectory(prefix="lz-bench-deploy-") as tmp:
            project = Path(tmp) / "example_flask"
            shutil.copytree(ROOT / "example_flask", project, ignore=shutil.ignore_patterns(".lz", "__pycache__"))
            env = {**os.environ, "AWS_ENDPOINT_URL": endpoint,
                   "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                   "AWS_DEFAULT_REGION": "us-east-1", "LZ_CACHE_DIR": str(Path(tmp) / "cache")}
            if not options.no_bytecode:  # as an installed lz runs: its modules' bytecode cached
                env.pop("PYTHONDONTWRITEBYTECODE", None)
            import boto3

            def client(service: str):
                return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                                    aws_access_key_id="bench", aws_secret_access_key="bench")

            # the example's @on_s3 bucket is the user's own: it exists before lz deploys
            client("s3").create_bucket(Bucket="example-flask-uploads-dev")
            if not options.cold_moto:
                warm(client)
            cmd = [sys.executable, "-m", "lz.cli.main", "deploy", "dev", "--project", str(project)]
            # dependencies resolved beforehand: the first deploy is timed as a user's is once they
            # have packaged once (a cold resolution is bench/bundle.py's business)
            subprocess.run([*cmd[:3], "package", "dev", "--project", str(project)], env=env,
                           capture_output=True, check=True)
            # and the modules a deploy imports byte-compiled (pip does it at install; this
            # environment may not have): an untimed dry run imports them, writing their bytecode
            subprocess.run([*cmd, "--dry-run"], env=env, capture_output=True, check=True)
            runs = []
            per_service = []  # each run's calls per AWS service, as the proxy saw them
            for label in ["first deploy"] + ["unchanged redeploy"] * options.redeploys:
                before, services = proxy.calls, proxy.services.copy()
                cpu0 = _children_cpu()
                t0 = time.perf_counter()
                out = subprocess.run(cmd, env=env, capture_output=True, text=True)
                elapsed = time.perf_counter() - t0
                if out.returncode != 0:
                    raise SystemExit(out.stderr)
                calls = re.search(r"(\d+) AWS calls \((\d+) writes\), (no code uploaded|code uploaded)", out.stderr)
                runs.append((label, elapsed, calls.group(1), calls.group(2), calls.group(3), proxy.calls - before,
                             proxy.waited(t0), _children_cpu() - cpu0))
                per_service.append(proxy.services - services)
    finally:
        proxy.__exit__(None, None, None)
        server.stop()
    if options.latency:
        print(f"every AWS call delayed {options.latency:g} ms (targets at 80 ms: unchanged redeploy "
              f"<= {TARGETS['unchanged redeploy']:g} s, first deploy <= {TARGETS['first deploy']:g} s)")
    print(f"{'run':22s} {'seconds':>8s} {'waiting':>8s} {'cpu':>6s} {'AWS calls':>10s} {'writes':>7s} "
          f"{'all calls':>10s}  code")
    for label, elapsed, calls, writes, code, seen, waited, cpu in runs:
        print(f"{label:22s} {elapsed:8.2f} {waited:8.2f} {cpu:6.2f} {calls:>10s} {writes:>7s} {seen:>10d}  {code}")
    first = runs[0]
    print(f"\nfirst deploy: {first[1]:.2f} s{against('first deploy', first[1], options.latency)}, of which "
          f"{first[6]:.2f} s waiting on AWS; {first[2]} AWS calls, {first[3]} writes")
    if runs[1:]:
        best = min(runs[1:], key=lambda r: r[1])
        print(f"unchanged redeploy: best {best[1]:.2f} s{against('unchanged redeploy', best[1], options.latency)}, "
              f"of which {best[6]:.2f} s waiting on AWS; {runs[-1][2]} AWS calls, {runs[-1][3]} writes, "
              f"{runs[-1][4]}")
    print("'all calls' adds the stage lock's and the endpoint's (what the proxy saw)")
    print("\ncalls per service (first deploy; last unchanged redeploy):")
    for label, seen in [("first deploy", per_service[0])] + ([("redeploy", per_service[-1])] if runs[1:] else []):
        print(f"  {label:14s} " + ", ".join(f"{service} {n}" for service, n in sorted(seen.items())))


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes: the deploy's own work."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def warm(client) -> None:
    """One read per service the deploy uses, straight to moto (not through the proxy, not counted):
    moto builds each service's backend on its first call, seconds of CPU on a busy machine (SSM's
    default parameters, API Gateway, Lambda, IAM's ~1,600 managed policies). That is the emulator's
    cost, not AWS's; left in, it lands on whichever deploy comes first and hides what users feel."""
    for service, read in [("ssm", lambda c: c.describe_parameters()), ("iam", lambda c: c.list_roles()),
                          ("lambda", lambda c: c.list_functions()), ("logs", lambda c: c.describe_log_groups()),
                          ("apigatewayv2", lambda c: c.get_apis()), ("apigateway", lambda c: c.get_rest_apis()),
                          ("events", lambda c: c.list_rules()), ("sqs", lambda c: c.list_queues()),
                          ("sns", lambda c: c.list_topics()), ("stepfunctions", lambda c: c.list_state_machines()),
                          ("sts", lambda c: c.get_caller_identity())]:
        read(client(service))


TARGETS = {"first deploy": 5.0, "unchanged redeploy": 1.5}  # seconds, at --latency 80 (issue 15)


def against(label: str, seconds: float, latency: float) -> str:
    """' (target <= N s: met / missed)' at the latency the targets are set for, else nothing."""
    if latency != 80:
        return ""
    target = TARGETS[label]
    return f" (target <= {target:g} s: {'met' if seconds <= target else 'missed'})"


if __name__ == "__main__":
    main()
