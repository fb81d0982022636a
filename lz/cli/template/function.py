"""The function and what it cannot run without: its execution role (the statements of
deploy/policy.py, as they are), its log group (made first, with its retention), the function, a
published version and the alias `live`, and the alias's async invoke configuration.

Versions: a Version resource cannot change, so its logical id carries a hash of the code and the
configuration; a change publishes a new version and `live` moves to it. Old versions are kept
(DeletionPolicy Retain), as lz's engine keeps them, so `lz rollback` can point `live` back: it sets
the stack parameter LiveVersion, which the alias follows while it is not empty (the stack, not a
call behind its back, says where `live` points; the next deploy clears it).
"""

from __future__ import annotations

from ..deploy.models import ALIAS, TRUST
from ..deploy.resources.function import _async_wanted, _config_of
from .base import Template, att, digest, ref, tag_list

KIND = "function"
FUNCTION = "Function"
ROLE = "Role"
LOGS = "LogGroup"
ALIAS_ID = "LiveAlias"
LIVE_VERSION = "LiveVersion"
PINNED = "LiveVersionPinned"
PUBLISHED = "published"  # LiveVersion's value for: the version this template publishes


def properties(t: Template) -> dict:
    """AWS::Lambda::Function's properties: the configuration lz's engine sets (the same table,
    function._config_of), less what is empty, plus name, code, architecture, tags."""
    want = t.want
    config = _config_of(want)
    config["Role"] = att(ROLE, "Arn")
    if not config["Layers"]:
        del config["Layers"]
    if not want.subnets and not want.security_groups:
        del config["VpcConfig"]
    else:  # subnets and security groups differ between accounts: parameters, the settings' as defaults
        config["VpcConfig"] = {
            "SubnetIds": t.parameter("SubnetIds", "List<AWS::EC2::Subnet::Id>", ",".join(sorted(want.subnets)),
                                     "The subnets the function runs in (settings vpc.subnets)"),
            "SecurityGroupIds": t.parameter(
                "SecurityGroupIds", "List<AWS::EC2::SecurityGroup::Id>", ",".join(sorted(want.security_groups)),
                "The function's security groups (settings vpc.security_groups)")}
    if not want.dead_letter:
        del config["DeadLetterConfig"]
    if config["SnapStart"]["ApplyOn"] == "None":
        del config["SnapStart"]
    props = {"FunctionName": want.name, "Description": f"lz: {want.project} {want.stage}", "Code": t.code,
             "Architectures": [want.architecture], **config, "Tags": tag_list(want.tags)}
    if want.reserved_concurrency is not None:
        props["ReservedConcurrentExecutions"] = want.reserved_concurrency
    return props


def emit(t: Template) -> None:
    want = t.want
    t.add(ROLE, "AWS::IAM::Role", {
        "RoleName": want.role_name, "Description": f"lz: execution role of {want.name}",
        "AssumeRolePolicyDocument": TRUST,
        "Policies": [{"PolicyName": "lz", "PolicyDocument": want.policy()}],
        **({"ManagedPolicyArns": want.managed_policies} if want.managed_policies else {}),
        "Tags": tag_list(want.tags)})
    t.add(LOGS, "AWS::Logs::LogGroup", {"LogGroupName": want.log_group,
                                         "RetentionInDays": want.log_retention_days,
                                         "Tags": tag_list(want.tags)})
    props = properties(t)
    t.add(FUNCTION, "AWS::Lambda::Function", props, DependsOn=[LOGS])
    version = f"Version{digest(want.code_sha256, {k: v for k, v in props.items() if k != 'Code'})}"
    # CodeSha256: the version is published only if $LATEST holds this build's code, as lz's engine
    # publishes with CodeSha256 ("AWS::Lambda::Version", CloudFormation template reference,
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-version.html)
    t.add(version, "AWS::Lambda::Version", {"FunctionName": ref(FUNCTION), "CodeSha256": want.code_sha256,
                                            "Description": f"code {want.code_sha256}"},
          DeletionPolicy="Retain", UpdateReplacePolicy="Retain")
    t.parameter(LIVE_VERSION, "String", PUBLISHED,
                f'"{PUBLISHED}": live is the version this template publishes. A version number: live '
                "points there instead (set by `lz rollback`).", AllowedPattern=f"^({PUBLISHED}|[0-9]+)$")
    t.conditions[PINNED] = {"Fn::Not": [{"Fn::Equals": [ref(LIVE_VERSION), PUBLISHED]}]}
    t.add(ALIAS_ID, "AWS::Lambda::Alias", {
        "FunctionName": ref(FUNCTION), "Name": ALIAS,
        "FunctionVersion": {"Fn::If": [PINNED, ref(LIVE_VERSION), att(version, "Version")]}})
    retries, age, destination = _async_wanted(want)
    t.add("AsyncConfig", "AWS::Lambda::EventInvokeConfig", {
        "FunctionName": ref(FUNCTION), "Qualifier": ALIAS, "MaximumRetryAttempts": retries,
        "MaximumEventAgeInSeconds": age,
        **({"DestinationConfig": {"OnFailure": {"Destination": destination}}} if destination else {})},
        DependsOn=[ALIAS_ID])
    t.output("FunctionName", ref(FUNCTION), "The Lambda function")
    t.output("FunctionArn", att(FUNCTION, "Arn"), "The function's ARN")
    t.output("AliasArn", ref(ALIAS_ID), f"The alias {ALIAS}, which every trigger invokes")
    t.output("RoleArn", att(ROLE, "Arn"), "The function's execution role")
    t.output("LogGroup", ref(LOGS), "The function's log group")
