"""`lz workflow graph STAGE NAME`: the compiled ASL on stdout, offline, or a DOT picture."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lz.cli.workflow_cmd import workflow


def run(*args: str) -> object:
    return CliRunner().invoke(workflow, list(args), catch_exceptions=False)


def test_graph_prints_the_asl_with_the_placeholder_without_aws(demo_project: Path, compiled, monkeypatch) -> None:
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    result = run("graph", "dev", "process_upload", "--project", str(demo_project))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == compiled["process_upload"].definition
    assert "${FunctionArn}" in result.stdout
    assert "project-dev-process_upload: 22 states from 10 statements" in result.stderr
    by_function = run("graph", "dev", "wfdemo.whole.process_upload", "--project", str(demo_project))
    assert by_function.stdout == result.stdout


def test_graph_dot_draws_every_state(demo_project: Path, compiled) -> None:
    result = run("graph", "dev", "catching", "--dot", "--project", str(demo_project))
    assert result.exit_code == 0
    text = result.stdout
    assert text.startswith('digraph "project-dev-catching" {') and text.rstrip().endswith("}")
    for name in compiled["catching"].definition["States"]:
        assert f'"{name}" [shape=' in text
    assert 'style=dashed color=red label="PaymentDeclined"' in text
    assert text.count("{") == text.count("}")


def test_graph_resolve_fills_in_the_alias_arn(demo_project: Path, aws_env) -> None:
    result = run("graph", "dev", "fan_out", "--resolve", "--project", str(demo_project))
    assert result.exit_code == 0, result.output
    assert "${FunctionArn}" not in result.stdout
    assert '"arn:aws:lambda:us-east-1:123456789012:function:project-dev:live"' in result.stdout


def test_unknown_workflows_and_compile_errors_are_clear(demo_project: Path, tmp_path: Path) -> None:
    missing = CliRunner().invoke(workflow, ["graph", "dev", "nope", "--project", str(demo_project)])
    assert missing.exit_code == 1 and "no @workflow named 'nope' in this project (found: arguments," in missing.output
    project = tmp_path / "broken"
    project.mkdir()
    (project / "lz_settings.json").write_text('{"dev": {"app": "app:app"}}')
    (project / "app.py").write_text("from lz.tasks.workflow import workflow\n\n@workflow\ndef flow(x):\n"
                                    "    with open(x) as f:\n        pass\n")
    broken = CliRunner().invoke(workflow, ["graph", "dev", "flow", "--project", str(project)])
    assert broken.exit_code == 1
    assert "app.py:5: `with` in a workflow: cannot hold a resource across states" in broken.output
