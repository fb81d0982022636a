"""States and their names; the finished machine kept to what runs, then checked.

State names are unique across the whole machine (nested Map and Parallel states included), at most
80 characters, and made of letters, digits, - and _ only, which every AWS rule on names accepts
(CloudWatch logging included). Each one starts with the line it came from: `L12_small_resize`.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import CompileError

NAME_LIMIT = 80
_BAD = re.compile(r"[^A-Za-z0-9_-]+")


class Namer:
    """Unique state names for one machine."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, line: int, hint: str) -> str:
        base = f"L{line}_{_BAD.sub('_', hint).strip('_')}"[: NAME_LIMIT - 4].rstrip("_") or f"L{line}"
        name, n = base, 1
        while name in self.used:
            n += 1
            name = f"{base}_{n}"
        self.used.add(name)
        return name


class Graph:
    """The states of one States object (the machine's, a Map iteration's, a Parallel branch's)."""

    def __init__(self, namer: Namer) -> None:
        self.namer = namer
        self.states: dict[str, dict[str, Any]] = {}

    def reserve(self, line: int, hint: str) -> str:
        return self.namer(line, hint)

    def put(self, name: str, state: dict[str, Any]) -> str:
        self.states[name] = state
        return name

    def add(self, line: int, hint: str, state: dict[str, Any]) -> str:
        return self.put(self.reserve(line, hint), state)

    def nested(self) -> "Graph":
        return Graph(self.namer)

    def machine(self, start: str, **extra: Any) -> dict[str, Any]:
        """{"StartAt", "States"} of the states reachable from `start`, in the order they run."""
        order: list[str] = []
        todo = [start]
        while todo:
            name = todo.pop()
            if name in order:
                continue
            order.append(name)
            todo.extend(reversed(successors(self.states[name])))
        return {**extra, "StartAt": start, "States": {name: self.states[name] for name in order}}


def successors(state: dict[str, Any]) -> list[str]:
    out = [state["Next"]] if "Next" in state else []
    out += [rule["Next"] for rule in state.get("Choices", [])]
    if "Default" in state:
        out.append(state["Default"])
    out += [c["Next"] for c in state.get("Catch", [])]
    return out


_TERMINAL = {"Succeed", "Fail"}


def validate(machine: dict[str, Any], seen: set[str] | None = None) -> None:
    """What AWS checks when it accepts a definition, checked here so that a compiler fault is a
    CompileError, not a rejected deploy or a machine that does something else."""
    seen = set() if seen is None else seen
    states = machine["States"]
    if machine["StartAt"] not in states:
        raise CompileError(f"internal: StartAt {machine['StartAt']} is not a state")
    for name, state in states.items():
        if name in seen or len(name) > NAME_LIMIT or _BAD.search(name):
            raise CompileError(f"internal: state name {name!r} is repeated or not allowed")
        seen.add(name)
        kind = state["Type"]
        for target in successors(state):
            if target not in states:
                raise CompileError(f"internal: {name} goes to {target}, not a state of its scope")
        if kind == "Choice":
            if not state.get("Choices") or "Default" not in state:
                raise CompileError(f"internal: Choice {name} without rules or Default")
        elif kind not in _TERMINAL and ("Next" in state) == bool(state.get("End")):
            raise CompileError(f"internal: {name} needs exactly one of Next and End")
        for field in ("Retry", "Catch"):
            entries = state.get(field, [])
            for i, entry in enumerate(entries):
                errors = entry["ErrorEquals"]
                if "States.ALL" in errors and (len(errors) > 1 or i != len(entries) - 1):
                    raise CompileError(f"internal: {name}'s {field}: States.ALL must be alone and last")
        for branch in state.get("Branches", []):
            validate(branch, seen)
        if "ItemProcessor" in state:
            validate(state["ItemProcessor"], seen)
