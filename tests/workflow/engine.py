"""moto's Step Functions engine in this process, its Lambda calls answered by the built bundle.

moto runs a state machine only when its `stepfunctions.execute_state_machine` setting is on
(moto/core/config.py; the parser backend in moto/stepfunctions/parser/). Its Task states call Lambda
through a boto3 client on http://localhost:$MOTO_PORT (moto/stepfunctions/parser/asl/utils/
boto_client.py), so the server runs here (ThreadedMotoServer) and MOTO_PORT names its port. moto's
own Lambda runs no code without Docker; `LambdaFunction.invoke` is routed to lz's local runtime,
which runs the built zip under awslambdaric (lz.cli.local.runner.LocalFunction): every task result
a machine sees was computed by the bundle, none is stubbed.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
import uuid
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

REGION = "us-east-1"
FUNCTION = "wfdemo-dev"


@dataclass(frozen=True)
class Outcome:
    """How a run ended, the same way for Python and for a machine: ("ok", value) or
    ("error", error name, message)."""

    kind: str
    value: Any = None
    error: str | None = None
    cause: str | None = None

    def __repr__(self) -> str:
        return f"ok({self.value!r})" if self.kind == "ok" else f"error({self.error}: {self.cause!r})"


def message_of(cause: str | None) -> str | None:
    """A machine's cause as the message: a Lambda error's cause is the function's error JSON."""
    if cause and cause.startswith("{"):
        try:
            return json.loads(cause).get("errorMessage", cause)
        except ValueError:
            return cause
    return cause


def python_outcome(workflow: Any, *args: Any, **kwargs: Any) -> Outcome:
    from lz.tasks import TaskError
    from lz.tasks.workflow import StepFailed, WorkflowError

    try:
        return Outcome("ok", workflow(*args, **kwargs))
    except StepFailed as exc:
        return Outcome("error", error=exc.error, cause=exc.cause)
    except (WorkflowError, TaskError) as exc:
        return Outcome("error", error=type(exc).__name__, cause=str(exc))


class Engine:
    def __init__(self) -> None:
        from tests.cli.conftest import start_moto_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # not made to answer one request at a time like tests/cli/conftest.py's server: here a
        # Task's Lambda call runs the bundle, which calls this server back while moto waits
        self.server, self.port = start_moto_server()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.function: Any = None  # the LocalFunction running the bundle: started once .port is known
        self.lock = threading.Lock()  # one Lambda instance answers one invocation at a time
        self.invocations = 0

    def close(self) -> None:
        self.server.stop()

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def _invoke(self, body: Any, request_headers: Any, response_headers: dict[str, str]) -> bytes:
        event = json.loads(body) if body else {}
        with self.lock:
            self.invocations += 1
            done = self.function.invoke(event)
        if done.ok:
            return json.dumps(done.result).encode()
        response_headers["x-amz-function-error"] = "Unhandled"
        payload = done.outcome.payload
        if not isinstance(payload, dict):
            payload = {"errorMessage": done.describe(), "errorType": done.outcome.kind}
        return json.dumps(payload).encode()

    @contextmanager
    def active(self, monkeypatch: Any) -> Iterator["Engine"]:
        """moto executes machines, and its Lambda invokes the bundle, for the duration."""
        from moto.awslambda.models import LambdaFunction
        from moto.core.config import default_user_config

        engine = self

        def invoke(fn: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
            return engine._invoke(body, request_headers, response_headers)

        monkeypatch.setitem(default_user_config, "stepfunctions", {"execute_state_machine": True})
        monkeypatch.setitem(default_user_config, "lambda", {"use_docker": True})  # moto's full backend
        monkeypatch.setattr(LambdaFunction, "invoke", invoke)
        monkeypatch.setenv("MOTO_PORT", str(self.port))
        self.alias_arn = self._ensure_function()
        yield self

    def _ensure_function(self) -> str:
        lam = self.client("lambda")
        try:
            return lam.get_alias(FunctionName=FUNCTION, Name="live")["AliasArn"]
        except lam.exceptions.ResourceNotFoundException:
            pass
        iam = self.client("iam")
        try:
            role = iam.get_role(RoleName="wfdemo-lambda")["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            role = iam.create_role(RoleName="wfdemo-lambda", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as zf:
            zf.writestr("lz_handler.py", "# the real bundle runs in lz's local runtime\n")
        lam.create_function(FunctionName=FUNCTION, Runtime="python3.13", Role=role, Handler="lz_handler.handler",
                            Code={"ZipFile": code.getvalue()}, Publish=True)
        return lam.create_alias(FunctionName=FUNCTION, Name="live", FunctionVersion="1")["AliasArn"]

    def create(self, compiled: Any, name: str | None = None) -> str:
        """A state machine of `compiled` (lz.cli.workflow.Compiled), the placeholder filled in."""
        from lz.cli.workflow import resolve

        sfn = self.client("stepfunctions")
        name = name or f"{FUNCTION}-{compiled.name}-{uuid.uuid4().hex[:8]}"
        return sfn.create_state_machine(name=name, definition=resolve(compiled.asl, self.alias_arn),
                                        roleArn="arn:aws:iam::123456789012:role/wfdemo-machine")["stateMachineArn"]

    def invoke(self, event: Any) -> Any:
        """Invoke the bundle directly (as a front would), one invocation at a time with the engine's."""
        with self.lock:
            return self.function.invoke(event)

    def run(self, machine_arn: str, arguments: dict[str, Any], timeout: float = 180) -> Outcome:
        sfn = self.client("stepfunctions")
        arn = sfn.start_execution(stateMachineArn=machine_arn, name=uuid.uuid4().hex,
                                  input=json.dumps(arguments))["executionArn"]
        return self.outcome(arn, timeout)

    def outcome(self, arn: str, timeout: float = 180) -> Outcome:
        """How execution `arn` ended (waits for it)."""
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            described = sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"execution {arn} still running after {timeout} s:\n{self.history(arn)}")
            time.sleep(0.02)
        if described["status"] == "SUCCEEDED":
            events = sfn.get_execution_history(executionArn=arn, reverseOrder=True)["events"]
            done = next(e for e in events if e["type"] == "ExecutionSucceeded")
            return Outcome("ok", json.loads(done["executionSucceededEventDetails"]["output"]))
        return Outcome("error", error=described.get("error"), cause=message_of(described.get("cause")))

    def history(self, arn: str) -> str:
        events = self.client("stepfunctions").get_execution_history(executionArn=arn)["events"]
        return "\n".join(f"{e['type']}: {json.dumps({k: v for k, v in e.items() if k.endswith('Details')}, default=str)[:300]}"
                         for e in events)


def environment_for_moto() -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION, **{k: v for k, v in os.environ.items() if k == "LZ_CACHE_DIR"}}
