"""What reading the stage's secrets costs a cold start: lz's standard-library SigV4 client against
boto3 (what a function without lz would import to read them), each in a fresh interpreter, the two
taking turns, median of N; and the whole read of three secrets (two SSM parameters in one
GetParameters, one Secrets Manager secret) through a local moto server, lz's client vs boto3.

    .venv/bin/python bench/secret_reads.py            # ~1 minute
    .venv/bin/python bench/secret_reads.py --quick

Figures are ratios measured in the same run (boto3 / lz), never absolute targets.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LZ_READ = """
import time; t0 = time.perf_counter()
from lz.runtime.secrets import references, resolve
from lz.runtime.sigv4 import call
values = resolve(references(REFS), call)
assert len(values) == 3
print((time.perf_counter() - t0) * 1000)
"""
BOTO3_READ = """
import time; t0 = time.perf_counter()
import boto3, json
ssm = boto3.client("ssm"); sm = boto3.client("secretsmanager")
p = ssm.get_parameters(Names=["/bench/a", "/bench/b"], WithDecryption=True)["Parameters"]
s = json.loads(sm.get_secret_value(SecretId="bench/s")["SecretString"])["k"]
assert len(p) == 2 and s
print((time.perf_counter() - t0) * 1000)
"""
REFS = '{"A": "ssm:/bench/a", "B": "ssm:/bench/b", "S": "secretsmanager:bench/s#k"}'


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(code: str, env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", code.replace("REFS", repr(REFS))], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    rounds = 5 if parser.parse_args().quick else 21
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
    port = _port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {**os.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
           "PYTHONPATH": str(ROOT)}
    try:
        import boto3

        kw = {"region_name": "us-east-1", "endpoint_url": env["AWS_ENDPOINT_URL"],
              "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        boto3.client("ssm", **kw).put_parameter(Name="/bench/a", Value="1", Type="SecureString")
        boto3.client("ssm", **kw).put_parameter(Name="/bench/b", Value="2", Type="String")
        boto3.client("secretsmanager", **kw).create_secret(Name="bench/s", SecretString='{"k": "v"}')
        lz_ms, boto_ms = [], []
        for _ in range(rounds):  # taking turns, so the machine's load falls on both alike
            lz_ms.append(_run(LZ_READ, env))
            boto_ms.append(_run(BOTO3_READ, env))
    finally:
        server.stop()
    lz_median, boto_median = statistics.median(lz_ms), statistics.median(boto_ms)
    print(f"reading 3 secrets at cold start (import + calls to a local moto), median of {rounds}:")
    print(f"  lz runtime client  {lz_median:8.1f} ms")
    print(f"  boto3              {boto_median:8.1f} ms")
    print(f"  boto3 / lz         {boto_median / lz_median:8.1f}x")


if __name__ == "__main__":
    main()
