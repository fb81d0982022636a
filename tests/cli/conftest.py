from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from lz.cli.pythons import find_python

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
TARGET_PYTHONS = ("3.13", "3.12")  # the Lambda runtimes the tests run bundles under


@pytest.fixture(scope="session")
def lz_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment lz commands run with: a cache of their own for this test session.

    One cache for the whole session, shared by every pytest-xdist worker: dependencies resolved
    and zipped by one test are reused by the next, whichever process runs it (lz locks each cache
    entry, so two workers wanting the same dependencies resolve them once). The local runtime
    (awslambdaric and boto3 per target Python) is installed here once, under a lock, before any
    test starts a function with it.
    """
    cache = session_dir(tmp_path_factory, "lz-cache")
    env = {**os.environ, "LZ_CACHE_DIR": str(cache)}
    os.environ["LZ_CACHE_DIR"] = str(cache)  # for in-process helpers (LocalFunction's ric cache)
    with exclusive(cache / ".local-runtime.lock"):
        _install_local_runtimes()
    return env


def session_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder of the whole test session: under pytest-xdist every worker gets the same one (the
    workers' base temp folders are siblings in the session's own), without it the session's own."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    path = base / name
    path.mkdir(exist_ok=True)
    return path


@contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive flock on `lock` for the block: one pytest-xdist worker at a time."""
    import fcntl

    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install_local_runtimes() -> None:
    """awslambdaric and boto3 for each target Python found here, installed into the session's
    cache before tests start functions, so that two workers never install the same one at once."""
    from lz.cli.local.runner import ensure_ric

    for version in TARGET_PYTHONS:
        if find_python(version) is not None:
            try:
                ensure_ric(version)
            except Exception:  # noqa: BLE001 - the tests that start a function install it again and say why
                pass


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


def start_moto_server() -> tuple[Any, int]:
    """A moto ThreadedMotoServer on 127.0.0.1 and its port, which the system picks as it binds (port
    0). A port found free beforehand (free_port) can be taken by anything before the server binds
    it, and then moto's start() waits forever: its thread dies in make_server and never sets the
    event start() waits for (a slow run of CI hung there). Here a start that fails is an error."""
    import threading

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    starting = threading.Thread(target=server.start, daemon=True)
    starting.start()
    starting.join(120)
    if starting.is_alive():
        raise RuntimeError("moto's server did not start within 120 s (its thread's error is above)")
    return server, server.get_host_and_port()[1]


