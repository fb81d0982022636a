"""Canary deploys against moto: the shift (alias routing), promote, roll back on the new version's
errors (datapoints put into moto's CloudWatch while the deploy watches) or on a stage alarm, and an
interruption (Ctrl-C, a crash) that the next `lz deploy` or `lz rollback` finishes or undoes.
The watch polls every LZ_CANARY_POLL seconds (a fraction of a second here), never real minutes."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.cli.conftest import REGION, ROOT, lz, make_project

pytestmark = pytest.mark.slow  # deploys against moto

NAME = "proj-dev"
APP = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'v%d']\n"


def _lambda():
    import boto3

    return boto3.client("lambda", region_name=REGION)


def _alias() -> dict:
    return _lambda().get_alias(FunctionName=NAME, Name="live")


def _weights() -> dict:
    return (_alias().get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}


@pytest.fixture
def env(aws_env) -> dict[str, str]:
    return {**aws_env, "LZ_CANARY_POLL": "0.2"}


@pytest.fixture
def project(env, tmp_path: Path) -> Path:
    """Version 1 deployed (a first deploy has no canary: there is nothing to compare it with)."""
    project = make_project(tmp_path, {"dev": {"app": "app:app", "deploy": {"canary": "10%", "for": "30s"}}},
                           {"app.py": APP % 1})
    result = lz(env, "deploy", "dev", "--project", str(project))
    assert result.returncode == 0, result.stderr
    assert _alias()["FunctionVersion"] == "1" and not _weights()
    (project / "app.py").write_text(APP % 2)
    return project


def _start(env, project: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lz.cli.main", "deploy", "dev", "--project", str(project),
                             *extra], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _until_shifted(proc: subprocess.Popen, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the deploy ended before the canary began:\n{proc.stderr.read()}")
        try:
            weights = _weights()
        except Exception:  # noqa: BLE001 - not created yet
            weights = {}
        if weights:
            return weights
        time.sleep(0.1)
    proc.kill()
    pytest.fail("the alias was never shifted")


def _errors(version: str, count: float) -> None:
    import boto3

    boto3.client("cloudwatch", region_name=REGION).put_metric_data(Namespace="AWS/Lambda", MetricData=[{
        "MetricName": "Errors", "Value": count, "Timestamp": datetime.now(timezone.utc),
        "Dimensions": [{"Name": "FunctionName", "Value": NAME}, {"Name": "Resource", "Value": f"{NAME}:live"},
                       {"Name": "ExecutedVersion", "Value": version}]}])


def test_a_healthy_canary_is_shifted_watched_and_promoted(env, project: Path) -> None:
    proc = _start(env, project, "--for", "2s")
    assert _until_shifted(proc) == {"2": 0.1}
    assert _alias()["FunctionVersion"] == "1"  # the stable version keeps the rest
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "canary promoted: live -> version 2 (version 2 had no errors in 0 invocation(s) over 2s)" in err
    assert _alias()["FunctionVersion"] == "2" and not _weights()


def test_errors_of_the_new_version_roll_it_back(env, project: Path) -> None:
    proc = _start(env, project)
    _until_shifted(proc)
    _errors("1", 5)  # the stable version's errors are not the canary's
    time.sleep(0.6)
    assert proc.poll() is None
    _errors("2", 2)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "canary rolled back: live stays on version 1 (version 2 had 2 error(s)" in err
    assert _alias()["FunctionVersion"] == "1" and not _weights()


def test_a_stage_alarm_in_alarm_rolls_it_back(env, project: Path) -> None:
    import boto3

    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    data = json.loads((project / "lz_settings.json").read_text())
    data["dev"]["alarms"] = {"p99_ms": 800}
    (project / "lz_settings.json").write_text(json.dumps(data))
    proc = _start(env, project)
    _until_shifted(proc)
    deadline = time.monotonic() + 60
    while not cloudwatch.describe_alarms(AlarmNames=[f"{NAME}-p99"])["MetricAlarms"]:
        assert time.monotonic() < deadline and proc.poll() is None, "the stage's alarm was never made"
        time.sleep(0.1)
    cloudwatch.set_alarm_state(AlarmName=f"{NAME}-p99", StateValue="ALARM", StateReason="test")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert f"canary rolled back: live stays on version 1 (alarm {NAME}-p99 went into ALARM" in err
    assert _alias()["FunctionVersion"] == "1" and not _weights()


def _until_watching(proc: subprocess.Popen) -> str:
    """stderr up to the watch's first progress line: the alias is shifted before the other steps
    of the plan finish (they run side by side), and the watch begins only after them."""
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "s watched)" in line:
            return "".join(seen)
    pytest.fail("the deploy ended before the canary was watched:\n" + "".join(seen))


def test_ctrl_c_leaves_the_canary_which_status_shows_and_rollback_undoes(env, project: Path) -> None:
    proc = _start(env, project)
    _until_shifted(proc)
    before = _until_watching(proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    err = before + err
    assert proc.returncode != 0
    assert "interrupted while watching the canary (version 2 at 10%" in err
    assert "lz rollback dev undoes it" in err
    assert _weights() == {"2": 0.1}
    status = lz(env, "status", "dev", "--project", str(project))
    assert "canary               in progress: version 2 at 10% (version 1 takes the rest)" in status.stdout
    result = lz(env, "rollback", "dev", "--project", str(project))
    assert result.returncode == 0, result.stderr
    assert "live: canary of version 2 undone; live stays on version 1" in result.stdout
    assert _alias()["FunctionVersion"] == "1" and not _weights()


def test_a_crash_mid_canary_is_finished_by_the_next_deploy(env, project: Path) -> None:
    proc = _start(env, project)
    _until_shifted(proc)
    proc.kill()  # no handler runs: the lock and the split alias stay
    proc.communicate(timeout=60)
    result = lz(env, "deploy", "dev", "--for", "1s", "--force-unlock", "--project", str(project))
    assert result.returncode == 0, result.stderr
    assert "found an interrupted canary (version 2 at 10% (version 1 takes the rest)): undone" in result.stderr
    assert "canary promoted: live -> version" in result.stderr
    alias = _alias()
    assert not _weights()
    code = _lambda().get_function_configuration(FunctionName=NAME, Qualifier=alias["FunctionVersion"])
    assert code["CodeSha256"] == _lambda().get_function_configuration(FunctionName=NAME)["CodeSha256"]
    again = lz(env, "deploy", "dev", "--project", str(project))  # converged: nothing left to do
    assert "nothing to change" in again.stderr and "canary" not in again.stderr


def test_canary_off_deploys_at_once(env, project: Path) -> None:
    result = lz(env, "deploy", "dev", "--canary", "off", "--project", str(project))
    assert result.returncode == 0, result.stderr
    assert "canary" not in result.stderr
    assert _alias()["FunctionVersion"] == "2" and not _weights()


@pytest.mark.parametrize("args, message", [
    (["--canary", "0%"], "--canary is the share of traffic"),
    (["--canary", "100%"], "--canary is the share of traffic"),
    (["--canary", "ten"], "--canary takes a percentage like 10%"),
    (["--canary", "10%", "--for", "ever"], "is not a duration"),
])
def test_bad_canary_options_are_refused_before_anything(lz_env, tmp_path: Path, args, message) -> None:
    project = make_project(tmp_path, {"dev": {"app": "app:app"}}, {"app.py": APP % 1})
    result = lz(lz_env, "deploy", "dev", *args, "--project", str(project))
    assert result.returncode != 0 and message in result.stderr


def test_weighted_alias_rules_that_moto_does_not_enforce() -> None:
    """"Implement Lambda canary deployments using a weighted alias", Lambda guide
    (https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html): at most two
    versions, both published (the alias cannot point to $LATEST); AliasRoutingConfiguration (Lambda
    API reference): the additional version's weight is from 0.0 to 1.0."""
    from lz.cli.aws import AwsError
    from lz.cli.deploy.canary import check_routing

    check_routing("1", "2", 0.1)
    for args, message in ((("$LATEST", "2", 0.1), "cannot point to $LATEST"),
                          (("1", "$LATEST", 0.1), "cannot point to $LATEST"),
                          (("3", "3", 0.1), "two different versions"),
                          (("1", "2", 1.5), "from 0.0 to 1.0"), (("1", "2", -0.1), "from 0.0 to 1.0")):
        with pytest.raises(AwsError, match=message.replace("$", r"\$")):
            check_routing(*args)


