"""The roles of deployed workflows as AWS documents them (asserted on the requests a deploy sends),
and IAM's eventual consistency: a new role Step Functions cannot assume yet is waited for; a
refusal of the deploying identity is not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_deploy_workflows import (ACCOUNT, ALIAS_ARN, FUNCTION, MACHINES, PATH, deployed, machines,
                                             project, set_workflows, task_resources)

pytestmark = pytest.mark.slow
__all__ = ["project"]  # the fixture, shared with test_deploy_workflows.py


def test_each_machine_role_is_what_aws_documents_and_exists_before_its_machine(aws_env, moto_endpoint,
                                                                              project: Path) -> None:
    """Read from the requests the deploy sent (tests/cli/deploy_recording.py), not from moto's state.

    - Trust: Step Functions developer guide, "Creating an IAM role for your state machine in Step
      Functions", section "Prevent cross-service confused deputy issue"
      (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html): the
      service principal states.amazonaws.com may call sts:AssumeRole, limited with aws:SourceAccount
      (StringEquals, the account) and aws:SourceArn (ArnLike, the state machine); lz names the one
      machine the role is for, not the page's stateMachine:* example.
    - Permissions: "IAM Policy for AWS Lambda" in the same guide
      (https://docs.aws.amazon.com/step-functions/latest/dg/lambda-iam.html): lambda:InvokeFunction
      on the functions the Task states name; here that is the alias live and nothing else.
    - Logging: "Logging using CloudWatch Logs", IAM policies for logging
      (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html): the log-delivery
      actions, granted on Resource "*" because they take no resource; only while logging is on.
    """
    from lz.cli.deploy.machines import LOG_DELIVERY
    from tests.cli.deploy_recording import calls_of, index_of, record

    set_workflows(project, {"process": {"logging": "ERROR"}})
    record(moto_endpoint, "start")
    deployed(project)
    calls = record(moto_endpoint, "stop")
    roles = {c.params["RoleName"]: c.params for c in calls_of(calls, "iam", "CreateRole")}
    for name in ("cleanup", "process"):
        role, machine = f"{FUNCTION}-{name}-states", f"{MACHINES}{name}"
        assert roles[role]["Path"] == PATH
        assert json.loads(roles[role]["AssumeRolePolicyDocument"]) == {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT},
                          "ArnLike": {"aws:SourceArn": machine}}}]}
        [put] = [c for c in calls_of(calls, "iam", "PutRolePolicy") if c.params["RoleName"] == role]
        statements = json.loads(put.params["PolicyDocument"])["Statement"]
        assert statements[0] == {"Sid": "InvokeLive", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
                                 "Resource": [ALIAS_ARN]}
        expected_logs = [{"Sid": "LogDelivery", "Effect": "Allow", "Action": LOG_DELIVERY, "Resource": "*"}]
        assert statements[1:] == (expected_logs if name == "process" else [])
        [create] = [c for c in calls_of(calls, "states", "CreateStateMachine")
                    if c.params["name"] == f"{FUNCTION}-{name}"]
        assert create.params["roleArn"] == f"arn:aws:iam::{ACCOUNT}:role{PATH}{role}"
        assert set(task_resources(json.loads(create.params["definition"]))) == {ALIAS_ARN}
        assert index_of(calls, "iam", "PutRolePolicy", RoleName=role) < calls.index(create)
    assert LOG_DELIVERY == ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                            "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                            "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"]  # the page's list
    group = f"/aws/vendedlogs/states/{FUNCTION}-process"
    assert index_of(calls, "logs", "CreateLogGroup", logGroupName=group) < \
        index_of(calls, "states", "CreateStateMachine", name=f"{FUNCTION}-process")
    # the function starts its own machines and no others
    [own] = [c for c in calls_of(calls, "iam", "PutRolePolicy") if c.params["RoleName"] == f"{FUNCTION}-lambda"]
    start = [s for s in json.loads(own.params["PolicyDocument"])["Statement"] if s["Sid"] == "StartWorkflows"]
    assert start == [{"Sid": "StartWorkflows", "Effect": "Allow", "Action": ["states:StartExecution"],
                      "Resource": [f"{MACHINES}cleanup", f"{MACHINES}process"]}]


def _refuse(monkeypatch, times: int, message: str) -> list[int]:
    """moto's Step Functions refuses CreateStateMachine `times` times (the server runs in this
    process), as AWS does while a new role has not reached it."""
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.models import StepFunctionBackend

    class AccessDenied(AWSError):
        TYPE = "AccessDeniedException"
        STATUS = 400

    calls = [0]
    real = StepFunctionBackend.create_state_machine

    def create(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] <= times:
            raise AccessDenied(message)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(StepFunctionBackend, "create_state_machine", create)
    return calls


def test_a_new_role_not_yet_assumable_is_waited_for(aws_env, project: Path, monkeypatch) -> None:
    """IAM is eventually consistent: Step Functions refuses a role made seconds ago ("Neither the
    global service principal states.amazonaws.com, nor the regional one is authorized to assume the
    provided role"); the deploy retries with backoff instead of failing half-way."""
    import lz.cli.deploy.resources.workflows as kind
    from lz.cli.aws import Aws

    sleeps: list[float] = []
    monkeypatch.setattr(Aws, "pause", lambda self, seconds: sleeps.append(seconds))
    calls = _refuse(monkeypatch, 3, "Neither the global service principal states.amazonaws.com, nor the regional "
                                    "one is authorized to assume the provided role.")
    deployed(project)
    assert calls[0] == 3 + 2 and set(machines()) == {f"{FUNCTION}-cleanup", f"{FUNCTION}-process"}
    assert sleeps == list(kind.RETRY_DELAYS[:3])


def test_a_role_that_never_becomes_assumable_is_a_clear_error_after_the_retries(aws_env, project: Path,
                                                                                 monkeypatch) -> None:
    import lz.cli.deploy.resources.workflows as kind
    from lz.cli.aws import Aws, AwsError

    monkeypatch.setattr(Aws, "pause", lambda self, seconds: None)
    calls = _refuse(monkeypatch, 99, "Neither the global service principal states.amazonaws.com, nor the regional "
                                     "one is authorized to assume the provided role.")
    with pytest.raises(AwsError) as refused:
        deployed(project)
    assert calls[0] == len(kind.RETRY_DELAYS) + 1
    assert f"Step Functions still could not use IAM role {FUNCTION}-cleanup-states after 55 s of retries" \
        in str(refused.value)
    assert "the identity you deploy with" not in str(refused.value)


def test_the_deploying_identity_lacking_a_permission_is_not_retried(aws_env, project: Path, monkeypatch) -> None:
    from lz.cli.aws import Aws, AwsError

    monkeypatch.setattr(Aws, "pause", lambda self, s: pytest.fail("retried a refusal of the deployer itself"))
    calls = _refuse(monkeypatch, 99, f"User: arn:aws:iam::{ACCOUNT}:user/ci is not authorized to perform: "
                                     f"iam:PassRole on resource: {FUNCTION}-cleanup-states")
    with pytest.raises(AwsError) as refused:
        deployed(project)
    assert calls[0] == 1
    assert f"creating state machine {FUNCTION}-cleanup failed: AccessDeniedException: User:" in str(refused.value)
    assert "the identity you deploy with lacks this permission" in str(refused.value)
