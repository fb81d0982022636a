"""An API Gateway REST API in front of the alias `live` (http: "rest_api"): ANY / and ANY /{proxy+}
as Lambda proxy integrations, a deployment in a stage named after the lz stage (so URLs carry
/STAGE/, which the adapter moves to SCRIPT_NAME), binary media types, and the permission for this
API alone to invoke the function. Removed when the stage switches to another front.

A streaming stage ("stream": true) gets integrations in response transfer mode STREAM, which invoke
the function through InvokeWithResponseStream (the integration URI's 2021-11-15 path ending in
/response-streaming-invocations), with the integration timeout raised to the function's own (up to
the 15 minutes a stream may last) ("Stream the integration response for your proxy integrations in
API Gateway", https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html;
"Set up a Lambda proxy integration with payload response streaming in API Gateway",
https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html).
A buffered stage's integrations are put without a transfer mode: BUFFERED, AWS's default."""

from __future__ import annotations

from ...aws import TAG_PROJECT, TAG_STAGE, Aws
from ..models import ALIAS, Desired, function_name
from ..steps import Step
from . import _permissions, features

KIND = "rest_api"
AFTER = ("record", "function")  # the alias live
SID = "lz-rest-api"


def _find(aws: Aws, name: str, project: str, stage: str) -> dict | None:
    for api in aws.read(("rest-apis",), lambda: _all(aws, name)):
        tags = api.get("tags") or {}
        if api.get("name") == name and tags.get(TAG_PROJECT) == project and tags.get(TAG_STAGE) == stage:
            return api
    return None


def _all(aws: Aws, name: str) -> list[dict]:
    """Every REST API of the region, listed once per command until one is created, changed or
    deleted."""
    client = aws.client("apigateway")
    with aws.explain(f"listing REST APIs to find {name}"):
        return [api for page in client.get_paginator("get_rest_apis").paginate() for api in page.get("items", [])]


STREAM_LIMIT_MS = 15 * 60 * 1000  # the longest a streamed response may last


def _uri(want: Desired) -> str:
    if want.stream:
        return (f"arn:aws:apigateway:{want.region}:lambda:path/2021-11-15/functions/"
                f"{want.alias_arn}/response-streaming-invocations")
    return (f"arn:aws:apigateway:{want.region}:lambda:path/2015-03-31/functions/"
            f"{want.alias_arn}/invocations")


def _transfer_mode(want: Desired) -> str:
    return "STREAM" if want.stream else "BUFFERED"


def _integrated(integration: dict, want: Desired) -> bool:
    """The integration invokes this stage's alias in the wanted mode (its transfer mode is read
    where the API reports one)."""
    mode = integration.get("responseTransferMode")
    return integration.get("uri") == _uri(want) and (mode is None or mode == _transfer_mode(want))


def _state(aws: Aws, want: Desired) -> dict:
    api = _find(aws, want.name, want.project, want.stage)
    if api is None:
        return {"api": None}
    client = aws.client("apigateway")
    with aws.explain(f"reading REST API {want.name}"):
        resources = client.get_resources(restApiId=api["id"])["items"]
        integrated = set()
        for resource in resources:
            if "ANY" in (resource.get("resourceMethods") or {}):
                try:
                    integration = client.get_integration(restApiId=api["id"], resourceId=resource["id"],
                                                         httpMethod="ANY")
                except Exception:
                    continue
                if _integrated(integration, want):
                    integrated.add(resource["path"])
        stages = {s["stageName"] for s in client.get_stages(restApiId=api["id"]).get("item", [])}
    return {
        "api": api,
        "root": "/" in integrated,
        "proxy": "/{proxy+}" in integrated,
        "stage": want.stage in stages,
        "binary": sorted(t for t in api.get("binaryMediaTypes") or [] if t) == sorted(want.binary_media_types),
        "permission": SID in _permissions.statement_ids(aws, want.name),
    }


REASONS = {
    "api": "http is rest_api", "root": f"ANY / -> alias {ALIAS}", "proxy": f"ANY /{{proxy+}} -> alias {ALIAS}",
    "root-stream": f"ANY / -> alias {ALIAS}, streamed (transfer mode STREAM)",
    "proxy-stream": f"ANY /{{proxy+}} -> alias {ALIAS}, streamed (transfer mode STREAM)",
    "stage": "deploy to a stage named after this one", "binary": "binary media types differ",
    "permission": "allow this API, and only it, to invoke the function",
}


