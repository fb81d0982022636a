"""The stage's HTTP front, as lz's engine makes it (deploy/resources/url.py, http_api.py,
rest_api.py): a Function URL on `live` with its two public statements (auth NONE), an HTTP API
($default route and auto-deployed stage, payload 2.0), or a REST API (ANY / and ANY /{proxy+},
deployed to a stage named after the lz stage); each API with the permission for it alone to invoke
`live`. The URL is an output.

Settings `auth` and `throttle` (deploy/resources/access.py), from the functions lz's engine uses:
on an HTTP API the JWT authorizer lz-jwt or AWS_IAM on the $default route and the stage's default
route throttling; on a REST API both ANY methods requiring an API key, a usage plan carrying the
stage with the throttle and quota, and the stage's method throttling (`*/*`). The API keys
themselves are `lz keys`' job, not the template's (a key is a secret a template would print). A
Function URL's AWS_IAM is its own auth type (the model's url_auth)."""

from __future__ import annotations

from ..deploy.resources import access, rest_api, url
from ..settings_front import auth_mode
from .base import Template, att, digest, ref, sub, tag_list
from .function import ALIAS_ID

KIND = "front"


def emit(t: Template) -> None:
    {"function_url": _function_url, "http_api": _http_api, "rest_api": _rest_api}.get(
        t.want.http, lambda t: None)(t)


def _function_url(t: Template) -> None:
    want = t.want
    t.add("FunctionUrl", "AWS::Lambda::Url", {"TargetFunctionArn": ref(ALIAS_ID), "AuthType": want.url_auth,
                                              "InvokeMode": url.invoke_mode(want)})
    if want.url_auth == "NONE":  # both statements (deploy/resources/url.py says why)
        t.add("FunctionUrlPublic", "AWS::Lambda::Permission", {
            "FunctionName": ref(ALIAS_ID), "Action": "lambda:InvokeFunctionUrl", "Principal": "*",
            "FunctionUrlAuthType": "NONE"})
        t.add("FunctionUrlPublicInvoke", "AWS::Lambda::Permission", {
            "FunctionName": ref(ALIAS_ID), "Action": "lambda:InvokeFunction", "Principal": "*",
            "InvokedViaFunctionUrl": True})
    t.output("Url", att("FunctionUrl", "FunctionUrl"), "The stage's URL (Function URL)")


def _http_api(t: Template) -> None:
    want = t.want
    t.add("HttpApi", "AWS::ApiGatewayV2::Api", {
        "Name": want.name, "ProtocolType": "HTTP", "Description": f"lz: {want.project} {want.stage}",
        **({"CorsConfiguration": want.cors_configuration()} if want.cors else {}), "Tags": dict(want.tags)})
    t.add("HttpApiIntegration", "AWS::ApiGatewayV2::Integration", {
        "ApiId": ref("HttpApi"), "IntegrationType": "AWS_PROXY", "IntegrationUri": ref(ALIAS_ID),
        "PayloadFormatVersion": "2.0", "TimeoutInMillis": 30000})
    route = {"ApiId": ref("HttpApi"), "RouteKey": "$default", "Target": sub("integrations/${HttpApiIntegration}"),
             "AuthorizationType": access._route_auth(want)}
    jwt = access._jwt(want)
    if jwt:
        t.add("HttpApiAuthorizer", "AWS::ApiGatewayV2::Authorizer", {
            "ApiId": ref("HttpApi"), "AuthorizerType": "JWT", "Name": access.AUTHORIZER,
            "IdentitySource": ["$request.header.Authorization"], "JwtConfiguration": jwt})
        route["AuthorizerId"] = ref("HttpApiAuthorizer")
    t.add("HttpApiRoute", "AWS::ApiGatewayV2::Route", route)
    stage = {"ApiId": ref("HttpApi"), "StageName": "$default", "AutoDeploy": True, "Tags": dict(want.tags)}
    throttle = access._throttle(want)
    if throttle:
        stage["DefaultRouteSettings"] = {"ThrottlingRateLimit": throttle[0], "ThrottlingBurstLimit": throttle[1]}
    t.add("HttpApiStage", "AWS::ApiGatewayV2::Stage", stage)
    t.add("HttpApiPermission", "AWS::Lambda::Permission", {
        "FunctionName": ref(ALIAS_ID), "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": sub("arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${HttpApi}/*")})
    t.output("Url", att("HttpApi", "ApiEndpoint"), "The stage's URL (HTTP API)")
    t.output("HttpApiId", ref("HttpApi"), "The HTTP API")


