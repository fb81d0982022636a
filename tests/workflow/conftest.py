"""Fixtures of the workflow tests: the demo project (tests/workflow/project, copied), its compiled
machines, one bundle of it for the session, and moto's Step Functions engine calling that bundle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from tests.cli.conftest import aws_env, lz_env, moto_endpoint  # noqa: F401 - the moto server fixtures
from tests.workflow.engine import FUNCTION, Engine, Outcome, python_outcome

PROJECT = Path(__file__).resolve().parent / "project"
ROOT = Path(__file__).resolve().parents[2]


def project_files(root: Path) -> list[tuple[str, Path]]:
    return sorted((p.relative_to(root).as_posix(), p) for p in root.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo project, importable as `wfdemo` for the Python side of each test."""
    root = tmp_path_factory.mktemp("wf") / "project"
    shutil.copytree(PROJECT, root, ignore=shutil.ignore_patterns("__pycache__", ".lz"))
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))
    for name in [m for m in sys.modules if m == "wfdemo" or m.startswith("wfdemo.")]:
        del sys.modules[name]


@pytest.fixture(scope="session")
def workflows(demo_project: Path) -> dict[str, Any]:
    """The demo project's workflows as Python objects, by name (imported from the copy)."""
    import importlib

    modules = [importlib.import_module(f"wfdemo.{name}") for name in ("flows", "whole")]
    from lz.tasks.workflow import Workflow

    return {name: obj for module in modules for name, obj in vars(module).items() if isinstance(obj, Workflow)}


@pytest.fixture(scope="session")
def compiled(demo_project: Path) -> dict[str, Any]:
    from lz.cli.workflow import compile_project

    return {c.name: c for c in compile_project(project_files(demo_project))}


@pytest.fixture(scope="session")
def demo_bundle(demo_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not os.environ.get("LZ_CACHE_DIR"):  # a cache of this session's own, as tests/cli's lz_env
        os.environ["LZ_CACHE_DIR"] = str(tmp_path_factory.mktemp("lz-cache"))
    out = tmp_path_factory.mktemp("bundle") / "wfdemo.zip"
    done = subprocess.run([sys.executable, "-m", "lz.cli.main", "package", "dev", "--project", str(demo_project),
                           "-o", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="session")
def sfn_server() -> Iterator[Engine]:
    """moto's Step Functions engine on a port of its own; the bundle is attached once it runs."""
    engine = Engine()
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def demo_function(demo_bundle: Path, sfn_server: Engine) -> Any:
    """The bundle under the local Lambda runtime; its AWS calls (a view's .start()) reach the engine."""
    from lz.cli.local.runner import LocalFunction
    from tests.cli.conftest import need_python

    python = need_python("3.13")
    aws = {"AWS_ENDPOINT_URL": sfn_server.endpoint, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
    with LocalFunction(demo_bundle, "3.13", python=python, name=FUNCTION, timeout=30, environment=aws) as fn:
        yield fn


@pytest.fixture(scope="session")
def sfn_engine(demo_function: Any, sfn_server: Engine) -> Engine:
    sfn_server.function = demo_function
    return sfn_server


@pytest.fixture
def engine(sfn_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    with sfn_engine.active(monkeypatch):
        yield sfn_engine


@pytest.fixture
def both(engine: Engine, compiled: dict[str, Any], workflows: dict[str, Any]) -> Callable[..., tuple[Outcome, Outcome]]:
    """run(name, *args) -> (outcome as Python, outcome as the compiled machine in moto)."""
    machines: dict[str, str] = {}

    def run(name: str, *args: Any, **kwargs: Any) -> tuple[Outcome, Outcome]:
        workflow = workflows[name]
        as_python = python_outcome(workflow, *args, **kwargs)
        if name not in machines:
            machines[name] = engine.create(compiled[name])
        return as_python, engine.run(machines[name], workflow.execution_input(*args, **kwargs))

    return run
