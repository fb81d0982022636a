"""example_flask's restock workflow, end to end: `lz deploy dev` makes its state machine, a request
to the view starts an execution of it from inside the built bundle (by LZ_WORKFLOW_ARN_PREFIX, as
deployed), and moto's engine runs it, each Task state invoking the same bundle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lz.cli.main import cli
from tests.builders import make
from tests.cli.conftest import project_copy
from tests.workflow.engine import Engine, Outcome

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("workflow-engine")]
PREFIX = "arn:aws:states:us-east-1:123456789012:stateMachine:example-flask-dev-"


@pytest.fixture(scope="module")
def flask_engine(tmp_path_factory: pytest.TempPathFactory, lz_env) -> Any:
    """example_flask's bundle under the local runtime, behind an engine of its own (a second moto
    server of this process: it shares the first one's state)."""
    from lz.cli.bundle import build
    from lz.cli.local.runner import LocalFunction
    from lz.cli.settings import load
    from tests.cli.conftest import need_python

    python = need_python("3.13")
    bundle = build(load(project_copy(tmp_path_factory.mktemp("flask"), "example_flask"), "dev"))
    engine = Engine()
    environment = {"AWS_ENDPOINT_URL": engine.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                   "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                   "UPLOADS_BUCKET": "example-flask-uploads-dev", "LZ_WORKFLOW_ARN_PREFIX": PREFIX}
    try:
        with LocalFunction(bundle.path, "3.13", python=python, name="example-flask-dev", timeout=30,
                           environment=environment) as fn:
            engine.function = fn
            yield engine
    finally:
        engine.close()


def test_the_view_starts_the_deployed_restock_machine_and_it_runs_in_the_bundle(aws_env, flask_engine, monkeypatch,
                                                                                  tmp_path: Path) -> None:
    import boto3

    project = project_copy(tmp_path, "example_flask")
    with flask_engine.active(monkeypatch):
        done = CliRunner().invoke(cli, ["deploy", "dev", "--project", str(project)], catch_exceptions=False)
        assert done.exit_code == 0, done.output
        variables = boto3.client("lambda", region_name="us-east-1").get_function_configuration(
            FunctionName="example-flask-dev")["Environment"]["Variables"]
        assert variables["LZ_WORKFLOW_ARN_PREFIX"] == PREFIX  # what the bundle runs with here

        answered = flask_engine.invoke(make("http_v2", method="POST", path="/api/items/1/restock"))
        assert answered.ok and answered.result["statusCode"] == 202, answered.log
        arn = json.loads(answered.result["body"])["execution"]
        assert arn.startswith("arn:aws:states:us-east-1:123456789012:execution:example-flask-dev-restock:")
        assert flask_engine.outcome(arn) == Outcome("ok", {
            "item": 1, "name": "kettle", "price": 311,
            "levels": [{"warehouse": "north", "count": 5}, {"warehouse": "south", "count": 5}]})

        refused = flask_engine.invoke(make("http_v2", method="POST", path="/api/items/2/restock", body=b'{"a": 1}',
                                           headers=[("content-type", "application/json")]))
        assert refused.ok and refused.result["statusCode"] == 400
        missing = flask_engine.invoke(make("http_v2", method="POST", path="/api/items/99/restock"))
        assert missing.result["statusCode"] == 404

        failed = CliRunner().invoke(cli, [
            "workflow", "start", "dev", "restock", "--args", '{"item_id": 2, "name": "teapot", "warehouses": []}',
            "--wait", "--poll", "0.05", "--project", str(project)], catch_exceptions=False)
        assert failed.exit_code == 1
        assert "ended FAILED in state" in failed.stderr
        assert ": WorkflowError: no warehouse to restock teapot in" in failed.stderr
