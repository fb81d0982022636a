"""`lz invoke` to a deployed stage (moto records the call; it runs no code) and to the built bundle
through the local runtime."""

from __future__ import annotations

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
    assert missing.returncode == 1 and "AttributeError" in missing.stderr
