"""`lz deploy --confirm` asks before applying the plan; without it the plan is applied as a CI job
wants (issue 15, item 23). Against the moto server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import lz, project_copy
from tests.cli.stage import NAME, clients

pytestmark = pytest.mark.slow


def deployed() -> bool:
    return any(f["FunctionName"] == NAME for f in clients()["lambda"].list_functions()["Functions"])


def test_confirm_asks_and_no_applies_nothing(aws_env, tmp_path: Path) -> None:
    project = project_copy(tmp_path, "example_flask")
    refused = lz(aws_env, "deploy", "dev", "--confirm", "--project", str(project), input="n\n")
    assert refused.returncode == 1, refused.stderr
    assert "apply this plan?" in refused.stderr and "not applied: nothing was changed" in refused.stderr
    assert "create" in refused.stderr  # the plan was shown before the question
    assert not deployed()
    again = lz(aws_env, "deploy", "dev", "--confirm", "--project", str(project), input="y\n")
    assert again.returncode == 0, again.stderr
    assert deployed()
    # nothing to change: no question
    same = lz(aws_env, "deploy", "dev", "--confirm", "--project", str(project), input="")
    assert same.returncode == 0 and "apply this plan?" not in same.stderr
