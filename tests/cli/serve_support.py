"""Running `lz serve` as a user does, for the tests/cli/test_serve_*.py modules: a subprocess on a
free port, a real HTTP client, and a raw socket for requests no client library will send."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.cli.conftest import ROOT, free_port


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, data: bytes | None = None, headers: dict | None = None, timeout: float = 10):
    """(status, headers, body); HTTP errors are answers too."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class Server:
    """`lz serve ARGS --port P` in a subprocess, its combined output collected as it arrives."""

    def __init__(self, args: list[str], cwd: Path = ROOT, env: dict | None = None,
                 timeout: float = 30) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environment = dict(env or os.environ)
        environment.setdefault("PYTHONUNBUFFERED", "1")
        # the lz under test, wherever the subprocess starts
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT)] + [p for p in environment.get("PYTHONPATH", "").split(os.pathsep) if p])
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lz.cli.main", "serve", *args, "--port", str(self.port)],
            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment)
        self._lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    self._reader.join(5)
                    pytest.fail(f"lz serve exited ({self.proc.returncode}):\n{self.output}")
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"lz serve did not listen within {timeout} s:\n{self.output}")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self._lines)

    def wait_for_output(self, text: str, timeout: float = 20) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output:
                return True
            time.sleep(0.1)
        return False

    def get(self, path: str, **kwargs):
        return fetch(self.base + path, **kwargs)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._reader.join(5)
        return self.output

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def raw_request(port: int, head: str, body: bytes = b"", timeout: float = 10) -> bytes:
    """Send `head` (CRLF line endings added) and `body` as is; return all the server answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode("latin-1") + b"\r\n" + body)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                    break
        except socket.timeout:
            pass
        return b"".join(chunks)


def _complete(data: bytes) -> bool:
    """Whether `data` holds a whole response with a Content-Length (or any 1xx line)."""
    head, _, rest = data.partition(b"\r\n\r\n")
    if head.startswith(b"HTTP/1.1 1"):
        return True
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(rest) >= int(value.strip())
    return False


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])
