"""The local Lambda runtime on bundles that fail: at init, in the handler, past the deadline."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from lz.cli.local.runner import LocalFunction
from tests.builders import make
from tests.cli.conftest import lz, make_project, need_python

pytestmark = pytest.mark.slow

APP = '''
import os, time

if os.environ.get("FAIL_AT_IMPORT"):
    raise RuntimeError("cannot reach the database at import")


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/sleep":
        time.sleep(float(environ["QUERY_STRING"] or 5))
    if path == "/exit":
        os._exit(3)
    print("handling", path, flush=True)
    body = ("pid=%d env=%s" % (os.getpid(), os.environ.get("GREETING"))).encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
'''


@pytest.fixture
def bundle(lz_env, tmp_path: Path) -> Path:
    project = make_project(tmp_path, {"dev": {"app": "app:app", "timeout": 2}}, {"app.py": APP})
    out = tmp_path / "b.zip"
    result = lz(lz_env, "package", "dev", "--project", str(project), "-o", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_answers_with_the_stage_environment_and_returns_the_log(bundle: Path) -> None:
    python = need_python("3.13")
    with LocalFunction(bundle, "3.13", python=python, environment={"GREETING": "hi"}) as fn:
        inv = fn.invoke(make("http_v2", path="/hello"))
        assert inv.ok and inv.result["body"].endswith("env=hi")
        assert "handling /hello" in inv.log


def test_init_error_is_reported_with_its_message(bundle: Path) -> None:
    python = need_python("3.13")
    with LocalFunction(bundle, "3.13", python=python, environment={"FAIL_AT_IMPORT": "1"}) as fn:
        inv = fn.invoke(make("http_v2"))
        assert inv.outcome.kind == "init_error", inv.describe()
        assert "cannot reach the database at import" in inv.describe()
        assert "failed to start (init error)" in inv.describe()


def test_handler_error_is_reported_and_the_function_keeps_serving(bundle: Path) -> None:
    python = need_python("3.13")
    with LocalFunction(bundle, "3.13", python=python) as fn:
        inv = fn.invoke({"lz": "task", "id": "t1", "name": "app.missing_task", "args": [], "kwargs": {}})
        assert inv.outcome.kind == "error", inv.describe()
        assert "missing_task" in inv.describe() or any("missing_task" in line for line in inv.log)
        odd = fn.invoke({"not": "http"})  # no route: answered with an error, not a crash
        assert odd.ok and odd.result["error"] == "lz: no route for this event"
        assert fn.invoke(make("http_v2")).ok
        assert fn.starts == 1


def test_timeout_kills_the_process_and_the_next_invocation_is_a_cold_start(bundle: Path) -> None:
    python = need_python("3.13")
    with LocalFunction(bundle, "3.13", python=python, timeout=1) as fn:
        first = fn.invoke(make("http_v2", path="/hello"))
        pid = first.result["body"].split()[0]
        slow = fn.invoke(make("http_v2", path="/sleep", query=[]))
        assert slow.outcome.kind == "timeout" and "timed out" in slow.describe()
        again = fn.invoke(make("http_v2", path="/hello"))
        assert again.ok and again.cold and again.result["body"].split()[0] != pid
        assert fn.starts == 2


def test_a_process_that_dies_mid_invocation_is_an_error_not_a_hang(bundle: Path) -> None:
    python = need_python("3.13")
    with LocalFunction(bundle, "3.13", python=python, timeout=20) as fn:
        inv = fn.invoke(make("http_v2", path="/exit"))
        assert inv.outcome.kind == "error" and "exited with code 3" in inv.describe()
        assert inv.duration_ms < 15000
        assert fn.invoke(make("http_v2", path="/hello")).ok


def test_lz_invoke_local_prints_the_result(lz_env, bundle: Path, tmp_path: Path) -> None:
    need_python("3.13")
    event = tmp_path / "event.json"
    event.write_text(json.dumps(make("http_v2", path="/cli")))
    project = bundle.parent / "proj"
    result = lz(lz_env, "invoke", "dev", "--local", "--event", str(event), "--bundle", str(bundle),
                "--project", str(project))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["statusCode"] == 200
    assert "handling /cli" in result.stderr
    bad = lz(lz_env, "invoke", "dev", "--local", "--event", str(tmp_path / "none.json"),
             "--project", str(project))
    assert bad.returncode != 0 and "none.json" in bad.stderr
    env = {k: v for k, v in lz_env.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE")}
    remote = lz(env, "invoke", "dev", "--event", str(event), "--project", str(project))  # no AWS here
    assert remote.returncode == 1 and 'no AWS region: set "region" in lz_settings.json' in remote.stderr


def _zip(path: Path, files: dict[str, tuple[bytes, int]]) -> Path:
    """A zip made on Unix whose members carry the given modes (as `lz package` and pip write them)."""
    import stat
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        for name, (data, mode) in files.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | mode) << 16
            zf.writestr(info, data)
    return path


RUNS_TOOL = b'''
import os, subprocess


def handler(event, context):
    tool = os.path.join(os.environ["LAMBDA_TASK_ROOT"], "bin", "tool")
    return subprocess.run([tool], capture_output=True, text=True, check=True).stdout.strip()
'''


def test_files_keep_their_mode_from_the_zip_so_a_shipped_executable_runs(lz_env, tmp_path: Path) -> None:
    """Lambda keeps each file's permissions from the deployment package; so does the local runtime."""
    python = need_python("3.13")
    bundle = _zip(tmp_path / "tool.zip", {"main.py": (RUNS_TOOL, 0o644),
                                          "bin/tool": (b"#!/bin/sh\necho tool ran\n", 0o755),
                                          "data.txt": (b"read only", 0o444)})
    with LocalFunction(bundle, "3.13", handler="main.handler", python=python) as fn:
        inv = fn.invoke({})
        assert inv.ok, inv.describe() + "\n".join(inv.log)
        assert inv.result == "tool ran"
        assert (fn.task_root / "data.txt").stat().st_mode & 0o777 == 0o444


