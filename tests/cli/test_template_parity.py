"""Parity: one project deployed by lz's own engine, then (moto reset) the same project's template
deployed through moto's CloudFormation; the two must leave the same function configuration and
code, role statements and managed policies, log group, task queues, schedule rules and targets,
SQS mappings, invoke permissions (principal and source), REST API integrations, state machines and
their roles.

moto's CloudFormation cannot create these types, so they are left out of the stack deployed here
and their resource properties are asserted against the desired model instead (test_template.py:
test_what_moto_cannot_create_holds_the_models_values, test_http_api_parts_match_lz_engine):
AWS::Lambda::Alias (made here by hand between two stack updates, standing in for it, so that what
refers to `live` can be created), AWS::Lambda::EventInvokeConfig, AWS::Lambda::Url,
AWS::ApiGatewayV2::Api, AWS::ApiGatewayV2::Integration, AWS::ApiGatewayV2::Route,
AWS::ApiGatewayV2::Stage, AWS::SNS::Subscription, and the front door's types
(test_template_frontdoor.py lists them; the REST methods' ApiKeyRequired is compared here).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.cfn_support import project, resolve
from tests.cli.conftest import REGION, lz, reset_moto
from tests.cli.test_template import JOBS

pytest.importorskip("moto.server")
pytestmark = pytest.mark.slow
NAME = "example-flask-dev"
MOTO_CREATES = {"AWS::IAM::Role", "AWS::Logs::LogGroup", "AWS::Lambda::Function", "AWS::Lambda::Version",
                "AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping", "AWS::SQS::Queue",
                "AWS::Events::Rule", "AWS::StepFunctions::StateMachine", "AWS::ApiGateway::RestApi",
                "AWS::ApiGateway::Resource", "AWS::ApiGateway::Method", "AWS::ApiGateway::Deployment"}
FIRST = {"AWS::IAM::Role", "AWS::Logs::LogGroup", "AWS::Lambda::Function", "AWS::Lambda::Version"}


def _client(service: str):
    import boto3

    return boto3.client(service, region_name=REGION)


def _user_resources() -> None:
    """What the user owns before lz runs: the @on_sqs queue and the @on_sns topic (reset_moto
    makes the @on_s3 bucket)."""
    _client("sqs").create_queue(QueueName="jobs")
    _client("sns").create_topic(Name="alerts")


def _document(value) -> dict:
    """A policy document as read back: a dict, JSON text, or (moto keeps the policies of roles its
    CloudFormation made as the Python repr of the template's dict) that repr."""
    if isinstance(value, dict):
        return value
    try:
        return json.loads(value)
    except ValueError:
        import ast

        return ast.literal_eval(value)


def _snapshot() -> dict:
    lam, iam, logs, sqs, events = (_client(s) for s in ("lambda", "iam", "logs", "sqs", "events"))
    config = lam.get_function(FunctionName=NAME)
    c = config["Configuration"]
    out: dict = {"function": {k: c.get(k) for k in ("Runtime", "Handler", "MemorySize", "Timeout", "Role",
                                                     "Environment", "Architectures", "EphemeralStorage",
                                                     "TracingConfig", "CodeSha256")},
                 "tags": {k: v for k, v in (config.get("Tags") or {}).items() if not k.startswith("aws:")}}
    role = f"{NAME}-lambda"
    doc = iam.get_role_policy(RoleName=role, PolicyName="lz")["PolicyDocument"]
    out["role"] = {"policy": _document(doc),
                   "trust": iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"],
                   "managed": sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"])}
    out["logs"] = [(g["logGroupName"], g.get("retentionInDays"))
                   for g in logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{NAME}")["logGroups"]]
    keys = ("MessageRetentionPeriod", "MaximumMessageSize", "VisibilityTimeout", "RedrivePolicy")
    out["queues"] = {}
    for name in (f"{NAME}-tasks", f"{NAME}-tasks-dlq"):
        attrs = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"],
                                         AttributeNames=["All"])["Attributes"]
        out["queues"][name] = {k: json.loads(attrs[k]) if k == "RedrivePolicy" else attrs.get(k)
                               for k in keys if k in attrs}
    out["rules"] = {r["Name"]: (r.get("ScheduleExpression"), r.get("State"),
                                [(t["Id"], t["Arn"], t.get("Input")) for t in events.list_targets_by_rule(Rule=r["Name"])["Targets"]])
                    for r in events.list_rules(NamePrefix=f"{NAME}-")["Rules"]}
    alias = f"arn:aws:lambda:{REGION}:123456789012:function:{NAME}:live"
    out["mappings"] = sorted((m["EventSourceArn"], m["BatchSize"], tuple(m.get("FunctionResponseTypes") or []))
                             for m in lam.list_event_source_mappings(FunctionName=alias)["EventSourceMappings"])
    statements = json.loads(lam.get_policy(FunctionName=NAME, Qualifier="live")["Policy"])["Statement"]
    out["permissions"] = sorted((s["Principal"]["Service"] if isinstance(s["Principal"], dict) else s["Principal"],
                                 s.get("Action"), json.dumps(s.get("Condition"), sort_keys=True))
                                for s in statements)
    out["rest_api"] = _rest_api()
    out["machines"] = _machines()
    return out


def _rest_api() -> dict:
    client = _client("apigateway")
    (api,) = [a for a in client.get_rest_apis()["items"] if a["name"] == NAME]
    methods = {}
    for resource in client.get_resources(restApiId=api["id"])["items"]:
        if "ANY" in (resource.get("resourceMethods") or {}):
            integration = client.get_integration(restApiId=api["id"], resourceId=resource["id"], httpMethod="ANY")
            method = client.get_method(restApiId=api["id"], resourceId=resource["id"], httpMethod="ANY")
            methods[resource["path"]] = (integration["type"], integration["uri"], method.get("apiKeyRequired"))
    stages = sorted(s["stageName"] for s in client.get_stages(restApiId=api["id"])["item"])
    return {"methods": methods, "stages": stages, "binary": sorted(api.get("binaryMediaTypes") or [])}


def _machines() -> dict:
    sfn, iam = _client("stepfunctions"), _client("iam")
    out = {}
    for m in sfn.list_state_machines()["stateMachines"]:
        d = sfn.describe_state_machine(stateMachineArn=m["stateMachineArn"])
        role = d["roleArn"].rsplit("/", 1)[-1]
        policy = iam.get_role_policy(RoleName=role, PolicyName="lz")["PolicyDocument"]
        out[m["name"]] = {"definition": json.loads(d["definition"]), "role": d["roleArn"], "type": d.get("type"),
                          "policy": _document(policy),
                          "trust": iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]}
    return out


def _through_moto_cloudformation(root: Path) -> None:
    """The stage's template (its code uploaded to a bucket), deployed by moto's CloudFormation: the
    types moto creates, in two updates with the alias `live` made by hand between them."""
    from lz.cli.settings import load
    from lz.cli.template import Code, desired_for_template, render

    settings = load(root, "dev")
    bundle = root / ".lz" / f"{NAME}.zip"
    want = desired_for_template(settings, bundle, "lz_handler.handler")
    _client("s3").create_bucket(Bucket="lz-code")
    _client("s3").upload_file(str(bundle), "lz-code", "dev/code.zip")
    document = render(want, Code(bucket="lz-code", key="dev/code.zip")).document
    (root / ".lz" / "parity-template.json").write_text(json.dumps(document))
    alias_arn = f"arn:aws:lambda:{REGION}:123456789012:function:{NAME}:live"

    def without_alias(value):  # what refers to AWS::Lambda::Alias names the alias by its ARN
        if isinstance(value, dict):
            return alias_arn if value == {"Ref": "LiveAlias"} else {k: without_alias(v) for k, v in value.items()}
        return [without_alias(v) for v in value] if isinstance(value, list) else value

    def only(types: set[str]) -> str:
        resources = {k: without_alias(r) for k, r in document["Resources"].items() if r["Type"] in types}
        for r in resources.values():
            if "DependsOn" in r:
                r["DependsOn"] = [d for d in r["DependsOn"] if d in resources]
        head = {k: v for k, v in document.items() if k not in ("Resources", "Outputs")}
        return json.dumps({**head, "Resources": resources})

    cfn = _client("cloudformation")
    cfn.create_stack(StackName=NAME, TemplateBody=only(FIRST), Capabilities=["CAPABILITY_NAMED_IAM"])
    version = _client("lambda").list_versions_by_function(FunctionName=NAME)["Versions"][-1]["Version"]
    _client("lambda").create_alias(FunctionName=NAME, Name="live", FunctionVersion=version)
    cfn.update_stack(StackName=NAME, TemplateBody=only(MOTO_CREATES), Capabilities=["CAPABILITY_NAMED_IAM"])
    assert cfn.describe_stacks(StackName=NAME)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"


def test_lz_engine_and_cloudformation_make_the_same_stage(aws_env, moto_endpoint, tmp_path: Path) -> None:
    root = project(tmp_path, "example_flask", {"http": "rest_api", "tasks": {"queue": True, "retries": 1},
                                               "tracing": True, "memory": 1024,
                                               "auth": {"api_keys": {"quota": {"limit": 100, "period": "DAY"}}}},
                   {"jobs.py": JOBS})
    _user_resources()
    result = lz(aws_env, "deploy", "dev", "--project", str(root))
    assert result.returncode == 0, result.stderr
    by_lz = _snapshot()

    reset_moto(moto_endpoint)
    _user_resources()
    _through_moto_cloudformation(root)
    by_stack = _snapshot()

    # moto's CloudFormation drops some properties when it makes a resource (the function's tracing
    # and tags, the role's managed policies, the REST API's binary media types): for those, the
    # template's property is held to what lz's engine deployed instead
    template = resolve(json.loads((root / ".lz" / "parity-template.json").read_text()))["Resources"]
    function, role = template["Function"]["Properties"], template["Role"]["Properties"]
    assert function["TracingConfig"] == by_lz["function"].pop("TracingConfig")
    tags = by_lz.pop("tags")
    # the record of the stage's features is lz's engine's own (resources/features.py): a stack
    # knows its resources, so a template has no such tag
    assert tags.pop("lz:features") and {t["Key"]: t["Value"] for t in function["Tags"]} == tags
    assert role["ManagedPolicyArns"] == by_lz["role"].pop("managed")
    assert template["RestApi"]["Properties"]["BinaryMediaTypes"] == by_lz["rest_api"].pop("binary")
    for snapshot in (by_stack["function"], by_stack["role"], by_stack["rest_api"]):
        snapshot.pop("TracingConfig", None), snapshot.pop("managed", None), snapshot.pop("binary", None)
    by_stack.pop("tags")
    for snapshot in (by_lz, by_stack):  # each API has its own id
        snapshot["permissions"] = [tuple(re.sub(r"execute-api:([^:]+):(\d+):\w+/", r"execute-api:\1:\2:API/", x)
                                         for x in p) for p in snapshot["permissions"]]
    differing = {part: (by_lz[part], by_stack[part]) for part in by_lz if by_stack[part] != by_lz[part]}
    assert differing == {}
    assert by_lz["rules"] and by_lz["mappings"] and by_lz["machines"] and len(by_lz["permissions"]) >= 4
    assert {m[2] for m in by_lz["rest_api"]["methods"].values()} == {True}  # settings auth api_keys
