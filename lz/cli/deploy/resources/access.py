"""Who may call the front, and how fast (settings `auth` and `throttle`), on the API lz made.

HTTP API: a JWT authorizer named lz-jwt (issuer and audience from `auth.jwt`, the token in the
Authorization header) on the $default route, or AWS_IAM on it, or NONE; `throttle` is the $default
stage's default route throttling. REST API: with `auth.api_keys`, both ANY methods require an API
key and a usage plan (tagged for the stage) carries the stage with `throttle` and the quota;
`throttle` is also the stage's method throttling (`*/*`). A Function URL's IAM auth is its own
auth type (url.py). Each step re-reads what it changes, so an interrupted deploy converges.

Without `throttle`, the HTTP API stage is set back to the account's own limits, read with
apigateway GetAccount (`throttleSettings`; the deploying identity needs apigateway:GET on
arn:aws:apigateway:REGION::/account): API Gateway cannot unset a stage's default route throttling,
and a fixed figure would be wrong twice over, since the account-level default is 10,000 requests
per second (burst 5,000) in most Regions but 2,500 (burst 1,250) in some, and an account may have
had its quota raised ("Amazon API Gateway quotas" and "Throttle requests to your HTTP APIs", API
Gateway developer guide). The stage's record keeps `access` while it carries that throttle
(features.py), so later deploys follow the account's limits; a throttle set outside lz on a stage
lz never throttled is left alone. The REST stage's method throttling is removed.
"""

from __future__ import annotations

from ...aws import TAG_PROJECT, TAG_STAGE, Aws, not_found
from ...settings_front import auth_mode
from ..models import Desired, function_name
from ..steps import Step
from . import features, http_api, rest_api

KIND = "access"
AFTER = ("record", "function", "http_api", "rest_api")  # its API; a REST API goes before its usage plan
AUTHORIZER = "lz-jwt"
ACCOUNT_RATE, ACCOUNT_BURST = 10000.0, 5000  # the usual account-level default, if GetAccount names none


def _route_auth(want: Desired) -> str:
    return {"jwt": "JWT", "aws_iam": "AWS_IAM"}.get(auth_mode(want.auth) or "", "NONE") \
        if want.http == "http_api" else "NONE"


def _jwt(want: Desired) -> dict | None:
    if auth_mode(want.auth) != "jwt" or want.http != "http_api":
        return None
    return {"Issuer": want.auth["jwt"]["issuer"], "Audience": sorted(want.auth["jwt"]["audience"])}


def _throttle(want: Desired) -> tuple[float, int] | None:
    return (float(want.throttle["rate"]), int(want.throttle["burst"])) if want.throttle else None


def account_limits(aws: Aws) -> tuple[float, int]:
    """The account's API Gateway throttle in this Region (rate per second, burst), what a stage
    without a throttle of its own is held to."""
    with aws.explain("reading the account's API Gateway throttle (apigateway GetAccount)"):
        found = aws.client("apigateway").get_account().get("throttleSettings") or {}
    return float(found.get("rateLimit") or ACCOUNT_RATE), int(found.get("burstLimit") or ACCOUNT_BURST)


def _default_stage(aws: Aws, api_id: str) -> dict | None:
    return next((s for s in http_api.stages(aws, api_id) if s.get("StageName") == "$default"), None)


def throttled(aws: Aws, want: Desired) -> bool:
    """Whether the stage's HTTP API $default stage carries a throttle (read with http_api.py's
    reads, shared): features.py keeps `access` recorded for such a stage once its `throttle` is
    removed, since it can only be set to the account's limits, which this kind then follows."""
    if want.http != "http_api":
        return False
    with aws.explain(f"reading the stage of HTTP API {want.name}"):
        api = http_api._find(aws, want.name, want.project, want.stage)
        stage = _default_stage(aws, api["ApiId"]) if api else None
    return ((stage or {}).get("DefaultRouteSettings") or {}).get("ThrottlingRateLimit") is not None