def plan(aws: Aws, want: Desired) -> list[Step]:
    if not features.needed(aws, want, "rest_api"):
        return []  # neither asked for nor deployed (features.py)
    state = _state(aws, want)
    if want.http != "rest_api":
        return [Step(KIND, want.name, "delete", f"the stage's front is now {want.http or 'none'}")] \
            if state["api"] else []
    def reason(part: str) -> str:
        return REASONS[f"{part}-stream"] if want.stream and part in ("root", "proxy") else REASONS[part]

    if state["api"] is None:
        return [Step(KIND, want.name, "create", reason(p), {"part": p})
                for p in ("api", "root", "proxy", "stage", "permission")]
    steps = [Step(KIND, want.name, "update" if p == "binary" else "create", reason(p), {"part": p})
             for p in ("binary", "root", "proxy", "permission") if not state[p]]
    if not state["stage"] or any(s.detail["part"] in ("binary", "root", "proxy") for s in steps):
        steps.insert(len(steps) - (0 if state["permission"] else 1),
                     Step(KIND, want.name, "create", REASONS["stage"], {"part": "stage"}))
    return steps


def _method(client, api_id: str, resource_id: str, want: Desired) -> None:
    try:
        client.put_method(restApiId=api_id, resourceId=resource_id, httpMethod="ANY",
                          authorizationType="NONE", apiKeyRequired=_key_required(want))
    except Exception as exc:
        if "ConflictException" not in type(exc).__name__ and \
                getattr(exc, "response", {}).get("Error", {}).get("Code") != "ConflictException":
            raise
    streaming = {}
    if want.stream:
        streaming = {"responseTransferMode": "STREAM",
                     "timeoutInMillis": max(29000, min(want.timeout * 1000, STREAM_LIMIT_MS))}
    client.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod="ANY",
                           type="AWS_PROXY", integrationHttpMethod="POST", uri=_uri(want), **streaming)


def _key_required(want: Desired) -> bool:
    """Settings "auth": {"api_keys": ...}: every method wants an API key (access.py)."""
    from ...settings_front import auth_mode

    return auth_mode(want.auth) == "api_keys"


def _set_binary(client, api_id: str, want: Desired) -> None:
    """Make the API's binary media types the wanted ones (JSON Patch paths escape / as ~1; the
    value is sent too, which AWS allows for add and some emulators read instead of the path)."""
    have = {t for t in client.get_rest_api(restApiId=api_id).get("binaryMediaTypes") or [] if t}
    wanted = set(want.binary_media_types)
    ops = [{"op": "remove", "path": "/binaryMediaTypes/" + t.replace("/", "~1"), "value": t}
           for t in sorted(have - wanted)]
    ops += [{"op": "add", "path": "/binaryMediaTypes/" + t.replace("/", "~1"), "value": t}
            for t in sorted(wanted - have)]
    if ops:
        client.update_rest_api(restApiId=api_id, patchOperations=ops)


def apply(aws: Aws, step: Step, want: Desired) -> None:
    client = aws.client("apigateway")
    part = step.detail.get("part")
    with aws.explain(f"{step.action} {part or ''} of REST API {want.name}"):
        if part == "binary":
            aws.forget("rest-apis")
        if part == "api":
            api = client.create_rest_api(name=want.name, description=f"lz: {want.project} {want.stage}",
                                         binaryMediaTypes=list(want.binary_media_types),
                                         endpointConfiguration={"types": ["REGIONAL"]}, tags=want.tags)
            _set_binary(client, api["id"], want)  # a no-op where create already set them
            made = {**{k: v for k, v in api.items() if k != "ResponseMetadata"}, "tags": api.get("tags") or want.tags}
            aws.update(("rest-apis",), lambda apis: [*apis, made])  # the next parts find it unlisted
            return
        api_id = _find(aws, want.name, want.project, want.stage)["id"]
        resources = client.get_resources(restApiId=api_id)["items"]
        root = next(r for r in resources if r["path"] == "/")
        if part == "root":
            _method(client, api_id, root["id"], want)
        elif part == "proxy":
            proxy = next((r for r in resources if r["path"] == "/{proxy+}"), None)
            if proxy is None:
                proxy = client.create_resource(restApiId=api_id, parentId=root["id"], pathPart="{proxy+}")
            _method(client, api_id, proxy["id"], want)
        elif part == "binary":
            _set_binary(client, api_id, want)
        elif part == "stage":
            client.create_deployment(restApiId=api_id, stageName=want.stage,
                                     description="lz deploy")
        elif part == "permission":
            _permissions.allow_api(aws, want.name, want.region, want.account, api_id, SID)


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    name = function_name(project, stage)
    return [Step(KIND, name, "delete", "undeploy")] if _find(aws, name, project, stage) else []


def delete(aws: Aws, step: Step) -> None:
    client = aws.client("apigateway")
    with aws.explain(f"deleting REST API {step.name}"):
        for page in client.get_paginator("get_rest_apis").paginate():
            for api in page.get("items", []):
                if api.get("name") == step.name and TAG_PROJECT in (api.get("tags") or {}):
                    client.delete_rest_api(restApiId=api["id"])
    aws.forget("rest-apis")
    _permissions.remove(aws, step.name, SID)


def endpoint(aws: Aws, want: Desired) -> str | None:
    api = _find(aws, want.name, want.project, want.stage)
    return f"https://{api['id']}.execute-api.{want.region}.amazonaws.com/{want.stage}/" if api else None
