from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

import pytest

from lz.adapter import ASGIAdapter, WSGIAdapter
from tests import apps
from tests.builders import Context, response_body

FRONTS = ("wsgi", "asgi")
MEMORY = Path("/dev/shm")  # tmpfs on Linux
MEMORY_NEEDED = 4 << 30  # bytes free there before the suite's temporary files may go there


def pytest_configure(config: pytest.Config) -> None:
    """Temporary files in memory: unless TMPDIR is set, the session's temporary folders (tmp_path,
    lz's session cache) and every temporary file of the lz commands and local runtimes the tests
    start go under /dev/shm when it has room.

    The suite creates hundreds of thousands of files (bundles built, unpacked by the local runtime
    and removed again, dependencies installed into caches); on a disk each create or mkdir costs a
    syscall of 0.2-0.5 ms here, which made the Django tests spend 40 s in the kernel (4 s in memory).
    Set TMPDIR to choose another place. Workers of pytest-xdist inherit the variable.
    """
    if os.environ.get("TMPDIR") or not MEMORY.is_dir() or not os.access(MEMORY, os.W_OK):
        return
    stat = os.statvfs(MEMORY)
    if stat.f_bavail * stat.f_frsize < MEMORY_NEEDED:
        return
    root = MEMORY / f"lz-tests-{os.getuid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    os.environ["TMPDIR"] = str(root)  # the lz commands, uv and local runtimes the tests start
    tempfile.tempdir = str(root)  # this process: pytest's tmp_path, tempfile.mkdtemp


@pytest.hookimpl(optionalhook=True)  # a pytest without pytest-xdist (tests/adapter/test_target_pythons.py)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pyproject's addopts): one pytest-xdist worker more than the CPUs this process may
    use. Half of a worker's time goes to waiting (lz commands starting, local runtimes, servers,
    timeouts the tests provoke); the extra worker fills it: on 2 CPUs, 3 workers ran the suite in
    4.6 min where 2 took 6.3. PYTEST_XDIST_AUTO_NUM_WORKERS overrides this."""
    chosen = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if chosen:
        return int(chosen)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cpus + 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked slow go first, each group in its collected order (a stable sort, the same in
    every pytest-xdist worker): the minute-long ones start at once and the many quick ones fill
    the gaps, instead of one worker finishing on a long test while the other sits idle."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(params=FRONTS)
def front(request: pytest.FixtureRequest) -> str:
    return request.param


def echo_handler(front: str, **options: Any) -> Callable[..., dict[str, Any]]:
    if front == "wsgi":
        return WSGIAdapter(apps.wsgi_echo, **options)
    return ASGIAdapter(apps.asgi_echo, **options)


def answer_handler(front: str, status: int, headers: list[tuple[str, str]], body: bytes = b"",
                   **options: Any) -> Callable[..., dict[str, Any]]:
    if front == "wsgi":
        from http import HTTPStatus

        line = f"{status} {HTTPStatus(status).phrase}"
        return WSGIAdapter(apps.wsgi_answer(line, headers, body), **options)
    return ASGIAdapter(apps.asgi_answer(status, headers, body), **options)


def echo(front: str, event: dict[str, Any], **options: Any) -> dict[str, Any]:
    """Run `event` through the echo app of `front` and return what the app saw (normalised)."""
    result = echo_handler(front, **options)(event, Context())
    assert result["statusCode"] == 200, result
    seen = json.loads(response_body(result))
    if front == "asgi":
        # One vocabulary for both front ends: the WSGI split (script_name + path) and the query.
        root = seen["root_path"]
        assert seen["path"].startswith(root)
        seen["script_name"] = root
        seen["path"] = seen["path"][len(root):]
        seen["remote_addr"] = seen["client"][0] if seen["client"] else None
    return seen
