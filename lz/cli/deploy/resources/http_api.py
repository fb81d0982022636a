"""An API Gateway HTTP API in front of the alias `live` (http: "http_api"): Lambda proxy
integration in payload 2.0, a $default route and an auto-deployed $default stage, and the permission
for this API alone to invoke the function. Removed when the stage switches to another front."""

from __future__ import annotations

from ...aws import TAG_PROJECT, TAG_STAGE, Aws
from ..models import ALIAS, Desired, function_name
from ..steps import Step
from . import _permissions, features

KIND = "http_api"
AFTER = ("record", "function")  # the alias live
SID = "lz-http-api"
PARTS = ("api", "integration", "route", "stage", "permission")


def _matching(aws: Aws, name: str, project: str, stage: str) -> list[dict]:
    """The HTTP APIs named `name` and tagged for this project and stage."""
    return [api for api in aws.read(("http-apis",), lambda: _all(aws, name))
            if api.get("Name") == name and (api.get("Tags") or {}).get(TAG_PROJECT) == project
            and (api.get("Tags") or {}).get(TAG_STAGE) == stage]


def _all(aws: Aws, name: str) -> list[dict]:
    """Every HTTP API of the region (get_apis has no paginator), listed once per command (plan,
    apply and the endpoint all look) until one is created, changed or deleted."""
    api_client = aws.client("apigatewayv2")
    found, token = [], None
    with aws.explain(f"listing HTTP APIs to find {name}"):
        while True:
            page = api_client.get_apis(**({"NextToken": token} if token else {}))
            found += page.get("Items", [])
            token = page.get("NextToken")
            if not token:
                return found


def _find(aws: Aws, name: str, project: str, stage: str) -> dict | None:
    apis = _matching(aws, name, project, stage)
    return apis[0] if apis else None


def routes(aws: Aws, api_id: str) -> list[dict]:
    """The API's routes, read once per command (this kind and access.py both look) until a write."""
    client = aws.client("apigatewayv2")
    return aws.read(("http-api-parts", api_id, "routes"), lambda: client.get_routes(ApiId=api_id).get("Items", []))


def stages(aws: Aws, api_id: str) -> list[dict]:
    """The API's stages, read once per command (this kind and access.py both look) until a write."""
    client = aws.client("apigatewayv2")
    return aws.read(("http-api-parts", api_id, "stages"), lambda: client.get_stages(ApiId=api_id).get("Items", []))


def _state(aws: Aws, want: Desired) -> dict:
    """Which parts exist: the API, the Lambda integration to `live`, the route, the stage, the
    permission. A deploy interrupted half-way leaves some: the plan adds only what is missing."""
    api = _find(aws, want.name, want.project, want.stage)
    if api is None:
        return {"api": None}
    client = aws.client("apigatewayv2")
    with aws.explain(f"reading HTTP API {want.name}"):
        integrations, have_routes, have_stages, granted = aws.map(lambda read: read(), [
            lambda: client.get_integrations(ApiId=api["ApiId"]).get("Items", []),
            lambda: routes(aws, api["ApiId"]),
            lambda: stages(aws, api["ApiId"]),
            lambda: _permissions.statement_ids(aws, want.name)])
    integration = next((i for i in integrations if i.get("IntegrationUri") == want.alias_arn), None)
    have_cors = {k: v for k, v in (api.get("CorsConfiguration") or {}).items() if v not in (None, [], False, 0)}
    want_cors = {k: v for k, v in want.cors_configuration().items() if v not in (None, [], False, 0)}
    return {
        "api": api,
        "cors": have_cors == want_cors,
        "integration": integration,
        "route": next((r for r in have_routes if r.get("RouteKey") == "$default"), None),
        "stage": next((s for s in have_stages if s.get("StageName") == "$default"), None),
        "permission": SID in granted,
    }


def plan(aws: Aws, want: Desired) -> list[Step]:
    if not features.needed(aws, want, "http_api"):
        return []  # neither asked for nor deployed (features.py)
    state = _state(aws, want)
    if want.http != "http_api":
        return [Step(KIND, want.name, "delete", f"the stage's front is now {want.http or 'none'}",
                     {"project": want.project, "stage": want.stage})] \
            if state["api"] else []
    reasons = {
        "api": "http is http_api", "integration": f"Lambda proxy (payload 2.0) to alias {ALIAS}",
        "route": "send every request ($default) to the function", "stage": "auto-deployed $default stage",
        "permission": "allow this API, and only it, to invoke the function",
    }
    if state["api"] is None:
        return [Step(KIND, want.name, "create", reasons[part], {"part": part}) for part in PARTS]
    steps = [Step(KIND, want.name, "create", reasons[part], {"part": part})
             for part in PARTS[1:] if not state[part]]
    if not state["cors"]:
        steps.insert(0, Step(KIND, want.name, "update", "CORS settings differ", {"part": "cors"}))
    return steps


def apply(aws: Aws, step: Step, want: Desired) -> None:
    client = aws.client("apigatewayv2")
    part = step.detail.get("part")
    with aws.explain(f"{step.action} {part or ''} of HTTP API {want.name}"):
        if part == "cors":
            aws.forget("http-apis")
        if part == "api":
            made = client.create_api(Name=want.name, ProtocolType="HTTP", Tags=want.tags,
                                     Description=f"lz: {want.project} {want.stage}",
                                     **({"CorsConfiguration": want.cors_configuration()} if want.cors else {}))
            made = {**{k: v for k, v in made.items() if k != "ResponseMetadata"}, "Tags": made.get("Tags") or want.tags}
            aws.update(("http-apis",), lambda apis: [*apis, made])  # the next parts find it unlisted
            return
        api = _find(aws, want.name, want.project, want.stage)
        api_id = api["ApiId"]
        if part == "cors":
            if want.cors:
                client.update_api(ApiId=api_id, CorsConfiguration=want.cors_configuration())
            else:
                client.delete_cors_configuration(ApiId=api_id)
        if part == "integration":
            made = client.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                             IntegrationUri=want.alias_arn, PayloadFormatVersion="2.0",
                                             TimeoutInMillis=30000)
            aws.forget("http-integration", api_id)
            aws.read(("http-integration", api_id), lambda: made["IntegrationId"])  # for the route
        elif part == "route":
            integration = aws.read(("http-integration", api_id), lambda: next(
                i["IntegrationId"] for i in client.get_integrations(ApiId=api_id).get("Items", [])
                if i.get("IntegrationUri") == want.alias_arn))
            client.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration}")
            aws.forget("http-api-parts", api_id, "routes")
        elif part == "stage":
            client.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True, Tags=want.tags)
            aws.forget("http-api-parts", api_id, "stages")
        elif part == "permission":
            _permissions.allow_api(aws, want.name, want.region, want.account, api_id, SID)


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    name = function_name(project, stage)
    return [Step(KIND, name, "delete", "undeploy", {"project": project, "stage": stage})] \
        if _find(aws, name, project, stage) else []


def delete(aws: Aws, step: Step) -> None:
    project, stage = step.detail["project"], step.detail["stage"]
    with aws.explain(f"deleting HTTP API {step.name}"):
        for api in _matching(aws, step.name, project, stage):
            aws.client("apigatewayv2").delete_api(ApiId=api["ApiId"])
        aws.forget("http-apis")
    _permissions.remove(aws, step.name, SID)


def endpoint(aws: Aws, want_name: str, project: str, stage: str) -> str | None:
    api = _find(aws, want_name, project, stage)
    return api["ApiEndpoint"] if api else None
