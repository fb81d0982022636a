"""What a bundle needs for lz's loop: lz/runtime/ and the exec wrapper, executable.

Lambda refuses a wrapper it cannot execute ("Modifying the runtime environment", Lambda guide:
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html: the script must be executable);
the local runtime does the same (tests/runtime/test_loop.py), so a bundle without the exec bit
fails here as it would there.
"""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from lz.runtime import wrapper
from tests.cli.conftest import lz, make_project
from tests.runtime.support import is_executable


def test_the_wrapper_is_a_posix_shell_script() -> None:
    name, data, mode = wrapper.bundle_entry()
    assert name == "lz/runtime/wrapper.sh" and wrapper.PATH == "/var/task/lz/runtime/wrapper.sh"
    assert mode == 0o100755 and data.startswith(b"#!/bin/sh\n")
    checked = subprocess.run(["sh", "-n"], input=data, capture_output=True)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.slow
def test_lz_package_ships_the_loop_and_an_executable_wrapper(lz_env, tmp_path: Path) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app"}},
                           {"app.py": "def app(environ, start_response):\n    return []\n"})
    out = tmp_path / "b.zip"
    result = lz(lz_env, "package", "dev", "--project", str(project), "-o", str(out))
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
    assert {"lz/runtime/bootstrap.py", "lz/runtime/loop.py", wrapper.ARCNAME} <= names
    assert is_executable(out, wrapper.ARCNAME)
