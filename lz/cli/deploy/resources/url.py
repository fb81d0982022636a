"""A Lambda Function URL on the alias `live` (http: "function_url"), with auth NONE or AWS_IAM;
removed when the stage switches to another front."""

from __future__ import annotations

from ...aws import Aws, not_found
from ..models import ALIAS, Desired, function_name
from ..steps import Step
from . import _permissions

KIND = "url"
SID = "lz-function-url"


def _read(aws: Aws, function: str) -> dict | None:
    try:
        return aws.client("lambda").get_function_url_config(FunctionName=function, Qualifier=ALIAS)
    except Exception as exc:
        if not_found(exc):
            return None
        with aws.explain(f"reading the Function URL of {function}"):
            raise


def plan(aws: Aws, want: Desired) -> list[Step]:
    config = _read(aws, want.name)
    if want.http != "function_url":
        return [Step(KIND, f"{want.name} URL", "delete", f"the stage's front is now {want.http or 'none'}")] \
            if config else []
    steps = []
    if config is None:
        steps.append(Step(KIND, f"{want.name} URL", "create", f"http is function_url ({want.url_auth})"))
    elif config.get("AuthType") != want.url_auth:
        steps.append(Step(KIND, f"{want.name} URL", "update",
                          f"auth {config.get('AuthType')} -> {want.url_auth}"))
    public = SID in _permissions.statement_ids(aws, want.name)
    if want.url_auth == "NONE" and not public:
        steps.append(Step(KIND, f"{want.name} URL", "create", "allow public calls to the URL (auth NONE)",
                          {"part": "permission"}))
    if want.url_auth != "NONE" and public:
        steps.append(Step(KIND, f"{want.name} URL", "delete", "auth AWS_IAM: no public permission",
                          {"part": "permission"}))
    return steps


def apply(aws: Aws, step: Step, want: Desired) -> None:
    lam = aws.client("lambda")
    with aws.explain(f"{step.action} the Function URL of {want.name}"):
        if step.detail.get("part") == "permission":
            lam.add_permission(FunctionName=want.name, Qualifier=ALIAS, StatementId=SID,
                               Action="lambda:InvokeFunctionUrl", Principal="*", FunctionUrlAuthType="NONE")
        elif step.action == "create":
            lam.create_function_url_config(FunctionName=want.name, Qualifier=ALIAS, AuthType=want.url_auth)
        else:
            lam.update_function_url_config(FunctionName=want.name, Qualifier=ALIAS, AuthType=want.url_auth)


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    name = function_name(project, stage)
    return [Step(KIND, name, "delete", "undeploy")] if _read(aws, name) else []


def delete(aws: Aws, step: Step) -> None:
    """The URL and its public permission; or (part "permission") the permission alone."""
    function = step.name.removesuffix(" URL")
    _permissions.remove(aws, function, SID)
    if step.detail.get("part") == "permission":
        return
    with aws.explain(f"deleting the Function URL of {function}"):
        try:
            aws.client("lambda").delete_function_url_config(FunctionName=function, Qualifier=ALIAS)
        except Exception as exc:
            if not not_found(exc):
                raise


def endpoint(aws: Aws, function: str) -> str | None:
    config = _read(aws, function)
    return config["FunctionUrl"] if config else None
