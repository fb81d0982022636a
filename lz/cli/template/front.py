"""The stage's HTTP front, as lz's engine makes it (deploy/resources/url.py, http_api.py,
rest_api.py): a Function URL on `live` with its two public statements (auth NONE), an HTTP API
($default route and auto-deployed stage, payload 2.0), or a REST API (ANY / and ANY /{proxy+},
deployed to a stage named after the lz stage); each API with the permission for it alone to invoke
`live`. The URL is an output."""

from __future__ import annotations

from ..deploy.resources import rest_api, url
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
    t.add("HttpApiRoute", "AWS::ApiGatewayV2::Route", {
        "ApiId": ref("HttpApi"), "RouteKey": "$default", "Target": sub("integrations/${HttpApiIntegration}")})
    t.add("HttpApiStage", "AWS::ApiGatewayV2::Stage", {
        "ApiId": ref("HttpApi"), "StageName": "$default", "AutoDeploy": True, "Tags": dict(want.tags)})
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
    t.add("RestApiRootMethod", "AWS::ApiGateway::Method", {
        "RestApiId": ref("RestApi"), "ResourceId": att("RestApi", "RootResourceId"), "HttpMethod": "ANY",
        "AuthorizationType": "NONE", "Integration": integration})
    t.add("RestApiProxy", "AWS::ApiGateway::Resource", {
        "RestApiId": ref("RestApi"), "ParentId": att("RestApi", "RootResourceId"), "PathPart": "{proxy+}"})
    t.add("RestApiProxyMethod", "AWS::ApiGateway::Method", {
        "RestApiId": ref("RestApi"), "ResourceId": ref("RestApiProxy"), "HttpMethod": "ANY",
        "AuthorizationType": "NONE", "Integration": integration})
    # a Deployment cannot change: a new one (new logical id) whenever what it deploys changes
    deployment = f"RestApiDeployment{digest(integration, want.binary_media_types)}"
    t.add(deployment, "AWS::ApiGateway::Deployment", {
        "RestApiId": ref("RestApi"), "StageName": want.stage, "Description": "lz deploy"},
        DependsOn=["RestApiRootMethod", "RestApiProxyMethod"])
    t.add("RestApiPermission", "AWS::Lambda::Permission", {
        "FunctionName": ref(ALIAS_ID), "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": sub("arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${RestApi}/*")})
    t.output("Url", sub(f"https://${{RestApi}}.execute-api.${{AWS::Region}}.amazonaws.com/{want.stage}/"),
             "The stage's URL (REST API)")
    t.output("RestApiId", ref("RestApi"), "The REST API")
