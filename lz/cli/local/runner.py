"""Run a built bundle the way Lambda does: unzipped, under `python -m awslambdaric HANDLER` in an
interpreter of the target version, against a local Runtime API; no Docker.

With an exec wrapper (AWS_LAMBDA_EXEC_WRAPPER in the function's environment, as `lz deploy` sets it
for lz's own runtime loop), the process starts as the managed runtime's bootstrap starts it: the
wrapper, given the runtime's command line (checked to exist and be executable first, exit 127/126
otherwise). `invoke_stream()` hands a streamed response out chunk by chunk as the function sends it.

The process environment is Lambda's (task root, handler, function name, memory, region, UTC, no
bytecode writes since /var/task is read-only), plus the stage's `environment` and the caller's AWS_*
variables (so a bundle can reach a local moto server). A timed-out invocation kills the process, as
Lambda does; the next one starts it again (a cold start).
"""

from __future__ import annotations

import os
import platform
import sys
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ..bundle.deps import uv
from ..paths import cache_root
from ..pythons import find_python
from .bundlefiles import architecture_message, extract, foreign_code
from .runtime_api import Call, Outcome, RuntimeAPI

# What Lambda's managed runtime bootstrap does with an exec wrapper ("Modifying the runtime
# environment", Lambda guide: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html):
# the wrapper must exist and be executable, and gets the interpreter and its arguments.
_WRAPPED = ('w="$AWS_LAMBDA_EXEC_WRAPPER"; '
            '[ -f "$w" ] || { echo "$w: does not exist"; exit 127; }; '
            '[ -x "$w" ] || { echo "$w: is not an executable"; exit 126; }; '
            'exec "$w" "$@"')


class LocalRuntimeError(Exception):
    """The local runtime cannot run this bundle; the message says why and what to do."""


@dataclass
class Invocation:
    outcome: Outcome
    log: list[str] = field(default_factory=list)
    duration_ms: float = 0.0
    cold: bool = False
    answered_at: float = 0.0  # time.perf_counter() when the answer arrived (before its log is read)

    @property
    def ok(self) -> bool:
        return self.outcome.ok

    @property
    def result(self) -> Any:
        return self.outcome.payload

    def describe(self) -> str:
        o = self.outcome
        if o.kind == "response":
            return "ok"
        if o.kind == "timeout":
            return "timed out: the function did not answer before its timeout; raise \"timeout\" " \
                   "in lz_settings.json or find what blocks"
        payload = o.payload if isinstance(o.payload, dict) else {"errorMessage": str(o.payload)}
        what = "failed to start (init error)" if o.kind == "init_error" else "raised"
        return f"{what}: {payload.get('errorType', o.error_type or 'Error')}: {payload.get('errorMessage', '')}"


def ensure_ric(python_version: str) -> Path:
    """A directory holding what Lambda's Python runtime provides, awslambdaric and boto3, for
    `python_version` on this machine's architecture, installed once (as wheels, by uv) into lz's
    cache. Bundles leave boto3 out because Lambda has it, so the local runtime must have it too."""
    machine = "aarch64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
    target = cache_root() / "awslambdaric" / f"{python_version}-{machine}-runtime"
    if (target / "awslambdaric").is_dir():
        return target
    tmp = Path(tempfile.mkdtemp(prefix="ric-", dir=target.parent if target.parent.exists() else None))
    out = subprocess.run(
        [uv(), "pip", "install", "--quiet", "--target", str(tmp), "--python-version", python_version,
         "--python-platform", f"{machine}-manylinux_2_17", "--only-binary", ":all:",
         # compiled, as Lambda's own runtime is: the local cold start must not pay for it
         "--compile-bytecode", "--python", find_python(python_version) or sys.executable,
         "awslambdaric", "boto3"],
        capture_output=True, text=True,
    )
    if out.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise LocalRuntimeError(f"could not install awslambdaric and boto3 for Python {python_version}: "
                                f"{out.stderr.strip()}")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)
    return target


