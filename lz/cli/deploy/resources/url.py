"""A Lambda Function URL on the alias `live` (http: "function_url"), with auth NONE or AWS_IAM;
removed when the stage switches to another front.

With auth NONE the alias's resource policy must let anyone call it through the URL, which since
October 2025 takes two statements for principal "*" (Lambda guide, "Control access to Lambda
function URLs", https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html):
lambda:InvokeFunctionUrl with the condition lambda:FunctionUrlAuthType = NONE, and
lambda:InvokeFunction with the condition lambda:InvokedViaFunctionUrl = true (so the second grants
nothing outside the URL). A stage deployed before has only the first: the plan adds the second.
With AWS_IAM callers need both actions in their own identity policy and lz grants nothing.

A streaming stage ("stream": true) gets invoke mode RESPONSE_STREAM (Lambda invokes the function
with InvokeWithResponseStream), a buffered one BUFFERED ("Invoking a response streaming enabled
function using Lambda function URLs", https://docs.aws.amazon.com/lambda/latest/dg/config-rs-invoke-furls.html);
switching updates the URL in place, so its address stays.
"""

from __future__ import annotations

from ...aws import Aws, not_found
from ..models import ALIAS, Desired, function_name
from ..steps import Step
from . import _permissions, features

KIND = "url"
AFTER = ("record", "function")  # the alias live
SID = "lz-function-url"  # lambda:InvokeFunctionUrl, auth type NONE
SID_INVOKE = "lz-function-url-invoke"  # lambda:InvokeFunction, only when invoked via the URL
PUBLIC = (SID, SID_INVOKE)


def invoke_mode(want: Desired) -> str:
    return "RESPONSE_STREAM" if want.stream else "BUFFERED"


def mode_of(config: dict) -> str:
    """The URL's invoke mode as AWS names it (BUFFERED when the API leaves it out)."""
    return str(config.get("InvokeMode") or "BUFFERED").upper()


def _read(aws: Aws, function: str) -> dict | None:
    return aws.read(("function-url", function), lambda: _fetch(aws, function))


def _fetch(aws: Aws, function: str) -> dict | None:
    try:
        return aws.client("lambda").get_function_url_config(FunctionName=function, Qualifier=ALIAS)
    except Exception as exc:
        if not_found(exc):
            return None
        with aws.explain(f"reading the Function URL of {function}"):
            raise


def plan(aws: Aws, want: Desired) -> list[Step]:
    if not features.needed(aws, want, "function_url"):
        return []  # neither asked for nor deployed (features.py)
    config = _read(aws, want.name)
    if want.http != "function_url":
        return [Step(KIND, f"{want.name} URL", "delete", f"the stage's front is now {want.http or 'none'}")] \
            if config else []
    steps = []
    mode = invoke_mode(want)
    if config is None:
        streamed = ", responses streamed" if want.stream else ""
        steps.append(Step(KIND, f"{want.name} URL", "create", f"http is function_url ({want.url_auth}{streamed})"))
    else:
        changes = []
        if config.get("AuthType") != want.url_auth:
            changes.append(f"auth {config.get('AuthType')} -> {want.url_auth}")
        if mode_of(config) != mode:
            changes.append(f"invoke mode {mode_of(config)} -> {mode} (stream: {str(want.stream).lower()})")
        if changes:
            steps.append(Step(KIND, f"{want.name} URL", "update", "; ".join(changes)))
    granted = [sid for sid in PUBLIC if sid in _permissions.statement_ids(aws, want.name)]
    missing = [sid for sid in PUBLIC if sid not in granted]
    if want.url_auth == "NONE" and missing:
        reason = "allow public calls to the URL (auth NONE)" if len(missing) == 2 else \
            "allow public calls to the URL: lambda:InvokeFunction via the URL, required since Oct 2025"
        steps.append(Step(KIND, f"{want.name} URL", "create", reason, {"part": "permission", "sids": missing}))
    if want.url_auth != "NONE" and granted:
        steps.append(Step(KIND, f"{want.name} URL", "delete", "auth AWS_IAM: no public permission",
                          {"part": "permission"}))
    return steps


def _allow_public(aws: Aws, function: str, sid: str) -> None:
    """One of the two statements auth NONE needs, on the alias the URL belongs to."""
    if sid == SID:
        grant = {"Action": "lambda:InvokeFunctionUrl", "FunctionUrlAuthType": "NONE"}
    else:
        grant = {"Action": "lambda:InvokeFunction", "InvokedViaFunctionUrl": True}
    _permissions.add(aws, function, sid, Principal="*", **grant)


def apply(aws: Aws, step: Step, want: Desired) -> None:
    lam = aws.client("lambda")
    aws.forget("function-url", want.name)
    with aws.explain(f"{step.action} the Function URL of {want.name}"):
        if step.detail.get("part") == "permission":
            for sid in step.detail.get("sids", PUBLIC):
                _allow_public(aws, want.name, sid)
        elif step.action == "create":
            lam.create_function_url_config(FunctionName=want.name, Qualifier=ALIAS, AuthType=want.url_auth,
                                           InvokeMode=invoke_mode(want))
        else:
            lam.update_function_url_config(FunctionName=want.name, Qualifier=ALIAS, AuthType=want.url_auth,
                                           InvokeMode=invoke_mode(want))


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    name = function_name(project, stage)
    return [Step(KIND, name, "delete", "undeploy")] if _read(aws, name) else []


def delete(aws: Aws, step: Step) -> None:
    """The URL and its public permission; or (part "permission") the permission alone."""
    function = step.name.removesuffix(" URL")
    for sid in PUBLIC:
        _permissions.remove(aws, function, sid)
    if step.detail.get("part") == "permission":
        return
    aws.forget("function-url", function)
    with aws.explain(f"deleting the Function URL of {function}"):
        try:
            aws.client("lambda").delete_function_url_config(FunctionName=function, Qualifier=ALIAS)
        except Exception as exc:
            if not not_found(exc):
                raise


def endpoint(aws: Aws, function: str) -> str | None:
    config = _read(aws, function)
    return config["FunctionUrl"] if config else None
