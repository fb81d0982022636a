"""`lz package` compiles every @workflow, so one that cannot become a state machine fails the build
at file:line, before anything is uploaded (issue 17: compilation happens at package time)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import lz, make_project

BAD = '''from lz import task, workflow

app = None


@task
def step(x):
    return x


@workflow
def flow(x):
    with open("f") as f:
        y = step(x)
    return y
'''


def test_a_workflow_that_does_not_compile_fails_the_package(lz_env, tmp_path: Path) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app"}}, {"app.py": BAD})
    out = lz(lz_env, "package", "dev", "--project", str(project))
    assert out.returncode == 1
    assert "app.py:13: `with` in a workflow" in out.stderr
    assert not (project / ".lz" / "proj-dev.zip").exists()
