"""An arm64 bundle on an x86_64 machine (or the reverse) is refused up front by `lz serve --bundle`
and `lz invoke --local`, with what to do, instead of starting and answering every request 502
(issue 15 item 7)."""

from __future__ import annotations

import pytest

from lz.cli.local.bundlefiles import host_machine
from tests.cli.conftest import lz, make_project, need_python

pytestmark = pytest.mark.slow

APP = '''
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]
'''


def _foreign() -> tuple[str, str, bytes]:
    """(Lambda's name, ELF's name, the start of a shared object) for the CPU this machine is not."""
    lambda_name, elf_name, code = (("x86_64", "x86_64", 0x3E) if host_machine() == "aarch64"
                                   else ("arm64", "aarch64", 0xB7))
    header = b"\x7fELF\x02\x01\x01" + bytes(9) + (3).to_bytes(2, "little") + code.to_bytes(2, "little")
    return lambda_name, elf_name, header + bytes(44)


def test_serve_bundle_and_invoke_local_refuse_a_bundle_built_for_another_cpu(lz_env, tmp_path) -> None:
    need_python("3.13")
    lambda_name, elf_name, so = _foreign()
    project = make_project(tmp_path, {"dev": {"app": "app:app", "architecture": lambda_name}},
                           {"app.py": APP})
    native = project / "accel" / f"speedups.cpython-313-{elf_name}-linux-gnu.so"
    native.parent.mkdir()
    native.write_bytes(so)

    served = lz(lz_env, "serve", "dev", "--project", str(project), "--bundle", "--port", "0")
    assert served.returncode == 1, served.stdout + served.stderr
    assert f"stage dev is built for {lambda_name} and this machine is" in served.stderr  # before building
    assert f"native code built for {lambda_name} ({elf_name})" in served.stderr
    assert "accel/speedups" in served.stderr and "lz serve local --bundle" in served.stderr
    assert "behind a local" not in served.stdout  # never started serving

    bundle = project / ".lz" / "proj-dev.zip"
    assert bundle.is_file()
    invoked = lz(lz_env, "invoke", "dev", "--local", "--bundle", str(bundle), "--event", "-",
                 "--project", str(project), input="{}")
    assert invoked.returncode == 1
    assert f"native code built for {lambda_name} ({elf_name})" in invoked.stderr