def _http_state(aws: Aws, want: Desired) -> dict | None:
    api = http_api._find(aws, want.name, want.project, want.stage)
    if api is None:
        return None
    client = aws.client("apigatewayv2")
    with aws.explain(f"reading the routes and stage of HTTP API {want.name}"):
        route = next((r for r in http_api.routes(aws, api["ApiId"]) if r.get("RouteKey") == "$default"), None)
        stage = _default_stage(aws, api["ApiId"])
        authorizer = None
        if route and route.get("AuthorizationType") == "JWT" and route.get("AuthorizerId"):
            try:
                found = client.get_authorizer(ApiId=api["ApiId"], AuthorizerId=route["AuthorizerId"])
            except Exception as exc:
                if not not_found(exc):
                    raise
                found = {}
            authorizer = {"Issuer": (found.get("JwtConfiguration") or {}).get("Issuer"),
                          "Audience": sorted((found.get("JwtConfiguration") or {}).get("Audience") or [])}
    return {"api": api, "route": route, "stage": stage, "authorizer": authorizer}


def _plan_http(aws: Aws, want: Desired) -> list[Step]:
    state = _http_state(aws, want)
    wanted_auth, jwt, throttle = _route_auth(want), _jwt(want), _throttle(want)
    if state is None:  # the API is made in this deploy: set what differs from a new API's defaults
        steps = []
        if wanted_auth != "NONE":
            steps.append(Step(KIND, want.name, "update", f"every route: auth {wanted_auth}", {"part": "route"}))
        if throttle:
            steps.append(Step(KIND, want.name, "update", f"throttle {throttle[0]:g}/s, burst {throttle[1]}",
                              {"part": "throttle", "rate": throttle[0], "burst": throttle[1]}))
        return steps
    steps = []
    route = state["route"] or {}
    have_auth = route.get("AuthorizationType") or "NONE"
    if have_auth != wanted_auth or (jwt and state["authorizer"] != jwt):
        why = f"every route: auth {have_auth} -> {wanted_auth}"
        if jwt and have_auth == "JWT" and state["authorizer"] != jwt:
            why = "JWT issuer or audience changed"
        steps.append(Step(KIND, want.name, "update", why, {"part": "route"}))
    settings = (state["stage"] or {}).get("DefaultRouteSettings") or {}
    have = (settings.get("ThrottlingRateLimit"), settings.get("ThrottlingBurstLimit"))
    if have == (None, None) and throttle is None:
        return steps  # never throttled: the account's limits apply already
    target = throttle or account_limits(aws)
    if have[0] is None or float(have[0]) != target[0] or have[1] != target[1]:
        steps.append(Step(KIND, want.name, "update",
                          f"throttle {target[0]:g}/s, burst {target[1]}" + ("" if throttle else " (the account's limits)"),
                          {"part": "throttle", "rate": target[0], "burst": target[1]}))
    return steps


