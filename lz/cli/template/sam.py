"""The SAM form of a template: the same resources, the function as AWS::Serverless::Function (so
that `sam deploy` uploads a local CodeUri itself), everything else plain CloudFormation, which a SAM
template may hold as it is. Versions and the alias stay lz's own resources (no AutoPublishAlias),
so both forms publish and point `live` the same way and `lz rollback` works on either."""

from __future__ import annotations

from typing import Any

from .function import FUNCTION


def to_sam(resources: dict[str, dict]) -> dict[str, dict]:
    out = dict(resources)
    function = dict(resources[FUNCTION])
    props: dict[str, Any] = dict(function["Properties"])
    code = props.pop("Code")
    props["CodeUri"] = code if isinstance(code, str) else {"Bucket": code["S3Bucket"], "Key": code["S3Key"]}
    props["Tags"] = {tag["Key"]: tag["Value"] for tag in props.get("Tags", [])}
    tracing = props.pop("TracingConfig", None)
    if tracing:
        props["Tracing"] = tracing["Mode"]
    dead_letter = props.pop("DeadLetterConfig", None)
    if dead_letter:
        service = str(dead_letter["TargetArn"]).split(":")[2] if isinstance(dead_letter["TargetArn"], str) else "sqs"
        props["DeadLetterQueue"] = {"Type": service.upper(), "TargetArn": dead_letter["TargetArn"]}
    if "SnapStart" in props:  # SnapStart applies to the versions lz's Version resource publishes
        function["Metadata"] = {"cfn-lint": {"config": {"ignore_checks": ["W2530"]}},
                                "lz": "versions are published by the Version resource, not AutoPublishAlias"}
    function["Type"] = "AWS::Serverless::Function"
    function["Properties"] = props
    out[FUNCTION] = function
    return out
