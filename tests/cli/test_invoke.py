"""`lz invoke` to a deployed stage (moto records the call; it runs no code) and to the built bundle
through the local runtime."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tests.cli.conftest import lz, moto_requests, need_python, project_copy
from tests.cli.stage import NAME, deploy

pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return project_copy(tmp_path, "example_flask")


def test_remote_invoke_sends_the_command_with_log_tail(aws_env, project: Path, moto_endpoint) -> None:
    deploy(aws_env, project)
    moto_requests(moto_endpoint, "start")
    out = lz(aws_env, "invoke", "dev", "app.announce_item", "--args", '[7, "kettle"]', "--project", str(project))
    [sent] = [r for r in moto_requests(moto_endpoint, "stop") if "/invocations" in r["url"]]
    assert out.returncode == 0, out.stderr
    assert f"/functions/{NAME}/invocations" in sent["url"] and "Qualifier=live" in sent["url"]
    headers = {k.lower(): v for k, v in sent["headers"].items()}
    assert headers["x-amz-log-type"] == "Tail" and headers["x-amz-invocation-type"] == "RequestResponse"
    assert json.loads(sent["body"]) == {"lz": "invoke", "function": "app.announce_item", "args": [7, "kettle"],
                                        "kwargs": {}}
    refused = lz(aws_env, "invoke", "dev", "--raw", "print(1)", "--project", str(project))
    assert refused.returncode == 1 and "allow_raw_invoke" in refused.stderr
    bad = lz(aws_env, "invoke", "dev", "app.announce_item", "--args", "{oops", "--project", str(project))
    assert bad.returncode == 1 and "--args is not JSON" in bad.stderr
    both = lz(aws_env, "invoke", "dev", "app.x", "--raw", "1", "--project", str(project))
    assert both.returncode == 1 and "exactly one of" in both.stderr


def test_local_invoke_runs_the_function_in_the_bundle(lz_env, project: Path) -> None:
    need_python("3.13")
    out = lz(lz_env, "invoke", "dev", "app.announce_item", "--args", '[7, "kettle"]', "--local",
             "--project", str(project))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["announcing item 7: kettle", "null"]
    missing = lz(lz_env, "invoke", "dev", "app.nope", "--local", "--project", str(project))
    assert missing.returncode == 1 and "app.nope is not a @command, @task or scheduled function" in missing.stderr
    assert "registered: app.announce_item, app.forget_new_items" in missing.stderr


def test_unregistered_names_go_out_as_raw_code_only_where_the_stage_allows_it(project: Path) -> None:
    """Both ends gate raw code: the CLI sends an unregistered name only as a raw call, and only for
    a stage with allow_raw_invoke (the function refuses raw calls unless deployed with it)."""
    from lz.cli.invoke import InvokeError, function_payload
    from lz.cli.settings import load

    stage = load(project, "dev")
    assert function_payload(stage, "app.announce_item", "[1]", None)["lz"] == "invoke"
    with pytest.raises(InvokeError, match="raw code, refused unless"):
        function_payload(stage, "os.system", '["id"]', None)
    stage = dataclasses.replace(stage, allow_raw_invoke=True)
    assert function_payload(stage, "os.system", '["id"]', None) == {
        "lz": "raw", "call": "os.system", "args": ["id"], "kwargs": {}}
