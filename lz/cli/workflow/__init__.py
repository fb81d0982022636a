"""Workflows compiled into AWS Step Functions state machines (Amazon States Language, JSONPath).

    from lz.cli.workflow import compile_project
    for machine in compile_project(files):     # files: [(relative path, Path)], as collect() gives
        machine.name, machine.asl, machine.tasks

Each @workflow (found with ast, never imported: symbols.py) is compiled from its body
(compiler.py) into a definition whose Task states invoke `${FunctionArn}`: a placeholder for the
ARN of the stage's function alias `live`, filled in at deploy (`resolve()`). What the deploy engine
needs per workflow is all here:

- `Compiled.name`: the workflow's function name; its state machine is named
  `<function name>-<name>` (`machine_name()`), which is what the runtime's `.start()` looks up.
- `Compiled.asl`: the definition as JSON text, with the placeholder (deterministic: the same code
  gives the same text, so an unchanged redeploy can compare it).
- `Compiled.tasks`: the registered task names its Task states run (all declared in the bundle; the
  machine's role needs lambda:InvokeFunction on the alias `live` and nothing else).

`machines(files)` gives exactly these three as tuples.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CompileError
from .graph import NAME_LIMIT
from .symbols import Project

__all__ = ["CompileError", "Compiled", "compile_project", "machines", "machine_name", "resolve", "find"]

PLACEHOLDER = "${FunctionArn}"
_MACHINE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Compiled:
    name: str  # the workflow's function name (the state machine's name ends with it)
    function: str  # module.qualname
    origin: str  # file:line of its def
    definition: dict[str, Any] = field(compare=False)
    tasks: tuple[str, ...] = ()
    statements: int = 0  # Python statements compiled (bench/workflows.py: states per statement)

    @property
    def asl(self) -> str:
        return json.dumps(self.definition, indent=2)

    def state_count(self) -> int:
        def count(machine: dict[str, Any]) -> int:
            total = 0
            for state in machine["States"].values():
                total += 1
                total += sum(count(b) for b in state.get("Branches", []))
                if "ItemProcessor" in state:
                    total += count(state["ItemProcessor"])
            return total

        return count(self.definition)


def compile_project(files: list[tuple[str, Path]]) -> list[Compiled]:
    """Every @workflow of the project, compiled; a CompileError names the first that cannot be."""
    from .compiler import compile_workflow

    project = Project(files)
    out: list[Compiled] = []
    seen: dict[str, str] = {}
    for source in project.workflows():
        if source.short in seen:
            raise CompileError(f"{source.origin}: workflow {source.short} has the name of the one at "
                               f"{seen[source.short]}: state machines are named by the function name; "
                               "rename one")
        seen[source.short] = source.origin
        definition, tasks, statements = compile_workflow(project, source)
        out.append(Compiled(source.short, source.function, source.origin, definition, tuple(sorted(tasks)),
                            statements))
    return sorted(out, key=lambda c: c.name)


def machines(files: list[tuple[str, Path]]) -> list[tuple[str, str, list[str]]]:
    """For the deploy engine: (workflow name, ASL JSON with the ${FunctionArn} placeholder, names
    of the tasks it runs), one per @workflow, sorted by name."""
    return [(c.name, c.asl, list(c.tasks)) for c in compile_project(files)]


def find(compiled: list[Compiled], name: str) -> Compiled:
    """The workflow called `name` (its function name or module.qualname)."""
    for item in compiled:
        if name in (item.name, item.function):
            return item
    known = ", ".join(c.name for c in compiled) or "none"
    raise CompileError(f"no @workflow named {name!r} in this project (found: {known})")


def machine_name(function_name: str, workflow: str) -> str:
    """`<function name>-<workflow>`, checked against Step Functions' rules for names: at most 80
    characters of letters, digits, - and _ (the set CloudWatch logging accepts)."""
    name = f"{function_name}-{workflow}"
    if len(name) > NAME_LIMIT or not _MACHINE_NAME.match(name):
        raise CompileError(f"the state machine name {name!r} is over {NAME_LIMIT} characters or holds "
                           "characters other than letters, digits, - and _: shorten the project, stage "
                           "or workflow name")
    return name


def resolve(asl: str, function_arn: str) -> str:
    """The definition with the placeholder replaced by the function's (alias) ARN."""
    return asl.replace(PLACEHOLDER, function_arn)