def _integration(t: Template) -> dict:
    want = t.want
    integration = {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Uri": rest_api._uri(want)}
    if want.stream:
        integration.update(ResponseTransferMode="STREAM",
                           TimeoutInMillis=max(29000, min(want.timeout * 1000, rest_api.STREAM_LIMIT_MS)))
    return integration


def _rest_api(t: Template) -> None:
    want = t.want
    t.add("RestApi", "AWS::ApiGateway::RestApi", {
        "Name": want.name, "Description": f"lz: {want.project} {want.stage}",
        "BinaryMediaTypes": list(want.binary_media_types), "EndpointConfiguration": {"Types": ["REGIONAL"]},
        "Tags": tag_list(want.tags)})
    integration = _integration(t)
    keys = rest_api._key_required(want)
    t.add("RestApiRootMethod", "AWS::ApiGateway::Method", {
        "RestApiId": ref("RestApi"), "ResourceId": att("RestApi", "RootResourceId"), "HttpMethod": "ANY",
        "AuthorizationType": "NONE", "ApiKeyRequired": keys, "Integration": integration})
    t.add("RestApiProxy", "AWS::ApiGateway::Resource", {
        "RestApiId": ref("RestApi"), "ParentId": att("RestApi", "RootResourceId"), "PathPart": "{proxy+}"})
    t.add("RestApiProxyMethod", "AWS::ApiGateway::Method", {
        "RestApiId": ref("RestApi"), "ResourceId": ref("RestApiProxy"), "HttpMethod": "ANY",
        "AuthorizationType": "NONE", "ApiKeyRequired": keys, "Integration": integration})
    # a Deployment cannot change: a new one (new logical id) whenever what it deploys changes
    throttle = access._throttle(want)
    deployment = f"RestApiDeployment{digest(integration, want.binary_media_types, keys, throttle)}"
    stage = {}
    if throttle:  # the stage's method throttling, `*/*` as lz's engine sets it
        stage["MethodSettings"] = [{"HttpMethod": "*", "ResourcePath": "/*", "ThrottlingRateLimit": throttle[0],
                                    "ThrottlingBurstLimit": throttle[1]}]
    t.add(deployment, "AWS::ApiGateway::Deployment", {
        "RestApiId": ref("RestApi"), "StageName": want.stage, "Description": "lz deploy",
        **({"StageDescription": stage} if stage else {})},
        DependsOn=["RestApiRootMethod", "RestApiProxyMethod"])
    if auth_mode(want.auth) == "api_keys":
        _usage_plan(t, deployment)
    t.add("RestApiPermission", "AWS::Lambda::Permission", {
        "FunctionName": ref(ALIAS_ID), "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": sub("arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${RestApi}/*")})
    t.output("Url", sub(f"https://${{RestApi}}.execute-api.${{AWS::Region}}.amazonaws.com/{want.stage}/"),
             "The stage's URL (REST API)")
    t.output("RestApiId", ref("RestApi"), "The REST API")


def _usage_plan(t: Template, deployment: str) -> None:
    """The usage plan lz's engine makes for API keys: the stage, the throttle and the quota; the
    keys are added to it by `lz keys create` (a template would hold their values)."""
    want = t.want
    throttle, quota = access._throttle(want), access._quota(want)
    plan = {"UsagePlanName": want.name, "Description": f"lz: {want.project} {want.stage} API keys",
            "ApiStages": [{"ApiId": ref("RestApi"), "Stage": want.stage}], "Tags": tag_list(want.tags)}
    if throttle:
        plan["Throttle"] = {"RateLimit": throttle[0], "BurstLimit": throttle[1]}
    if quota:
        plan["Quota"] = {"Limit": quota["limit"], "Period": quota["period"], "Offset": quota["offset"]}
    t.add("UsagePlan", "AWS::ApiGateway::UsagePlan", plan, DependsOn=[deployment])
    t.output("UsagePlanId", ref("UsagePlan"), "The usage plan of the stage's API keys (lz keys create adds them)")
    t.note("API keys", "the template makes the usage plan; the keys themselves are made and added to it by "
                       f"`lz keys create {want.stage}` (a key's value has no place in a template)")
