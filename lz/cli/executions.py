"""Executions of a stage's state machines (`lz workflow start / list / show`): start one with
arguments checked against the workflow's signature, follow it state by state, list the recent ones,
and tell one's story (status, input, output, the state that failed and why, a readable history).

The stage's machines are the ones deploy made: found by name and the lz:project / lz:stage tags
(deploy/resources/_workflow_state.py), never guessed. EXPRESS workflows keep no execution history
in Step Functions (DescribeExecution and GetExecutionHistory refuse them): they can be started,
and their story is in their log group (settings `workflows.NAME.logging`).
"""

from __future__ import annotations

import ast
import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterator

from .aws import Aws, AwsError, error_code

STATE_LIMIT = 256 * 1024  # Step Functions: an execution's input, like every state's, at most 256 KiB
DONE = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")


class ExecutionError(AwsError):
    """A bad name, argument or execution reference; the message says what to do."""


@dataclass(frozen=True)
class Deployed:
    workflow: str  # its function name
    machine: str
    arn: str
    type: str


def deployed(aws: Aws, stage: Any) -> dict[str, Deployed]:
    """The stage's state machines, by workflow name."""
    from .deploy.machines import machine_prefix
    from .deploy.resources._workflow_state import existing

    prefix = machine_prefix(stage.project, stage.name)
    found = existing(aws, stage.project, stage.name).machines
    return {name[len(prefix):]: Deployed(name[len(prefix):], name, m["arn"], m["type"])
            for name, m in sorted(found.items())}


def pick(machines: dict[str, Deployed], name: str, stage: Any) -> Deployed:
    """The deployed workflow called `name` (its function name, or module.function)."""
    short = name.rsplit(".", 1)[-1]
    if short in machines:
        return machines[short]
    known = ", ".join(machines) or "none"
    raise ExecutionError(f"stage {stage.name} has no deployed workflow {name!r} (deployed: {known}); "
                         f"deploy it first (lz deploy {stage.name}), or check the name")


def _signature(stage: Any, workflow: str) -> tuple[list[str], set[str]] | None:
    """(parameters in order, those with a default) of the workflow in the local code, if there."""
    from .bundle.collect import collect
    from .workflow.symbols import Project

    try:
        sources = Project(collect(stage.root, stage.include, stage.exclude).files).workflows()
    except Exception:  # noqa: BLE001 - the code cannot be read: AWS will judge the input alone
        return None
    for source in sources:
        if source.short == workflow:
            a: ast.arguments = source.node.args
            params = [p.arg for p in a.args + a.kwonlyargs]
            defaulted = {p.arg for p in a.args[len(a.args) - len(a.defaults):]}
            defaulted |= {p.arg for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None}
            return params, defaulted
    return None


def arguments(stage: Any, workflow: str, text: str | None) -> dict[str, Any]:
    """The execution's input: --args as a JSON object (parameters by name) or list (in order),
    checked against the workflow's parameters when its code is here."""
    try:
        given = json.loads(text) if text else {}
    except ValueError as exc:
        raise ExecutionError(f"--args is not JSON ({exc}): pass an object of the workflow's parameters, "
                             """e.g. --args '{"key": "a.png", "sizes": [64]}'""") from None
    signature = _signature(stage, workflow)
    if isinstance(given, list):
        if signature is None:
            raise ExecutionError(f"--args as a list needs the code of {workflow} (not found here): pass an "
                                 "object of parameter names instead")
        params = signature[0]
        if len(given) > len(params):
            raise ExecutionError(f"{workflow} takes {len(params)} argument(s) ({', '.join(params)}), "
                                 f"--args gives {len(given)}")
        given = dict(zip(params, given))
    if not isinstance(given, dict):
        raise ExecutionError(f"--args must be a JSON object of {workflow}'s parameters (or a list of its "
                             f"arguments in order), got {type(given).__name__}")
    if signature is not None:
        params, defaulted = signature
        unknown = [k for k in given if k not in params]
        missing = [p for p in params if p not in given and p not in defaulted]
        if unknown or missing:
            said = ([f"no parameter {', '.join(unknown)}"] if unknown else []) + \
                   ([f"missing {', '.join(missing)}"] if missing else [])
            raise ExecutionError(f"--args for {workflow}({', '.join(params)}): {'; '.join(said)}")
    size = len(json.dumps(given, separators=(",", ":")).encode())
    if size > STATE_LIMIT:
        raise ExecutionError(f"--args is {size:,} bytes, over Step Functions' {STATE_LIMIT:,}-byte limit for "
                             "an execution's input: put the data in S3 and pass its key")
    return given


def start(aws: Aws, machine: Deployed, given: dict[str, Any]) -> str:
    with aws.explain(f"starting an execution of {machine.machine}"):
        return aws.client("stepfunctions").start_execution(
            stateMachineArn=machine.arn, name=uuid.uuid4().hex,
            input=json.dumps(given, separators=(",", ":")))["executionArn"]


def describe(aws: Aws, arn: str) -> dict:
    with aws.explain(f"reading execution {arn}"):
        return aws.client("stepfunctions").describe_execution(executionArn=arn)


def history(aws: Aws, arn: str) -> list[dict]:
    with aws.explain(f"reading the history of execution {arn}"):
        pages = aws.client("stepfunctions").get_paginator("get_execution_history").paginate(executionArn=arn)
        return [event for page in pages for event in page["events"]]


