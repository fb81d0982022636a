"""One change of a stage at a time (issue 11, item 3): two `lz deploy` of one stage, from one checkout
or from two machines, never interleave; a lock left by a process that is gone is named and
`--force-unlock` removes it; failures, Ctrl-C and SIGTERM release the locks; and `live` moves only
from the version the plan saw to the version this deploy published."""

from __future__ import annotations

import base64
import hashlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import REGION, ROOT, lz, project_copy
from tests.cli.deploy_recording import calls_of, record
from tests.cli.slow_aws import LatencyProxy
from tests.cli.stage import NAME, clients, deploy

pytestmark = pytest.mark.slow
LOCK = "/lz/example-flask/dev/deploy-lock"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return project_copy(tmp_path, "example_flask")


def _ssm():
    import boto3

    return boto3.client("ssm", region_name=REGION)


def holder() -> str | None:
    try:
        return _ssm().get_parameter(Name=LOCK)["Parameter"]["Value"]
    except _ssm().exceptions.ParameterNotFound:
        return None


def wait_for(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def start(env: dict, project: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lz.cli.main", "deploy", "dev", "--project", str(project),
                             *extra], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def live_sha() -> tuple[str, str]:
    config = clients()["lambda"].get_function(FunctionName=NAME, Qualifier="live")["Configuration"]
    return config["Version"], config["CodeSha256"]


def built_sha(project: Path) -> str:
    from lz.cli.deploy.models import code_sha256

    return code_sha256(project / ".lz" / "example-flask-dev.zip")


def test_a_second_deploy_from_the_same_checkout_is_refused_while_the_first_runs(aws_env, moto_endpoint, project):
    deploy(aws_env, project)
    (project / "app.py").write_text((project / "app.py").read_text() + "\n# v2\n")
    proxy = LatencyProxy(moto_endpoint, 0.02)
    with proxy as slow:
        env = {**aws_env, "AWS_ENDPOINT_URL": slow}
        first = start(env, project)
        wait_for(lambda: holder() is not None, "the first deploy to take the lock")
        proxy.gate.clear()  # the first deploy now waits in the middle of its work
        second = lz(env, "deploy", "dev", "--project", str(project))
        proxy.gate.set()
        out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert second.returncode == 1 and "Traceback" not in second.stderr
    assert "stage dev is being deployed (lz deploy) by " in second.stderr and "on this machine" in second.stderr
    assert live_sha() == ("2", built_sha(project))
    assert holder() is None


def test_two_machines_deploying_changed_code_at_once_one_wins_and_live_is_its_build(aws_env, moto_endpoint,
                                                                                     tmp_path):
    a, b = project_copy(tmp_path / "a", "example_flask"), project_copy(tmp_path / "b", "example_flask")
    deploy(aws_env, a)
    for where in (a, b):  # each machine has its own change
        (where / "app.py").write_text((where / "app.py").read_text() + f"\n# from {where.parent.name}\n")
    proxy = LatencyProxy(moto_endpoint, 0.02)
    with proxy as slow:
        env = {**aws_env, "AWS_ENDPOINT_URL": slow}
        runs = {a: start(env, a)}
        wait_for(lambda: holder() is not None, "machine a to take the lock")
        proxy.gate.clear()  # a is in the middle of its deploy; b starts and reaches for the lock
        runs[b] = start(env, b)
        wait_for(lambda: "AmazonSSM.PutParameter" in proxy.waiting, "machine b to reach for the lock")
        proxy.gate.set()
        results = {where: (p.communicate(timeout=600), p.returncode) for where, p in runs.items()}
    won = [where for where, (_, code) in results.items() if code == 0]
    lost = [where for where, (_, code) in results.items() if code != 0]
    assert (won, lost) == ([a], [b]), {w.parent.name: r for w, r in results.items()}
    refusal = results[lost[0]][0][1]
    assert "stage dev is being deployed (lz deploy) by " in refusal and " since " in refusal
    assert "run `lz deploy dev --force-unlock` if that process is gone" in refusal
    assert live_sha() == ("2", built_sha(won[0]))
    latest = clients()["lambda"].get_function_configuration(FunctionName=NAME)["CodeSha256"]
    assert latest == built_sha(won[0])  # the loser uploaded nothing
    assert holder() is None


def test_a_lock_left_by_a_process_that_is_gone_is_named_and_force_unlock_removes_it(aws_env, project):
    from lz.cli.deploy.lock import Holder

    ghost = Holder("ghost@elsewhere pid 4242", "2026-01-02T03:04:05+00:00", "deploy", "t0k3n")
    _ssm().put_parameter(Name=LOCK, Value=ghost.text(), Type="String")
    refused = lz(aws_env, "deploy", "dev", "--project", str(project))
    assert refused.returncode == 1
    assert ("stage dev is being deployed (lz deploy) by ghost@elsewhere pid 4242 since 2026-01-02T03:04:05+00:00; "
            "run `lz deploy dev --force-unlock` if that process is gone") in refused.stderr
    assert "example-flask-dev" not in [f["FunctionName"] for f in clients()["lambda"].list_functions()["Functions"]]
    gone = lz(aws_env, "undeploy", "dev", "--yes", "--project", str(project))
    assert "run `lz undeploy dev --force-unlock` if that process is gone" in gone.stderr

    forced = lz(aws_env, "deploy", "dev", "--force-unlock", "--project", str(project))
    assert forced.returncode == 0, forced.stderr
    assert ("removed the lock of stage dev held by ghost@elsewhere pid 4242 (lz deploy) since "
            "2026-01-02T03:04:05+00:00") in forced.stderr
    assert holder() is None and live_sha()[0] == "1"


@pytest.mark.parametrize("raised", [RuntimeError, KeyboardInterrupt])
def test_the_locks_are_released_when_a_deploy_fails_or_is_interrupted(aws_env, project, raised):
    from lz.cli.aws import Aws
    from lz.cli.bundle import build
    from lz.cli.deploy.lock import for_stage
    from lz.cli.deploy.operations import deploy as run
    from lz.cli.settings import load

    stage = load(project, "dev")
    bundle = build(stage)

    def fail(index: int, step) -> None:
        if index == 3:
            raise raised("stop here")

    with pytest.raises(raised):
        with for_stage(Aws(REGION), stage, "deploy"):
            assert holder() is not None
            run(Aws(REGION), stage, bundle.path, bundle.handler, dry_run=False, show_plan=lambda s: None,
                on_step=fail)
    assert holder() is None
    with for_stage(Aws(REGION), stage, "deploy"):  # both locks are free again, here and on AWS
        assert holder() is not None


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_in_the_middle_of_a_deploy_releases_the_locks(aws_env, moto_endpoint, project, sent):
    proxy = LatencyProxy(moto_endpoint, 0.02)
    with proxy as slow:
        running = start({**aws_env, "AWS_ENDPOINT_URL": slow}, project)

        def role_exists() -> bool:
            return any(r["RoleName"] == f"{NAME}-lambda" for r in clients()["iam"].list_roles()["Roles"])

        wait_for(role_exists, "the deploy to be applying its plan")
        proxy.gate.clear()  # hold it there, in the middle of its plan
        running.send_signal(sent)
        time.sleep(0.5)
        proxy.gate.set()  # its way out (releasing the lock) goes through the proxy too
        out, err = running.communicate(timeout=120)
    assert running.returncode != 0 and "Traceback" not in err
    assert holder() is None
    from lz.cli.deploy.lock import Holder, local_lock, local_lock_path

    with local_lock(local_lock_path(project, "dev"), "dev", Holder("test", "now", "deploy")):
        pass  # free: this would raise StageBusy if the interrupted process still held it
    assert lz(aws_env, "deploy", "dev", "--project", str(project)).returncode == 0  # and it converges


def test_live_moves_only_from_what_the_plan_saw_to_what_this_deploy_published(aws_env, moto_endpoint, project):
    from lz.cli.aws import Aws, AwsError
    from lz.cli.bundle import build
    from lz.cli.deploy.operations import deploy as run
    from lz.cli.settings import load

    lam = clients()["lambda"]
    app = project / "app.py"

    def deploy_code(mark: str, on_step=lambda i, s: None):
        app.write_text(app.read_text() + f"\n# {mark}\n")
        stage = load(project, "dev")
        bundle = build(stage)
        data = bundle.path.read_bytes()  # the next build replaces the file
        run(Aws(REGION), stage, bundle.path, bundle.handler, dry_run=False, show_plan=lambda s: None,
            on_step=on_step)
        return data

    first = deploy_code("v1")
    record(moto_endpoint, "start")
    second = deploy_code("v2")
    calls = record(moto_endpoint, "stop")
    [publish] = calls_of(calls, "lambda", "PublishVersion")
    digest = base64.b64encode(hashlib.sha256(second).digest()).decode()
    assert publish.params["CodeSha256"] == digest  # only this build's code may be published
    [update] = calls_of(calls, "lambda", "UpdateAlias")
    alias = lam.get_alias(FunctionName=NAME, Name="live")
    assert (update.params["FunctionVersion"], update.params["RevisionId"]) == ("2", alias["RevisionId"])

    def someone_uploads_other_code(index: int, step) -> None:
        if step.action == "publish":
            lam.update_function_code(FunctionName=NAME, ZipFile=first)

    with pytest.raises(AwsError, match="the code of example-flask-dev changed while this deploy ran"):
        deploy_code("v3", someone_uploads_other_code)
    assert live_sha()[0] == "2"
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName=NAME)["Versions"]] == ["$LATEST", "1", "2"]

    def someone_rolls_back(index: int, step) -> None:
        if step.action == "publish":
            lam.update_alias(FunctionName=NAME, Name="live", FunctionVersion="1")

    with pytest.raises(AwsError, match=r"alias live of example-flask-dev moved while this deploy ran \(from 2 to 1\)"):
        deploy_code("v4", someone_rolls_back)
    assert live_sha()[0] == "1"  # where the other party put it