def _elf(machine: int) -> bytes:
    """The start of a 64-bit little-endian ELF shared object for `machine` (e_machine)."""
    return b"\x7fELF\x02\x01\x01" + bytes(9) + (3).to_bytes(2, "little") + machine.to_bytes(2, "little") \
        + bytes(44)


def _other_machine() -> tuple[str, int]:
    from lz.cli.local.bundlefiles import host_machine

    return ("x86_64", 0x3E) if host_machine() == "aarch64" else ("aarch64", 0xB7)


def test_a_bundle_for_another_architecture_is_refused_before_anything_starts(tmp_path: Path) -> None:
    from lz.cli.local.runner import LocalRuntimeError

    theirs, code = _other_machine()
    bundle = _zip(tmp_path / "other.zip", {
        "lz_handler.py": (b"def handler(event, context):\n    return 1\n", 0o644),
        f"numpy/_core/_multiarray_umath.cpython-313-{theirs}-linux-gnu.so": (_elf(code), 0o755),
        f"numpy/linalg/_umath_linalg.cpython-313-{theirs}-linux-gnu.so": (_elf(code), 0o755),
    })
    with pytest.raises(LocalRuntimeError) as raised:
        LocalFunction(bundle, "3.13", python=sys.executable)
    message = str(raised.value)
    assert f"native code built for {'arm64' if theirs == 'aarch64' else 'x86_64'} ({theirs})" in message
    assert "_multiarray_umath" in message and "and 1 more" in message
    assert '"architecture":' in message and "lz serve local --bundle" in message


def test_native_code_for_this_machine_and_pure_python_bundles_pass_the_check(tmp_path: Path) -> None:
    import glob
    import sysconfig

    from lz.cli.local.bundlefiles import foreign_code, host_machine, native_machines

    real = sorted(glob.glob(os.path.join(sysconfig.get_config_var("DESTSHARED") or "", "*.so")))
    if not real:
        pytest.skip("this Python has no shared-object extension modules to read")
    mine = _zip(tmp_path / "mine.zip", {"mod/ext.so": (Path(real[0]).read_bytes(), 0o755),
                                        "app.py": (b"x = 1\n", 0o644)})
    assert native_machines(mine) == {host_machine(): ["mod/ext.so"]}  # a real ELF header, read
    assert foreign_code(mine) is None
    pure = _zip(tmp_path / "pure.zip", {"app.py": (b"x = 1\n", 0o644),
                                        "notes.so.txt": (b"not ELF at all, just named so", 0o644)})
    assert foreign_code(pure) is None
