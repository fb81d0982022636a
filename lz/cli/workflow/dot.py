"""A compiled machine as a Graphviz DOT picture (`lz workflow graph STAGE NAME --dot | dot -Tsvg`).

Tasks are boxes, Choices diamonds, Waits ovals, Fail and the ends double circles; a Map or
Parallel state is a cluster holding its iteration or branches; a Catch is a dashed red edge labelled
with the errors it catches.
"""

from __future__ import annotations

import json
from typing import Any

_SHAPES = {"Task": "box", "Choice": "diamond", "Wait": "oval", "Pass": "box", "Fail": "doublecircle",
           "Succeed": "doublecircle", "Map": "box3d", "Parallel": "box3d"}


def _q(text: str) -> str:
    return json.dumps(text)


def _label(name: str, state: dict[str, Any]) -> str:
    kind = state["Type"]
    detail = ""
    if kind == "Task":
        detail = "\\n" + str(state.get("Parameters", {}).get("name", "")).rsplit(".", 1)[-1] + "()"
    elif kind == "Fail":
        detail = "\\n" + str(state.get("Error", ""))
    return f"{name}\\n[{kind}]{detail}"


def _states(machine: dict[str, Any], out: list[str], indent: str, start_edge: str | None) -> None:
    states = machine["States"]
    if start_edge is not None:
        out.append(f"{indent}{_q(start_edge)} -> {_q(machine['StartAt'])} [style=dotted];")
    for name, state in states.items():
        kind = state["Type"]
        style = ' style="rounded"' if kind == "Pass" else ""
        out.append(f"{indent}{_q(name)} [shape={_SHAPES.get(kind, 'box')}{style} label=\"{_label(name, state)}\"];")
        if state.get("End"):
            out.append(f"{indent}{_q(name + '__end')} [shape=point];")
            out.append(f"{indent}{_q(name)} -> {_q(name + '__end')};")
        if "Next" in state:
            out.append(f"{indent}{_q(name)} -> {_q(state['Next'])};")
        for rule in state.get("Choices", []):
            out.append(f"{indent}{_q(name)} -> {_q(rule['Next'])} [label=\"yes\"];")
        if "Default" in state:
            out.append(f"{indent}{_q(name)} -> {_q(state['Default'])} [label=\"no\"];")
        for catch in state.get("Catch", []):
            errors = ", ".join(catch["ErrorEquals"])
            out.append(f"{indent}{_q(name)} -> {_q(catch['Next'])} [style=dashed color=red label={_q(errors)}];")
        inner = state.get("Branches", []) + ([state["ItemProcessor"]] if "ItemProcessor" in state else [])
        for i, sub in enumerate(inner):
            out.append(f"{indent}subgraph {_q('cluster_' + name + str(i))} {{")
            out.append(f"{indent}  label={_q(name + (' (each item)' if kind == 'Map' else f' branch {i + 1}'))};")
            _states(sub, out, indent + "  ", name)
            out.append(f"{indent}}}")


def to_dot(definition: dict[str, Any], title: str) -> str:
    out = [f"digraph {_q(title)} {{", "  rankdir=TB;", '  node [fontname="Helvetica" fontsize=10];',
           '  edge [fontname="Helvetica" fontsize=9];', '  "__start" [shape=point];']
    _states(definition, out, "  ", "__start")
    out.append("}")
    return "\n".join(out) + "\n"