_MOTO: dict[str, object] = {}  # this process's one moto server: "server", "endpoint", "users"


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server on a free port of 127.0.0.1, for the whole session (reset per test).

    One per process (each pytest-xdist worker has its own), even where another conftest imports
    this fixture and so registers it a second time (tests/workflow): the server is kept here, not
    in the fixture, and stops when its last user is done.
    """
    if "server" not in _MOTO:
        pytest.importorskip("moto.server")
        import logging

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # AWS's own policies (VPC access, X-Ray)
        _managed_policies_in_the_aws_partition_only()
        _one_botocore_loader_per_data_path()
        from moto.moto_api import recorder

        # moto's request recorder (started by the tests that assert what a bundle sent) writes here,
        # in the session's folder: what it records (uploaded zips too) goes when pytest prunes it
        recorder._location = str(tmp_path_factory.mktemp("moto-recording") / "requests.jsonl")
        server, port = start_moto_server()
        _one_request_at_a_time(server)
        _MOTO.update(server=server, endpoint=f"http://127.0.0.1:{port}", users=0)
    _MOTO["users"] = int(_MOTO["users"]) + 1  # type: ignore[call-overload]
    try:
        yield str(_MOTO["endpoint"])
    finally:
        _MOTO["users"] = int(_MOTO["users"]) - 1  # type: ignore[call-overload]
        if not _MOTO["users"]:
            _MOTO.pop("server").stop()  # type: ignore[attr-defined]
            _MOTO.clear()


def _managed_policies_in_the_aws_partition_only() -> None:
    """Make moto's AWS-managed IAM policies cheap to have: parsed once, and loaded only into the
    `aws` partition, the one every test uses (us-east-1, eu-west-1).

    moto builds its IAM backend for each of its partitions (aws, aws-cn, aws-us-gov, aws-iso, ...)
    and each build parses and instantiates its ~1,600 managed policies: 10-12 builds, about 3 s of
    CPU, after every reset, i.e. in every test that deploys. Policies in the `aws` partition stay
    exactly as moto defines them; attaching one elsewhere fails with moto's NoSuchEntity, loudly.
    The server runs in this process (ThreadedMotoServer), so this configures the server itself.
    """
    from moto.iam import models

    load = getattr(models.IAMBackend, "_init_aws_policies", None)
    data = getattr(models, "aws_managed_policies_data", None)
    if load is None or data is None or getattr(load, "lz_tests", False):
        return  # another moto layout: keep its own (slower) behaviour
    parsed = json.loads(data)

    def aws_partition_only(self) -> list:
        if self.region_name != "aws" or not models.load_iam_aws_managed_policies():
            return []
        return [models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, d)
                for name, d in parsed.items()]

    aws_partition_only.lz_tests = True  # type: ignore[attr-defined]
    models.IAMBackend._init_aws_policies = aws_partition_only


def _one_botocore_loader_per_data_path() -> None:
    """Parse each AWS service model once per test process, not once per boto3 Session.

    Every in-process deploy makes a new `Aws`, so a new boto3 Session, whose botocore loader reads
    and parses each service's JSON model again (~25 ms of CPU per client: a test that deploys 37
    times spent 9 of its 11 s of client-making on it). The loader only reads botocore's data files;
    sharing it changes no request and no answer.
    """
    import botocore.session

    create = botocore.session.create_loader
    if getattr(create, "lz_tests", False):
        return
    loaders: dict[str | None, object] = {}

    def shared(search_path_string: str | None = None) -> object:
        if search_path_string not in loaders:
            loaders[search_path_string] = create(search_path_string)
        return loaders[search_path_string]

    shared.lz_tests = True  # type: ignore[attr-defined]
    botocore.session.create_loader = shared


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


LOCK_WAIT = 30  # seconds a request may wait for the one before it (botocore's read timeout is 60)


def _one_request_at_a_time(server) -> None:  # noqa: ANN001 - moto's ThreadedMotoServer
    """moto's server answers each request on a thread of its own, and its backends are not made for
    that: they read and change plain dicts and lists without a lock (IAM's CreateRole scans
    `roles.values()` while another thread may add a role; the recorder appended one request in two
    writes, so a deploy's concurrent calls interleaved their lines). A deploy sends several calls at
    once. CI's run of stop 21 failed once on a 500 page from moto (no XML, so botocore cannot even
    retry) for CreateRole while the same deploy created a second role and a log group; the
    traceback was not kept, and such a collision is the likely cause. AWS answers each API call
    atomically; one lock around each request gives this server that property, at no cost in time
    here (the whole suite, fast and slow, ran in 7 min 26 s with it). The response is written to
    the socket outside the lock; the request's body is read under it (LatencyProxy sends a whole
    request at once). A request that made moto call this same server from inside the lock (a
    synchronous Lambda invoke run by moto, a recording replayed) would wait for itself: after
    LOCK_WAIT seconds it is answered with a 500 that says so, not left to hang. The workflow
    tests' server (tests/workflow/engine.py) stays unlocked for that reason: there a Task's Lambda
    call runs the bundle, which calls that server back.
    """
    import sys
    import threading

    wsgi = server._server  # werkzeug's BaseWSGIServer, whose handler calls `wsgi.app` per request
    app = wsgi.app
    lock = threading.Lock()

    def serialized(environ: dict, start_response):  # noqa: ANN202 - a WSGI app
        if not lock.acquire(timeout=LOCK_WAIT):
            said = (f"tests' moto server: {environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')} waited "
                    f"{LOCK_WAIT} s for the request before it; a request that calls this server from inside "
                    "moto waits for itself (tests/cli/conftest.py, _one_request_at_a_time)")
            print(said, file=sys.stderr)
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [said.encode()]
        try:
            result = app(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        finally:
            lock.release()

    wsgi.app = serialized


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
