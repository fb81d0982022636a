"""Change sets: made, waited for, read as lz's plan (a list of Steps), executed, and stack events
followed until the stack settles, with the reason of the first failure."""

from __future__ import annotations

import time
from typing import Callable

from ..aws import Aws, AwsError, error_code
from ..deploy.steps import Step

CAPABILITIES = ["CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
# A change set with no change: DescribeChangeSet says FAILED with the StatusReason "The submitted
# information didn't contain changes. Submit different information to create a change set."; some
# paths answer "No updates are to be performed." instead (CloudFormation API reference,
# DescribeChangeSet / ChangeSetSummary StatusReason)
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
ACTIONS = {"Add": "create", "Modify": "update", "Remove": "delete", "Import": "import", "Dynamic": "update"}
SETTLED = ("_COMPLETE", "_FAILED")
POLL = 2.0  # seconds between DescribeStackEvents calls (CloudFormation's own console polls as often)


def stack_status(aws: Aws, name: str) -> dict | None:
    """DescribeStacks of `name`; None when there is no such stack (or only a deleted one)."""
    try:
        stacks = aws.client("cloudformation").describe_stacks(StackName=name)["Stacks"]
    except Exception as exc:
        if error_code(exc) == "ValidationError" and "does not exist" in str(exc):
            return None
        with aws.explain(f"reading stack {name}"):
            raise
    stack = stacks[0] if stacks else None
    return None if stack is None or stack.get("StackStatus") == "DELETE_COMPLETE" else stack


def create(aws: Aws, name: str, kind: str, body: str | None, parameters: list[dict],
           tags: dict[str, str]) -> tuple[str, list[Step]] | None:
    """Make a change set (`kind` CREATE or UPDATE; `body` None: the stack's current template) and
    read it as steps; None when it holds no change (it is deleted again)."""
    cfn = aws.client("cloudformation")
    change_set = f"lz-{int(time.time())}"
    template = {"TemplateBody": body} if body is not None else {"UsePreviousTemplate": True}
    try:
        made = cfn.create_change_set(
            StackName=name, ChangeSetName=change_set, ChangeSetType=kind, Parameters=parameters,
            Capabilities=CAPABILITIES, Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
            Description="lz deploy", **template)
    except Exception as exc:
        if error_code(exc) == "ValidationError" and any(text in str(exc) for text in NO_CHANGES):
            return None  # some endpoints refuse an empty change set outright instead of failing it
        with aws.explain(f"creating a change set for stack {name}"):
            raise
    arn = made["Id"]
    described = _settled_change_set(aws, arn)
    if described["Status"] == "FAILED":
        reason = described.get("StatusReason", "")
        if any(text in reason for text in NO_CHANGES):
            delete(aws, arn)
            return None
        raise AwsError(f"CloudFormation refused the change set for stack {name}: {reason}")
    return arn, steps_of(described)


def _settled_change_set(aws: Aws, arn: str, timeout: float = 600) -> dict:
    cfn = aws.client("cloudformation")
    deadline = time.monotonic() + timeout
    while True:
        with aws.explain("reading the change set"):
            described = cfn.describe_change_set(ChangeSetName=arn)
            while described.get("NextToken"):  # a large stack's changes come in pages
                more = cfn.describe_change_set(ChangeSetName=arn, NextToken=described["NextToken"])
                described = {**more, "Changes": described.get("Changes", []) + more.get("Changes", [])}
        if described["Status"] in ("CREATE_COMPLETE", "FAILED") or time.monotonic() > deadline:
            return described
        time.sleep(1)


def steps_of(described: dict) -> list[Step]:
    """The change set as lz's plan: one row per resource, with what CloudFormation will do and
    why (replacement, the properties that change)."""
    steps = []
    for change in described.get("Changes", []):
        rc = change.get("ResourceChange") or {}
        action = ACTIONS.get(rc.get("Action", ""), str(rc.get("Action", "")).lower())
        kind = str(rc.get("ResourceType", "")).removeprefix("AWS::")
        reason = []
        if rc.get("Replacement") == "True":
            reason.append("replaced")
        names = sorted({d.get("Target", {}).get("Name") for d in rc.get("Details", [])
                        if d.get("Target", {}).get("Name")})
        if names:
            reason.append("changes " + ", ".join(names))
        if not reason:
            reason.append({"create": "new in the template", "delete": "no longer in the template"}.get(action, action))
        name = rc.get("LogicalResourceId", "")
        if rc.get("PhysicalResourceId"):
            name += f" ({rc['PhysicalResourceId']})"
        steps.append(Step(kind, name, action, "; ".join(reason)))
    return steps


def delete(aws: Aws, arn: str) -> None:
    try:
        aws.client("cloudformation").delete_change_set(ChangeSetName=arn)
    except Exception as exc:  # noqa: BLE001 - a change set left behind harms nothing
        if error_code(exc) not in ("ChangeSetNotFound", "ValidationError"):
            pass


def seen_events(aws: Aws, name: str) -> set[str]:
    """The ids of the stack's latest events (those a follow must not print again): its first page,
    newest first, is enough, since a follow reads pages only until it meets one of them."""
    try:
        return {e["EventId"] for e in _events(aws, name, set(), pages=1)}
    except AwsError:
        return set()


def _events(aws: Aws, name: str, seen: set[str], pages: int | None = None) -> list[dict]:
    """The stack's events newest first, page after page until one already `seen` (a stack's
    history only grows: the older pages hold nothing new)."""
    cfn = aws.client("cloudformation")
    found: list[dict] = []
    with aws.explain(f"reading the events of stack {name}"):
        for number, page in enumerate(cfn.get_paginator("describe_stack_events").paginate(StackName=name)):
            events = page["StackEvents"]
            found += events
            if any(e["EventId"] in seen for e in events) or (pages is not None and number + 1 >= pages):
                break
    return found


def first_failed(events: list[dict]) -> str | None:
    """The reason of the first failed resource event among `events` (oldest first), which names the
    cause; the failures after it are mostly "Resource creation cancelled" as CloudFormation stops."""
    for event in events:
        if str(event.get("ResourceStatus", "")).endswith("_FAILED") and event.get("ResourceStatusReason") \
                and "cancelled" not in event["ResourceStatusReason"].lower():
            return f"{event.get('LogicalResourceId')} ({event.get('ResourceType')}): {event['ResourceStatusReason']}"
    for event in events:
        if str(event.get("ResourceStatus", "")).endswith("_FAILED") and event.get("ResourceStatusReason"):
            return f"{event.get('LogicalResourceId')} ({event.get('ResourceType')}): {event['ResourceStatusReason']}"
    return None


def follow(aws: Aws, name: str, seen: set[str], on_event: Callable[[dict], None],
           timeout: float = 3600, poll: float = POLL) -> tuple[str, str | None]:
    """Print the stack's new events (oldest first) until it settles; (final status, the reason of
    the first failed event, if any)."""
    deadline = time.monotonic() + timeout
    first_failure: str | None = None
    while True:
        fresh = [e for e in reversed(_events(aws, name, seen)) if e["EventId"] not in seen]
        for event in fresh:
            seen.add(event["EventId"])
            on_event(event)
        first_failure = first_failure or first_failed(fresh)
        stack = stack_status(aws, name)
        status = stack["StackStatus"] if stack else "DELETE_COMPLETE"
        if status.endswith(SETTLED) and not status.endswith("_IN_PROGRESS"):
            if first_failure is None and stack and stack.get("StackStatusReason") and "FAILED" in status:
                first_failure = stack["StackStatusReason"]
            return status, first_failure
        if time.monotonic() > deadline:
            raise AwsError(f"stack {name} is still {status} after {int(timeout)} s: see its events in the "
                           "CloudFormation console")
        time.sleep(poll)