class LocalFunction:
    """One function instance: `with LocalFunction(zip, "3.13") as fn: fn.invoke(event)`."""

    def __init__(
        self,
        bundle: Path | str,
        python_version: str,
        handler: str = "lz_handler.handler",
        timeout: float = 30,
        environment: dict[str, str] | None = None,
        memory: int = 512,
        name: str = "lz-local",
        python: str | None = None,
        architecture: str | None = None,
        wrapper: str | None = None,
    ) -> None:
        self.bundle = Path(bundle)
        foreign = foreign_code(self.bundle)  # before anything starts: it could only fail later
        if foreign is not None:
            raise LocalRuntimeError(architecture_message(self.bundle, *foreign, architecture))
        self.python_version = python_version
        self.handler = handler
        self.timeout = timeout
        self.environment = environment or {}
        # the exec wrapper, as a path on Lambda (/var/task/...): from the argument or the environment
        self.wrapper = wrapper or self.environment.get("AWS_LAMBDA_EXEC_WRAPPER")
        self.memory = memory
        self.name = name
        self.python = python or find_python(python_version)
        if self.python is None:
            raise LocalRuntimeError(
                f"no Python {python_version} interpreter found (PATH, pyenv, uv python find): "
                f"install one (e.g. `uv python install {python_version}`) to run this bundle locally"
            )
        self._dir = Path(tempfile.mkdtemp(prefix="lz-task-"))
        self.task_root = self._dir / "task"
        extract(self.bundle, self.task_root)  # with the zip's file modes, as Lambda unpacks it
        self.ric = ensure_ric(python_version)
        self.api = RuntimeAPI(name).start()
        self._proc: subprocess.Popen[str] | None = None
        self._pumping: threading.Thread | None = None  # reads the process's output
        self._log: list[str] = []
        self._lock = threading.Lock()
        self.starts = 0

    def _env(self) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PYTHONPATH": f"{self.task_root}:{self.ric}",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only on Lambda
            "LAMBDA_TASK_ROOT": str(self.task_root),
            "LAMBDA_RUNTIME_DIR": str(self.ric),
            "_HANDLER": self.handler,
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{self.python_version}",
            "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1")),
        }
        env.update({k: v for k, v in os.environ.items() if k.startswith("AWS_") and k not in env})
        env.update(self.environment)
        if self.wrapper:
            env["AWS_LAMBDA_EXEC_WRAPPER"] = str(self._local_path(self.wrapper))
        return env

    def _local_path(self, path: str) -> Path:
        """A path inside /var/task on Lambda, inside the unzipped bundle here."""
        for root in ("/var/task/", "$LAMBDA_TASK_ROOT/"):
            if path.startswith(root):
                return self.task_root / path[len(root):]
        return Path(path)

    def _start(self) -> None:
        self.api.init_error = None
        command = [self.python, "-m", "awslambdaric", self.handler]
        if self.wrapper:
            command = ["/bin/sh", "-c", _WRAPPED, "bootstrap", *command]
        self._proc = subprocess.Popen(
            command,
            cwd=self.task_root, env=self._env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace",
        )
        self.starts += 1
        proc = self._proc
        self._pumping = threading.Thread(target=self._pump, args=(proc,), daemon=True)
        self._pumping.start()

    def _pump(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with self._lock:
                self._log.append(line.rstrip("\n"))
        proc.wait()
        self._process_ended(proc)

    def _process_ended(self, proc: subprocess.Popen[str]) -> None:
        """End every waiting invocation of `proc`, which exited."""
        if self._proc is proc:
            tail = "\n".join(self._log[-20:])
            self.api.fail_pending(
                "init_error" if self.api.init_error else "error",
                {"errorType": "Runtime.ExitError",
                 "errorMessage": f"the function process exited with code {proc.returncode}",
                 "log": tail},
            )

    def _submit(self, event: Any, collect: bool, headers: dict[str, str] | None) -> Call:
        """Queue `event`; a process that already exited (before it could take it) ends it too."""
        call = self.api.submit(event, self.timeout, collect, headers)
        proc = self._proc
        if proc is not None and proc.poll() is not None:
            if self._pumping is not None:
                self._pumping.join(5)  # its output read, so that the tail is in the error
            self._process_ended(proc)
        return call

    def invoke(self, event: Any, headers: dict[str, str] | None = None) -> Invocation:
        with self._lock:
            mark = len(self._log)  # before a start: what the process says at init is this call's
        cold = self._proc is None or self._proc.poll() is not None
        if cold:
            self._start()
        t0 = time.perf_counter()
        outcome = self.api.outcome(self._submit(event, True, headers), self.timeout)
        answered = time.perf_counter()
        duration = (answered - t0) * 1000
        if outcome.kind in ("timeout", "init_error"):
            self._kill()  # Lambda ends the sandbox; the next invocation starts a fresh process
        return Invocation(outcome, self._log_since(mark), duration, cold, answered)

    def invoke_stream(self, event: Any, headers: dict[str, str] | None = None) -> "StreamedInvocation":
        """Start an invocation and return at once: a streamed response is read as it comes
        (`wait_started()`, `prelude`, `chunks()`), a buffered one at `finish()`. The function's
        timeout covers the whole stream: past it the process is killed, as Lambda ends it."""
        with self._lock:
            mark = len(self._log)  # before a start: what the process says at init is this call's
        cold = self._proc is None or self._proc.poll() is not None
        if cold:
            self._start()
        call = self._submit(event, False, headers)
        watchdog = threading.Timer(self.timeout, self._expire, (call,))
        watchdog.daemon = True
        watchdog.start()
        return StreamedInvocation(self, call, mark, cold, time.perf_counter(), watchdog)

    def _expire(self, call: Call) -> None:
        if not call.done.is_set():
            outcome = self.api.init_error or Outcome("timeout", call.request_id)
            call.finish(Outcome(outcome.kind, call.request_id, outcome.payload, outcome.error_type))
            self._kill()

    def _log_since(self, mark: int) -> list[str]:
        time.sleep(0.02)  # let the last lines of output arrive
        with self._lock:
            return self._log[mark:]

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)

    def close(self) -> None:
        self._kill()
        self.api.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> "LocalFunction":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class StreamedInvocation:
    """An invocation whose response may stream: read it as it arrives, then `finish()`."""

    def __init__(self, function: LocalFunction, call: Call, mark: int, cold: bool, started: float,
                 watchdog: threading.Timer) -> None:
        self.function = function
        self.call = call
        self.cold = cold
        self.started = started
        self._mark = mark
        self._watchdog = watchdog

    def wait_started(self) -> bool:
        """True once a streamed response has its prelude; False if the invocation ended without
        streaming (a buffered response, an error, a timeout: see finish())."""
        self.call.wait_started(None)
        stream = self.call.stream
        return stream is not None and stream.ready.is_set() and not (
            self.call.done.is_set() and stream.size == 0 and stream.prelude is None)

    @property
    def prelude(self) -> dict[str, Any]:
        stream = self.call.stream
        return dict(stream.prelude or {}) if stream is not None else {}

    def chunks(self) -> Iterator[bytes]:
        """The body, chunk by chunk, as the function sends it (ends with the stream)."""
        stream = self.call.stream
        if stream is not None:
            yield from stream

    def close(self) -> None:
        """The reader went away: cut the stream (the function's next write fails)."""
        stream = self.call.stream
        if stream is not None:
            stream.close()

    def finish(self) -> Invocation:
        """Wait for the end (within the function's timeout) and return how it ended."""
        fn = self.function
        outcome = fn.api.outcome(self.call, max(0.0, fn.timeout - (time.perf_counter() - self.started)) + 1)
        self._watchdog.cancel()
        duration = (time.perf_counter() - self.started) * 1000
        if outcome.kind in ("timeout", "init_error"):
            fn._kill()
        return Invocation(outcome, fn._log_since(self._mark), duration, self.cold)
