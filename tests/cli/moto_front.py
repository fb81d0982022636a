"""What moto 5.2 lacks of API Gateway v2 for the front door, added to the in-process moto server
(the server runs in the test process: tests/cli/conftest.py), answering as AWS documents:

- UpdateStage (apigatewayv2): "UpdateStage", API Gateway v2 API reference
  (https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-stages-stagename.html):
  DefaultRouteSettings merged into the stage's.
- GetBasePathMappings of a domain name with none yet: an empty list, as AWS answers ("GetBasePathMappings",
  API Gateway REST API reference, https://docs.aws.amazon.com/apigateway/latest/api/API_GetBasePathMappings.html),
  where moto 5.2 fails with a KeyError (a 500).
- DomainNameConfiguration's ApiGatewayDomainName and HostedZoneId (the target of alias records),
  which AWS returns for every domain name ("DomainNameConfiguration", same reference,
  https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/domainnames-domainname.html).
- GetAuthorizers (apigatewayv2): the API's authorizers, as AWS lists them ("GetAuthorizers", API
  Gateway v2 API reference, https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-authorizers.html);
  moto 5.2 has GetAuthorizer but not the list.

boto3 still talks HTTP to the server; nothing on the client side is stubbed.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import unquote


def extend() -> None:
    from moto.apigateway import models as v1_models
    from moto.apigatewayv2 import models, responses

    if getattr(responses.ApiGatewayV2Response, "lz_front", False):
        return

    def update_stage(self):  # noqa: ANN001, ANN202 - moto's handler shape
        api_id = self.path.split("/")[-3]
        stage = self.apigatewayv2_backend.get_stage(api_id, unquote(self.path.split("/")[-1]))
        body = json.loads(self.body or "{}")
        if "defaultRouteSettings" in body:
            stage.default_route_settings = {**stage.default_route_settings, **body["defaultRouteSettings"]}
        return 200, {}, json.dumps(stage.to_json())

    def get_authorizers(self):  # noqa: ANN001, ANN202
        api = self.apigatewayv2_backend.get_api(self.path.split("/")[-2])
        return 200, {}, json.dumps({"items": [a.to_json() for a in api.authorizers.values()]})

    original = models.DomainName.to_json

    def to_json(self):  # noqa: ANN001, ANN202
        out = original(self)
        region = self.domain_name_arn.split(":")[3]
        label = hashlib.sha256(self.domain_name.encode()).hexdigest()[:10]
        out["domainNameConfigurations"] = [
            {"apiGatewayDomainName": f"d-{label}.execute-api.{region}.amazonaws.com",
             "hostedZoneId": "Z1UJRXOUMOOFQ8", "domainNameStatus": "AVAILABLE", **config}
            for config in out.get("domainNameConfigurations") or []]
        return out

    mappings = v1_models.APIGatewayBackend.get_base_path_mappings

    def get_base_path_mappings(self, domain_name):  # noqa: ANN001, ANN202
        self.get_domain_name(domain_name)  # NotFoundException for an unknown domain, as before
        return mappings(self, domain_name) if domain_name in self.base_path_mappings else []

    v1_models.APIGatewayBackend.get_base_path_mappings = get_base_path_mappings
    responses.ApiGatewayV2Response.update_stage = update_stage
    responses.ApiGatewayV2Response.get_authorizers = get_authorizers
    models.DomainName.to_json = to_json
    responses.ApiGatewayV2Response.lz_front = True
