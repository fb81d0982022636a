"""The stage's workflows (deploy/machines.py: the same machines, definitions, trust and policies):
per @workflow its role (path /lz/PROJECT/STAGE/), its log group while logging is on, and its
state machine, whose definition invokes the alias `live`."""

from __future__ import annotations

from .base import Template, att, logical_id, tag_list
from .function import ALIAS_ID

KIND = "workflows"


def emit(t: Template) -> None:
    want = t.want
    for m in want.workflows:
        base = logical_id("Workflow", m.workflow.rsplit(".", 1)[-1])
        t.add(f"{base}Role", "AWS::IAM::Role", {
            "RoleName": m.role_name, "Path": m.role_path, "Description": f"lz: the role of state machine {m.name}",
            "AssumeRolePolicyDocument": m.trust(),
            "Policies": [{"PolicyName": "lz", "PolicyDocument": m.policy()}],
            **({"ManagedPolicyArns": m.managed_policies} if m.managed_policies else {}),
            "Tags": tag_list(m.tags)})
        depends = [ALIAS_ID]  # the definition names the alias by ARN (the role by GetAtt)
        if m.log_group:
            t.add(f"{base}Logs", "AWS::Logs::LogGroup", {
                "LogGroupName": m.log_group, "RetentionInDays": want.log_retention_days, "Tags": tag_list(m.tags)})
            depends.append(f"{base}Logs")
        logging = m.logging_configuration()
        props = {
            "StateMachineName": m.name, "StateMachineType": m.type, "DefinitionString": m.definition,
            "RoleArn": att(f"{base}Role", "Arn"), "TracingConfiguration": {"Enabled": m.tracing},
            "LoggingConfiguration": {
                "Level": logging["level"], "IncludeExecutionData": logging["includeExecutionData"],
                **({"Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": m.log_group_arn}}]}
                   if m.log_group else {})},
            "Tags": tag_list(m.tags)}
        t.add(base, "AWS::StepFunctions::StateMachine", props, DependsOn=depends)
        t.output(f"{base}Arn", {"Ref": base}, f"State machine of @workflow {m.workflow}")
