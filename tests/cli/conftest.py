from __future__ import annotations

import json
import os
import socket
import urllib.request
import shutil
import subprocess
import tempfile
import sys
from pathlib import Path

import pytest

from lz.cli.pythons import find_python

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


@pytest.fixture(scope="session")
def lz_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment lz commands run with: a cache of their own for this test session."""
    cache = tmp_path_factory.mktemp("lz-cache")
    env = {**os.environ, "LZ_CACHE_DIR": str(cache)}
    os.environ["LZ_CACHE_DIR"] = str(cache)  # for in-process helpers (LocalFunction's ric cache)
    return env


def lz(env: dict[str, str], *args: str, cwd: Path | None = None,
       input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lz.cli.main", *args], cwd=cwd or ROOT, env=env,
                          capture_output=True, text=True, timeout=600, input=input)


def project_copy(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copytree(ROOT / name, dest, ignore=shutil.ignore_patterns(".lz", "__pycache__"))
    return dest


def make_project(tmp_path: Path, settings: dict, files: dict[str, str] | None = None) -> Path:
    """A project under tmp_path/proj: its lz_settings.json and the given files (parents made)."""
    import json

    project = tmp_path / "proj"
    project.mkdir(parents=True, exist_ok=True)
    (project / "lz_settings.json").write_text(json.dumps(settings))
    for rel, text in (files or {}).items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    return project


def need_python(version: str) -> str:
    python = find_python(version)
    if python is None:
        print(f"SKIP reason: no Python {version} on PATH, in pyenv or through uv")
        pytest.skip(f"Python {version} not found (PATH, pyenv, uv python find)")
    return python


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint() -> str:
    """A moto server on a free port of 127.0.0.1, for the whole session (reset per test)."""
    moto_server = pytest.importorskip("moto.server")
    port = free_port()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # AWS's own policies (VPC access, X-Ray)
    from moto.moto_api import recorder

    # moto's request recorder (started by the tests that assert what a bundle sent) writes here
    recorder._location = str(Path(tempfile.mkdtemp(prefix="moto-recording-")) / "requests.jsonl")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def reset_moto(endpoint: str) -> None:
    """An empty moto, plus what the user would own before lz runs: the example's @on_s3 bucket."""
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    # moto runs no Lambda code (that is the local runtime's job): invocations are only recorded
    urllib.request.urlopen(urllib.request.Request(
        f"{endpoint}/moto-api/config", data=json.dumps({"lambda": {"use_docker": False}}).encode(),
        method="POST"))
    import boto3

    s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint, aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    s3.create_bucket(Bucket="example-flask-uploads-dev")  # UPLOADS_BUCKET of example_flask's dev


@pytest.fixture
def aws_env(lz_env, moto_endpoint, monkeypatch) -> dict[str, str]:
    reset_moto(moto_endpoint)
    env = {**lz_env, "AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}
    env.pop("AWS_PROFILE", None)
    for key, value in env.items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return env


def moto_requests(endpoint: str, action: str) -> list[dict]:
    """start: record every request moto gets from now on; stop: stop and return them (decoded)."""
    import base64

    if action == "start":
        for step in ("reset-recording", "start-recording"):
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/recorder/{step}", method="POST"))
        return []
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/recorder/stop-recording", method="POST"))
    text = urllib.request.urlopen(f"{endpoint}/moto-api/recorder/download-recording").read().decode()
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    for entry in entries:
        if entry.get("body_encoded"):
            entry["body"] = base64.b64decode(entry["body"])
    return entries
