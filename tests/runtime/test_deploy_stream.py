"""`"stream": true` deployed against moto: the front in stream mode, lz's exec wrapper in the
function's environment, the switch back to buffered, and the refusals (a front that cannot stream,
a bundle without lz's loop).

moto keeps a Function URL's InvokeMode from CreateFunctionUrlConfig but drops it from
UpdateFunctionUrlConfig, which AWS applies ("UpdateFunctionUrlConfig", Lambda API reference:
https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionUrlConfig.html); the server runs in
this process, so the fixture below makes it keep the field as AWS does. moto stores no
responseTransferMode for a REST integration: what lz sent is read from moto's request recorder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lz.cli.settings import SettingsError, load
from lz.runtime import wrapper
from tests.cli.conftest import REGION, make_project
from tests.cli.deploy_recording import record
from tests.runtime.support import with_loop

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("runtime-deploy")]

APP = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"
NAME = "proj-dev"


@pytest.fixture
def moto_keeps_invoke_mode(monkeypatch) -> None:
    from moto.awslambda import models

    update = models.FunctionUrlConfig.update

    def update_with_mode(self, new_config: dict) -> None:
        update(self, new_config)
        if new_config.get("InvokeMode"):
            self.config["InvokeMode"] = new_config["InvokeMode"]

    monkeypatch.setattr(models.FunctionUrlConfig, "update", update_with_mode)


def _project(tmp_path: Path, **dev) -> Path:
    return make_project(tmp_path, {"dev": {"app": "app:app", **dev}}, {"app.py": APP})


def _set(project: Path, **changes) -> None:
    path = project / "lz_settings.json"
    data = json.loads(path.read_text())
    data["dev"].update(changes)
    path.write_text(json.dumps(data))


def _deploy(project: Path, loop: bool = True, dry_run: bool = False):
    from lz.cli.aws import Aws
    from lz.cli.bundle import build
    from lz.cli.deploy.operations import deploy

    stage = load(project, "dev")
    bundle = build(stage)
    path = with_loop(bundle.path, bundle.path.with_name("with-loop.zip")) if loop else bundle.path
    return deploy(Aws(REGION), stage, path, bundle.handler, dry_run=dry_run, show_plan=lambda s: None)


def _lambda():
    import boto3

    return boto3.client("lambda", region_name=REGION)


def _env() -> dict[str, str]:
    config = _lambda().get_function_configuration(FunctionName=NAME, Qualifier="live")
    return (config.get("Environment") or {}).get("Variables") or {}


@pytest.mark.parametrize("http,says", [("http_api", "HTTP APIs cannot stream"),
                                       (False, "has no HTTP front"), ("alb", None)])
def test_stream_needs_a_front_that_can_stream(tmp_path: Path, http, says) -> None:
    """HTTP APIs cannot stream; REST APIs and Function URLs can ("Stream the integration response
    for your proxy integrations in API Gateway": "Only REST APIs support response streaming",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html)."""
    project = _project(tmp_path, http=http, stream=True)
    with pytest.raises(SettingsError) as error:
        load(project, "dev")
    message = str(error.value)
    if says is None:  # not a front lz deploys at all: the schema refuses it first
        assert '"http" must be one of' in message
        return
    assert says in message and '"function_url"' in message and '"rest_api"' in message


def test_stream_refuses_a_wrapper_of_the_users_own(tmp_path: Path) -> None:
    project = _project(tmp_path, http="function_url", stream=True,
                       environment={"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-instrument"})
    with pytest.raises(SettingsError, match="AWS_LAMBDA_EXEC_WRAPPER=/opt/otel-instrument"):
        load(project, "dev")


def test_function_url_streams_and_switches_back(aws_env, moto_endpoint, moto_keeps_invoke_mode,
                                                tmp_path: Path) -> None:
    project = _project(tmp_path, http="function_url", stream=True)
    record(moto_endpoint, "start")
    _deploy(project)
    calls = record(moto_endpoint, "stop")
    created = [c for c in calls if c.operation == "CreateFunctionUrlConfig"]
    assert created and created[0].params["InvokeMode"] == "RESPONSE_STREAM"
    url = _lambda().get_function_url_config(FunctionName=NAME, Qualifier="live")
    assert url["InvokeMode"] == "RESPONSE_STREAM"
    env = _env()
    assert env[wrapper.ENV] == wrapper.PATH == "/var/task/lz/runtime/wrapper.sh" and env["LZ_STREAM"] == "1"
    assert _deploy(project).steps == []  # converged

    from lz.cli.aws import Aws
    from lz.cli.deploy.operations import status

    stage = load(project, "dev")
    shown = status(Aws(REGION), stage, None, "lz_handler.handler")
    assert shown.responses == "streamed (lz runtime loop); Function URL invoke mode RESPONSE_STREAM"

    _set(project, stream=False)
    record(moto_endpoint, "start")
    switched = _deploy(project)
    calls = record(moto_endpoint, "stop")
    reasons = [s.reason for s in switched.steps if s.kind == "url"]
    assert reasons == ["invoke mode RESPONSE_STREAM -> BUFFERED (stream: false)"]
    updated = [c for c in calls if c.operation == "UpdateFunctionUrlConfig"]
    assert updated and updated[0].params["InvokeMode"] == "BUFFERED"
    assert _lambda().get_function_url_config(FunctionName=NAME, Qualifier="live")["InvokeMode"] == "BUFFERED"
    assert url["FunctionUrl"] == _lambda().get_function_url_config(FunctionName=NAME)["FunctionUrl"]
    assert wrapper.ENV not in _env() and "LZ_STREAM" not in _env()
    assert _deploy(project).steps == []
    shown = status(Aws(REGION), load(project, "dev"), None, "lz_handler.handler")
    assert shown.responses == "buffered; Function URL invoke mode BUFFERED"


def test_rest_api_integrations_stream_and_switch_back(aws_env, moto_endpoint, tmp_path: Path) -> None:
    import boto3

    project = _project(tmp_path, http="rest_api", stream=True, timeout=120)
    record(moto_endpoint, "start")
    _deploy(project)
    calls = record(moto_endpoint, "stop")
    puts = [c for c in calls if c.service == "apigateway" and c.operation.startswith("PUT ")
            and c.operation.endswith("/integration")]
    assert len(puts) == 2  # ANY / and ANY /{proxy+}
    for put in puts:
        assert put.params["responseTransferMode"] == "STREAM"
        assert put.params["timeoutInMillis"] == 120_000  # the function's own timeout, not 29 s
        assert put.params["uri"].endswith(f":function:{NAME}:live/response-streaming-invocations")
        assert "/2021-11-15/functions/" in put.params["uri"]
    assert _env()["LZ_STREAM"] == "1"
    assert _deploy(project).steps == []

    _set(project, stream=False)
    record(moto_endpoint, "start")
    _deploy(project)
    calls = record(moto_endpoint, "stop")
    puts = [c for c in calls if c.service == "apigateway" and c.operation.startswith("PUT ")
            and c.operation.endswith("/integration")]
    assert len(puts) == 2 and all("responseTransferMode" not in p.params for p in puts)
    assert all(p.params["uri"].endswith(f":function:{NAME}:live/invocations") for p in puts)
    assert "LZ_STREAM" not in _env()
    api = next(a for a in boto3.client("apigateway", region_name=REGION).get_rest_apis()["items"]
               if a["name"] == NAME)
    assert api and _deploy(project).steps == []


def test_a_bundle_without_the_loop_is_refused_before_any_change(aws_env, tmp_path: Path) -> None:
    from lz.cli.deploy.limits import LimitError

    project = _project(tmp_path, http="function_url", stream=True)
    stripped = tmp_path / "stripped"
    with pytest.raises(LimitError) as error:
        from lz.cli.aws import Aws
        from lz.cli.bundle import build
        from lz.cli.deploy.operations import deploy

        stage = load(project, "dev")
        bundle = build(stage)
        import zipfile

        with zipfile.ZipFile(bundle.path) as src, zipfile.ZipFile(stripped, "w") as dst:
            for info in src.infolist():
                if not info.filename.startswith("lz/runtime/"):
                    dst.writestr(info, src.read(info))
        deploy(Aws(REGION), stage, stripped, bundle.handler, dry_run=False, show_plan=lambda s: None)
    message = str(error.value)
    assert "nothing was changed in AWS" in message and "has no lz/runtime/" in message
    assert '"stream": false' in message
    import boto3

    assert boto3.client("lambda", region_name=REGION).list_functions()["Functions"] == []
