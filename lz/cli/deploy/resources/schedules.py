"""EventBridge rules for the stage's schedules (@schedule in the code, `events` in the settings),
each targeting the alias `live` with {"lz": "schedule", "function": ...} as input, and the
permission for that rule alone to invoke it. A schedule removed from the code loses its rule."""

from __future__ import annotations

import hashlib
import json
import re

from ...aws import TAG_PROJECT, TAG_STAGE, Aws, not_found
from ..models import Desired, function_name
from ..steps import Step
from . import _permissions, features

KIND = "schedules"
AFTER = ("record", "function")  # the alias live
TARGET_ID = "lz"


def rule_name(project: str, stage: str, function: str, expression: str) -> str:
    """Readable and stable: PROJECT-STAGE-<function>-<hash of function and expression>."""
    digest = hashlib.sha256(f"{function}|{expression}".encode()).hexdigest()[:8]
    tail = re.sub(r"[^A-Za-z0-9_.-]", "-", function.rsplit(".", 1)[-1])
    return f"{project}-{stage}-{tail}"[:55] + f"-{digest}"


def _sid(rule: str) -> str:
    return f"lz-rule-{rule}"[:100]


def _input(function: str, payload) -> str:
    body = {"lz": "schedule", "function": function}
    if payload is not None:
        body["input"] = payload
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def _existing(aws: Aws, project: str, stage: str) -> dict[str, dict]:
    """The stage's rules, read once per command until one is written (a deploy reads them while
    its bundle builds: operations.warm)."""
    return aws.read(("schedules", project, stage), lambda: _read(aws, project, stage))


def _read(aws: Aws, project: str, stage: str) -> dict[str, dict]:
    events = aws.client("events")
    rules, token = [], None
    with aws.explain(f"listing the EventBridge rules of {project}-{stage}"):
        while True:
            page = events.list_rules(NamePrefix=f"{project}-{stage}-", **({"NextToken": token} if token else {}))
            rules += page.get("Rules", [])
            token = page.get("NextToken")
            if not token:
                break

        def read(job: tuple[str, dict]):  # each rule's tags and targets, all side by side
            what, rule = job
            if what == "tags":
                return {t["Key"]: t["Value"] for t in events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"]}
            return events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", [])

        answers = aws.map(read, [(what, rule) for rule in rules for what in ("tags", "targets")])
    found: dict[str, dict] = {}
    for rule, tags, targets in zip(rules, answers[::2], answers[1::2], strict=True):
        if tags.get(TAG_PROJECT) == project and tags.get(TAG_STAGE) == stage:
            found[rule["Name"]] = {**rule, "Targets": targets}
    return found


def desired_rules(want: Desired) -> dict[str, dict]:
    out = {}
    for s in want.schedules:
        name = rule_name(want.project, want.stage, s.function, s.expression)
        out[name] = {"expression": s.expression, "state": "ENABLED" if s.enabled else "DISABLED",
                     "input": _input(s.function, s.input), "function": s.function}
    return out


def plan(aws: Aws, want: Desired) -> list[Step]:
    if not features.needed(aws, want, "schedules"):
        return []  # neither asked for nor deployed (features.py)
    have = _existing(aws, want.project, want.stage)
    wanted = desired_rules(want)
    sids = _permissions.statement_ids(aws, want.name) if wanted else set()
    steps = []
    for name, rule in wanted.items():
        current = have.get(name)
        detail = {"rule": name, **rule}
        if current is None:
            steps.append(Step(KIND, name, "create", f"{rule['function']} on {rule['expression']}", detail))
            continue
        target = next((t for t in current["Targets"] if t.get("Id") == TARGET_ID), {})
        if current.get("ScheduleExpression") != rule["expression"] or current.get("State") != rule["state"] \
                or target.get("Arn") != want.alias_arn or target.get("Input") != rule["input"]:
            steps.append(Step(KIND, name, "update", f"{rule['function']}: rule or target differs", detail))
        elif _sid(name) not in sids:
            steps.append(Step(KIND, name, "update", "allow this rule to invoke the function", detail))
    for name in sorted(set(have) - set(wanted)):
        steps.append(Step(KIND, name, "delete", "its schedule is no longer in the code or settings",
                          {"rule": name, "function": want.name}))
    return steps


def apply(aws: Aws, step: Step, want: Desired) -> None:
    aws.forget("schedules")
    events = aws.client("events")
    name = step.detail["rule"]
    with aws.explain(f"{step.action} EventBridge rule {name}"):
        rule = events.put_rule(Name=name, ScheduleExpression=step.detail["expression"],
                               State=step.detail["state"], Description=f"lz: {step.detail['function']}",
                               Tags=[{"Key": k, "Value": v} for k, v in want.tags.items()])
        events.put_targets(Rule=name, Targets=[{"Id": TARGET_ID, "Arn": want.alias_arn,
                                                "Input": step.detail["input"]}])
        if _sid(name) not in _permissions.statement_ids(aws, want.name):
            _permissions.allow(aws, want.name, _sid(name), "events.amazonaws.com", rule["RuleArn"])


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    function = function_name(project, stage)
    return [Step(KIND, name, "delete", "undeploy", {"rule": name, "function": function})
            for name in sorted(_existing(aws, project, stage))]


def delete(aws: Aws, step: Step) -> None:
    aws.forget("schedules")
    events = aws.client("events")
    name = step.detail["rule"]
    with aws.explain(f"deleting EventBridge rule {name}"):
        try:
            events.remove_targets(Rule=name, Ids=[TARGET_ID])
            events.delete_rule(Name=name)
        except Exception as exc:
            if not not_found(exc):
                raise
    if step.detail.get("function"):
        _permissions.remove(aws, step.detail["function"], _sid(name))


def listing(aws: Aws, project: str, stage: str, region: str) -> list[tuple[str, str, str]]:
    """(kind, what, detail) rows for `lz status`."""
    return [("schedule", rule.get("ScheduleExpression", ""),
             f"{rule.get('Description', '').removeprefix('lz: ')} ({rule.get('State', '').lower()})")
            for rule in _existing(aws, project, stage).values()]