def test_a_change_of_dead_letter_target_cannot_be_a_canary(env, project: Path) -> None:
    """Both versions of a weighted alias need the same dead-letter configuration (same page)."""
    import boto3

    queue = boto3.client("sqs", region_name=REGION).create_queue(QueueName="dlq")["QueueUrl"]
    arn = f"arn:aws:sqs:{REGION}:123456789012:dlq"
    assert queue.endswith("/dlq")
    data = json.loads((project / "lz_settings.json").read_text())
    data["dev"]["dead_letter"] = arn
    (project / "lz_settings.json").write_text(json.dumps(data))
    result = lz(env, "deploy", "dev", "--project", str(project))
    assert result.returncode != 0
    assert "another dead-letter target" in result.stderr and "--canary off" in result.stderr
    assert _alias()["FunctionVersion"] == "1" and not _weights()
    assert lz(env, "deploy", "dev", "--canary", "off", "--project", str(project)).returncode == 0


def test_the_watch_uses_an_injected_clock(aws_env, monkeypatch) -> None:
    """No real minutes: a ten-minute watch with an injected clock and sleep, no errors, promotes."""
    from lz.cli.aws import Aws
    from lz.cli.deploy.canary import Canary, watch

    monkeypatch.setenv("LZ_CANARY_POLL", "30")
    now = [0.0]
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    ticks = []
    verdict = watch(Aws(region=REGION), NAME, Canary("1", "2", 0.1), 600,
                    on_tick=lambda *a: ticks.append(a), clock=lambda: now[0], sleep=sleep)
    assert verdict.promote and "over 10m" in verdict.why
    assert sum(slept) == 600 and max(slept) == 30 and len(ticks) == 21