def follow(aws: Aws, arn: str, on_event: Callable[[dict, dict[int, dict]], None], poll: float = 1.0,
           timeout: float | None = None) -> dict:
    """Call on_event for each new history event until the execution ends; its description."""
    seen = 0
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        described = describe(aws, arn)
        events = history(aws, arn)
        by_id = {e["id"]: e for e in events}
        for event in events:
            if event["id"] > seen:
                on_event(event, by_id)
                seen = event["id"]
        if described["status"] in DONE:
            return described
        if deadline is not None and time.monotonic() > deadline:
            raise ExecutionError(f"{arn} is still {described['status']} after {timeout:.0f} s; "
                                 "`lz workflow show` tells how it went later")
        time.sleep(poll)


def recent(aws: Aws, machines: list[Deployed], limit: int = 20) -> list[tuple[Deployed, dict]]:
    """The latest executions of these (STANDARD) machines, newest first."""
    def of(machine: Deployed) -> list[tuple[Deployed, dict]]:
        with aws.explain(f"listing the executions of {machine.machine}"):
            page = aws.client("stepfunctions").list_executions(stateMachineArn=machine.arn, maxResults=limit)
        return [(machine, e) for e in page.get("executions", [])]

    found = [row for rows in aws.map(of, [m for m in machines if m.type != "EXPRESS"]) for row in rows]
    return sorted(found, key=lambda row: row[1]["startDate"], reverse=True)[:limit]


def find(aws: Aws, machines: dict[str, Deployed], reference: str, stage: Any) -> tuple[Deployed | None, str]:
    """(its machine, the execution ARN) for an ARN or an execution name of the stage."""
    if reference.startswith("arn:"):
        machine_name = reference.split(":")[6] if reference.count(":") >= 7 else ""
        owner = next((m for m in machines.values() if m.machine == machine_name), None)
        return owner, reference
    sfn = aws.client("stepfunctions")

    def probe(machine: Deployed) -> str | None:
        arn = machine.arn.replace(":stateMachine:", ":execution:", 1) + f":{reference}"
        try:
            sfn.describe_execution(executionArn=arn)
            return arn
        except Exception as exc:
            if error_code(exc) in ("ExecutionDoesNotExist", "InvalidArn"):
                return None
            with aws.explain(f"reading execution {arn}"):
                raise

    standard = [m for m in machines.values() if m.type != "EXPRESS"]
    for machine, arn in zip(standard, aws.map(probe, standard), strict=True):
        if arn:
            return machine, arn
    raise ExecutionError(f"stage {stage.name} has no execution {reference!r} (`lz workflow list "
                         f"{stage.name}` lists the recent ones; an ARN works too)")


# ---------------------------------------------------------------------------------- reading a story
def _details(event: dict) -> dict:
    return next((v for k, v in event.items() if k.endswith("EventDetails") and isinstance(v, dict)), {})


def cause_text(cause: str | None) -> tuple[str, list[str]]:
    """A cause as one line, plus the traceback when it is a Lambda error's JSON."""
    if not cause:
        return "", []
    try:
        data = json.loads(cause)
    except ValueError:
        return cause, []
    if isinstance(data, dict) and "errorMessage" in data:
        trace = data.get("stackTrace") or []
        lines = [line.rstrip("\n") for entry in trace for line in str(entry).splitlines()]
        return str(data["errorMessage"]), lines
    return cause, []


def state_of(event: dict, by_id: dict[int, dict]) -> str | None:
    """The state an event happened in: back along previousEventId to the state it entered."""
    current: dict | None = event
    for _ in range(10_000):
        if current is None:
            return None
        if current["type"].endswith("StateEntered"):
            return current.get("stateEnteredEventDetails", {}).get("name")
        current = by_id.get(current.get("previousEventId", 0))
    return None


def failure(events: list[dict]) -> tuple[str | None, str, str, list[str]] | None:
    """(failed state, error, cause, traceback) of a failed execution, from its history."""
    by_id = {e["id"]: e for e in events}
    end = next((e for e in reversed(events) if e["type"] in ("ExecutionFailed", "ExecutionTimedOut",
                                                              "ExecutionAborted")), None)
    if end is None:
        return None
    details = _details(end)
    error, cause = details.get("error", end["type"]), details.get("cause")
    origin = next((e for e in reversed(events) if e["id"] < end["id"] and e["type"] != end["type"]
                   and (_details(e).get("error") or e["type"] == "FailStateEntered")), None)
    state = state_of(origin, by_id) if origin is not None else state_of(end, by_id)
    text, trace = cause_text(cause)
    return state, error, text, trace


def line(event: dict, by_id: dict[int, dict], start: datetime | None) -> str | None:
    """One readable line per event that says something: states entered, failures, the end."""
    kind = event["type"]
    details = _details(event)
    offset = ""
    if start is not None and isinstance(event.get("timestamp"), datetime):
        offset = f"{(event['timestamp'] - start).total_seconds():8.3f}s  "
    if kind.endswith("StateEntered"):
        return f"{offset}-> {details.get('name')} ({kind[:-len('StateEntered')] or 'State'})"
    if details.get("error") or kind.endswith(("Failed", "TimedOut", "Aborted")):
        text, _ = cause_text(details.get("cause"))
        where = state_of(event, by_id)
        return f"{offset}   {kind}{f' in {where}' if where else ''}: {details.get('error', '')}" + \
            (f": {text}" if text else "")
    if kind in ("ExecutionStarted", "ExecutionSucceeded"):
        return f"{offset}{kind}"
    if kind.endswith("Retry") or kind == "MapIterationFailed":
        return f"{offset}   {kind}"
    return None


def story(events: list[dict]) -> Iterator[str]:
    by_id = {e["id"]: e for e in events}
    start = events[0].get("timestamp") if events else None
    for event in events:
        text = line(event, by_id, start if isinstance(start, datetime) else None)
        if text is not None:
            yield text