def _apply_http(aws: Aws, step: Step, want: Desired) -> None:
    client = aws.client("apigatewayv2")
    api = http_api._find(aws, want.name, want.project, want.stage)
    api_id = api["ApiId"]
    if step.detail["part"] == "throttle":  # the figures the plan showed
        rate, burst = step.detail["rate"], step.detail["burst"]
        client.update_stage(ApiId=api_id, StageName="$default",
                            DefaultRouteSettings={"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst})
        aws.forget("http-api-parts", api_id, "stages")
        return
    route = next(r for r in client.get_routes(ApiId=api_id).get("Items", []) if r.get("RouteKey") == "$default")
    old = route.get("AuthorizerId") if route.get("AuthorizationType") == "JWT" else None
    # lz's authorizers of this API by name: one a deploy made but was stopped before attaching it
    # is reused (or deleted), never left behind for good
    named = [a["AuthorizerId"] for a in client.get_authorizers(ApiId=api_id).get("Items", [])
             if a.get("Name") == AUTHORIZER]
    jwt = _jwt(want)
    authorizer = None
    if jwt:
        config = {"AuthorizerType": "JWT", "IdentitySource": ["$request.header.Authorization"],
                  "JwtConfiguration": jwt, "Name": AUTHORIZER}
        authorizer = old or (named[0] if named else None)
        if authorizer:
            client.update_authorizer(ApiId=api_id, AuthorizerId=authorizer, **config)
        else:
            authorizer = client.create_authorizer(ApiId=api_id, **config)["AuthorizerId"]
        client.update_route(ApiId=api_id, RouteId=route["RouteId"], AuthorizationType="JWT",
                            AuthorizerId=authorizer)
    else:
        client.update_route(ApiId=api_id, RouteId=route["RouteId"], AuthorizationType=_route_auth(want))
    aws.forget("http-api-parts", api_id, "routes")
    for unused in {*named, *([old] if old else [])} - {authorizer}:  # lz's, now used by no route
        try:
            client.delete_authorizer(ApiId=api_id, AuthorizerId=unused)
        except Exception as exc:
            if not not_found(exc):
                raise


def usage_plans(aws: Aws, project: str, stage: str) -> list[dict]:
    """The usage plans lz made for the stage (found by their tags)."""
    client = aws.client("apigateway")
    with aws.explain(f"listing usage plans of {project}-{stage}"):
        plans = [p for page in client.get_paginator("get_usage_plans").paginate() for p in page.get("items", [])]
    return [p for p in plans if (p.get("tags") or {}).get(TAG_PROJECT) == project
            and (p.get("tags") or {}).get(TAG_STAGE) == stage]


def _quota(want: Desired) -> dict | None:
    quota = ((want.auth or {}).get("api_keys") or {}).get("quota") if isinstance(want.auth, dict) else None
    return {"limit": quota["limit"], "period": quota["period"], "offset": 0} if quota else None


def _method_key_required(aws: Aws, api_id: str) -> dict[str, bool]:
    client = aws.client("apigateway")
    found = {}
    for resource in client.get_resources(restApiId=api_id)["items"]:
        if "ANY" in (resource.get("resourceMethods") or {}):
            method = client.get_method(restApiId=api_id, resourceId=resource["id"], httpMethod="ANY")
            found[resource["path"]] = bool(method.get("apiKeyRequired"))
    return found


def _plan_rest(aws: Aws, want: Desired) -> list[Step]:
    keys = auth_mode(want.auth) == "api_keys"
    throttle = _throttle(want)
    api = rest_api._find(aws, want.name, want.project, want.stage)
    plans = usage_plans(aws, want.project, want.stage)
    steps = []
    if api is not None:  # a REST API made by this deploy gets its methods as `auth` says (rest_api.py)
        client = aws.client("apigateway")
        with aws.explain(f"reading the methods and stage of REST API {want.name}"):
            required = _method_key_required(aws, api["id"])
            try:
                stage = client.get_stage(restApiId=api["id"], stageName=want.stage)
            except Exception as exc:
                if not not_found(exc):
                    raise
                stage = {}
        if set(required.values()) != {keys} or len(required) < 2:
            steps.append(Step(KIND, want.name, "update",
                              "ANY methods require an API key" if keys else "API keys no longer required",
                              {"part": "methods"}))
        settings = (stage.get("methodSettings") or {}).get("*/*") or {}
        have = (settings.get("throttlingRateLimit"), settings.get("throttlingBurstLimit"))
        if throttle and (have[0] is None or float(have[0]) != throttle[0] or have[1] != throttle[1]):
            steps.append(Step(KIND, want.name, "update", f"throttle {throttle[0]:g}/s, burst {throttle[1]}",
                              {"part": "throttle"}))
        elif not throttle and have[0] is not None and stage:
            steps.append(Step(KIND, want.name, "update", "no stage throttle", {"part": "throttle"}))
    if api is None and throttle:
        steps.append(Step(KIND, want.name, "update", f"throttle {throttle[0]:g}/s, burst {throttle[1]}",
                          {"part": "throttle"}))
    if keys:
        plan = plans[0] if plans else None
        wanted_throttle = {"rateLimit": throttle[0], "burstLimit": throttle[1]} if throttle else None
        have_throttle = plan and plan.get("throttle") or None
        if have_throttle:
            have_throttle = {"rateLimit": float(have_throttle.get("rateLimit", 0)),
                             "burstLimit": have_throttle.get("burstLimit")}
        have_quota = plan and plan.get("quota") or None
        if have_quota:
            have_quota = {"limit": have_quota.get("limit"), "period": have_quota.get("period"), "offset": 0}
        if plan is None:
            steps.append(Step(KIND, f"{want.name} usage plan", "create", "API keys: a usage plan for the stage",
                              {"part": "usage_plan"}))
        elif have_throttle != wanted_throttle or have_quota != _quota(want) or not plan.get("apiStages"):
            steps.append(Step(KIND, f"{want.name} usage plan", "update", "throttle or quota changed",
                              {"part": "usage_plan", "id": plan["id"]}))
    else:
        steps += [Step(KIND, f"{want.name} usage plan", "delete", "auth is no longer api_keys",
                       {"id": p["id"], "project": want.project, "stage": want.stage}) for p in plans]
    return steps


def _stage_throttle(client, api_id: str, want: Desired) -> None:
    throttle = _throttle(want)
    if throttle:
        ops = [{"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(throttle[0])},
               {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(throttle[1])}]
    else:
        ops = [{"op": "remove", "path": "/*/*"}]
    client.update_stage(restApiId=api_id, stageName=want.stage, patchOperations=ops)


def _apply_rest(aws: Aws, step: Step, want: Desired) -> None:
    client = aws.client("apigateway")
    api_id = rest_api._find(aws, want.name, want.project, want.stage)["id"]
    part = step.detail["part"]
    if part == "methods":
        for resource in client.get_resources(restApiId=api_id)["items"]:
            if "ANY" not in (resource.get("resourceMethods") or {}):
                continue
            # Method settings cannot be patched on every API Gateway emulator; put again instead
            client.delete_method(restApiId=api_id, resourceId=resource["id"], httpMethod="ANY")
            rest_api._method(client, api_id, resource["id"], want)  # apiKeyRequired as `auth` says
        client.create_deployment(restApiId=api_id, stageName=want.stage, description="lz deploy: API keys")
        if _throttle(want):  # the stage's method throttling, again (an emulator may reset it on deploy)
            _stage_throttle(client, api_id, want)
    elif part == "throttle":
        _stage_throttle(client, api_id, want)
    elif part == "usage_plan":
        throttle = _throttle(want)
        if step.action == "create":
            client.create_usage_plan(
                name=want.name, description=f"lz: {want.project} {want.stage} API keys",
                apiStages=[{"apiId": api_id, "stage": want.stage}], tags=want.tags,
                **({"throttle": {"rateLimit": throttle[0], "burstLimit": throttle[1]}} if throttle else {}),
                **({"quota": _quota(want)} if _quota(want) else {}))
            return
        ops = [{"op": "replace", "path": "/throttle/rateLimit", "value": str(throttle[0])},
               {"op": "replace", "path": "/throttle/burstLimit", "value": str(throttle[1])}] if throttle \
            else [{"op": "remove", "path": "/throttle"}]
        quota = _quota(want)
        ops += [{"op": "replace", "path": "/quota/limit", "value": str(quota["limit"])},
                {"op": "replace", "path": "/quota/period", "value": quota["period"]}] if quota \
            else [{"op": "remove", "path": "/quota"}]
        client.update_usage_plan(usagePlanId=step.detail["id"], patchOperations=ops)


def plan(aws: Aws, want: Desired) -> list[Step]:
    if not features.needed(aws, want, "access"):
        return []  # neither asked for nor deployed (features.py)
    if want.http == "http_api":
        return _plan_http(aws, want)
    if want.http == "rest_api":
        return _plan_rest(aws, want)
    return [Step(KIND, f"{want.name} usage plan", "delete", f"the stage's front is now {want.http or 'none'}",
                 {"id": p["id"], "project": want.project, "stage": want.stage})
            for p in usage_plans(aws, want.project, want.stage)]


def apply(aws: Aws, step: Step, want: Desired) -> None:
    with aws.explain(f"{step.action} {step.detail.get('part', '')} of {step.name}"):
        if want.http == "http_api":
            _apply_http(aws, step, want)
        else:
            _apply_rest(aws, step, want)


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    """Usage plans and the stage's API keys (an API's own authorizers go with the API)."""
    name = function_name(project, stage)
    return [Step(KIND, f"{name} usage plan", "delete", "undeploy", {"id": p["id"], "project": project,
                                                                    "stage": stage})
            for p in usage_plans(aws, project, stage)]


def delete(aws: Aws, step: Step) -> None:
    """A usage plan: first its API stages and keys (AWS refuses to delete a plan still attached),
    then the plan, then the stage's API keys (lz made them: `lz keys create`)."""
    from .. import keys

    client = aws.client("apigateway")
    with aws.explain(f"deleting usage plan {step.name}"):
        try:
            plan = client.get_usage_plan(usagePlanId=step.detail["id"])
        except Exception as exc:
            if not_found(exc):
                plan = None
            else:
                raise
        if plan is not None:
            for key in client.get_usage_plan_keys(usagePlanId=plan["id"]).get("items", []):
                client.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
            for api_stage in plan.get("apiStages") or []:
                client.update_usage_plan(usagePlanId=plan["id"], patchOperations=[
                    {"op": "remove", "path": "/apiStages",
                     "value": f"{api_stage['apiId']}:{api_stage['stage']}"}])
            client.delete_usage_plan(usagePlanId=plan["id"])
        for key in keys.stage_keys(aws, step.detail["project"], step.detail["stage"]):
            client.delete_api_key(apiKey=key["id"])