def test_a_canary_deploy_interrupted_at_any_step_converges(env, tmp_path: Path, monkeypatch) -> None:
    """Stopped before each step of a canary deploy (code, publish + shift, an alarm), or during
    the watch, the next deploy ends with live wholly on a version of this code and nothing left."""
    from lz.cli.aws import Aws
    from lz.cli.bundle import build
    from lz.cli.deploy.operations import deploy as run
    from lz.cli.settings import load
    from tests.cli.conftest import reset_moto

    monkeypatch.setenv("LZ_CANARY_POLL", "0.1")

    class Interrupted(Exception):
        pass

    def quiet(**kw):
        return {"show_plan": lambda s: None, **kw}

    project = make_project(tmp_path, {"dev": {"app": "app:app", "http": False, "alarms": {"throttles": 1},
                                              "deploy": {"canary": "10%", "for": "1s"}}}, {"app.py": APP % 1})
    first = build(load(project, "dev"), tmp_path / "first.zip")
    data = json.loads((project / "lz_settings.json").read_text())
    data["dev"]["alarms"] = {"throttles": 2}
    (project / "lz_settings.json").write_text(json.dumps(data))
    (project / "app.py").write_text(APP % 2)
    stage = load(project, "dev")
    second = build(stage, tmp_path / "second.zip")
    points = None
    stop = 0
    while points is None or stop <= points:
        reset_moto(os.environ["AWS_ENDPOINT_URL"])
        # version 1 as deployed before this change, then the change, stopped at `stop`
        run(Aws(REGION), dataclasses.replace(stage, alarms={"throttles": 1}), first.path, first.handler,
            dry_run=False, **quiet())
        plan = run(Aws(REGION), stage, second.path, second.handler, dry_run=True, **quiet())
        points = len(plan.steps)  # a stop before each step, and one in the watch

        def fail(index: int, step, stop=stop) -> None:
            if index == stop:
                raise Interrupted(step)

        def watch_fail(*tick, stop=stop) -> None:
            if stop == points:
                raise KeyboardInterrupt

        with pytest.raises(Exception):
            run(Aws(REGION), stage, second.path, second.handler, dry_run=False,
                **quiet(on_step=fail, on_canary=watch_fail))
        again = run(Aws(REGION), stage, second.path, second.handler, dry_run=False, **quiet())
        assert again.canary is None or again.canary.startswith("canary promoted"), (stop, again.canary)
        alias = _alias()
        assert not _weights(), stop
        live = _lambda().get_function_configuration(FunctionName=NAME, Qualifier=alias["FunctionVersion"])
        assert live["CodeSha256"] == plan_sha(second.path), stop
        settled = run(Aws(REGION), stage, second.path, second.handler, dry_run=False, **quiet())
        assert settled.steps == [] and settled.canary is None, (stop, [s.as_dict() for s in settled.steps])
        stop += 1


def plan_sha(path: Path) -> str:
    from lz.cli.deploy.models import code_sha256

    return code_sha256(path)
