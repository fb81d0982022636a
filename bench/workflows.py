"""Workflows: how fast they compile, how many states a statement becomes, and what running one
through Step Functions (moto's engine, the tasks in the built bundle) costs beside running it inline.

    .venv/bin/python bench/workflows.py            # ~1 minute; needs Python 3.13 (pyenv, PATH or uv)
    .venv/bin/python bench/workflows.py --quick    # compile figures only (no bundle, no engine)

1. Compile time of a generated 200-statement workflow (task calls, ifs, while loops, a map, a
   try, f-strings), best of 20, against the issue's target of 100 ms.
2. States per Python statement for each workflow of the test project (tests/workflow/project).
3. End to end: the same workflows run inline as Python (tasks in this process) and as their state
   machines in moto's Step Functions engine, whose Lambda Task states run the built bundle under
   the local Lambda runtime (awslambdaric, Python 3.13): best of 3 each, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lz.cli.workflow import compile_project  # noqa: E402
from tests.workflow.conftest import PROJECT, project_files  # noqa: E402

TARGET_MS = 100.0
PIECES = [  # (source, statements it holds); {p} is the name the latest task call assigned
    ("a{i} = add({p}, {i})", 1),
    ("if {p} > {i} and len(items) > 0:\n    b{i} = echo(f'{{{p}}}-{i}')\nelse:\n    b{i} = {p} + 1", 3),
    ("c{i} = [echo(x) for x in items]", 1),
    ("n{i} = 0\nwhile n{i} < 3:\n    n{i} = n{i} + 1", 3),
    ("try:\n    d{i} = echo({{'k': {p}, 'list': [{p}, 1]}})\nexcept TaskError as e:\n    d{i} = e.cause", 3),
]


def generated(statements: int) -> str:
    """A workflow of about `statements` statements (an if counts with its branches' statements)."""
    lines = ["from lz import task", "from lz.tasks import TaskError", "from lz.tasks.workflow import workflow", "",
             "@task", "def add(a, b): return a + b", "", "@task", "def echo(v): return v", "", "@workflow",
             "def big(items, start):"]
    count, i, latest = 0, 0, "start"
    while count < statements:
        piece, size = PIECES[i % len(PIECES)]
        lines += ["    " + line for line in piece.format(i=i, p=latest).splitlines()]
        count += size
        if i % len(PIECES) == 0:
            latest = f"a{i}"
        i += 1
    lines.append(f"    return {latest}")
    return "\n".join(lines) + "\n"


def compile_time(statements: int, rounds: int) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.py"
        path.write_text(generated(statements))
        best = float("inf")
        for _ in range(rounds):
            t0 = time.perf_counter()
            [machine] = compile_project([("big.py", path)])
            best = min(best, time.perf_counter() - t0)
        return best * 1000, machine.statements, machine.state_count()


def ratios() -> None:
    print("\nstates per Python statement (tests/workflow/project)")
    total_states = total_statements = 0
    for machine in compile_project(project_files(PROJECT)):
        total_states += machine.state_count()
        total_statements += machine.statements
        print(f"  {machine.name:<22} {machine.statements:>3} statements  {machine.state_count():>3} states  "
              f"{machine.state_count() / machine.statements:4.1f}")
    print(f"  {'all':<22} {total_statements:>3} statements  {total_states:>3} states  "
          f"{total_states / total_statements:4.1f}")


def end_to_end(rounds: int) -> None:

    from lz.cli.local.runner import LocalFunction
    from lz.cli.pythons import find_python
    from tests.workflow.engine import FUNCTION, Engine, free_port, python_outcome

    python = find_python("3.13")
    if python is None:
        print("\nend to end: skipped (no Python 3.13 for the local Lambda runtime)")
        return
    work = Path(tempfile.mkdtemp(prefix="lz-bench-wf-"))
    project = work / "project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("__pycache__", ".lz"))
    bundle = work / "wfdemo.zip"
    done = subprocess.run([sys.executable, "-m", "lz.cli.main", "package", "dev", "--project", str(project),
                           "-o", str(bundle)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    sys.path.insert(0, str(project))
    import importlib

    whole = importlib.import_module("wfdemo.whole")
    flows = importlib.import_module("wfdemo.flows")
    compiled = {c.name: c for c in compile_project(project_files(project))}
    cases = [("place_order", whole.place_order, ("o1", ["tea", "cups"], 30)),
             ("nightly", whole.nightly, ([{"name": f"b{i}", "items": [1] * i} for i in range(5)], 100)),
             ("fan_out x10", flows.fan_out, ([f"k{i}" for i in range(10)], 8))]

    class Patch:  # the engine's context manager wants pytest's monkeypatch; this is its undo list
        def __init__(self) -> None:
            self.undo: list = []

        def setitem(self, d, k, v):
            self.undo.append(lambda old=d.get(k): d.__setitem__(k, old))
            d[k] = v

        def setattr(self, obj, name, value):
            self.undo.append(lambda old=getattr(obj, name): setattr(obj, name, old))
            setattr(obj, name, value)

        def setenv(self, key, value):
            os.environ[key] = value

    print(f"\nend to end, best of {rounds} (moto's engine + the bundle under awslambdaric 3.13 vs inline)")
    with LocalFunction(bundle, "3.13", python=python, name=FUNCTION, timeout=30) as fn:
        engine = Engine(free_port(), fn)
        patch = Patch()
        try:
            with engine.active(patch):
                fn.invoke({"lz": "warm"})
                for label, workflow, args in cases:
                    machine = engine.create(compiled[workflow.short_name])
                    inline = machine_time = float("inf")
                    for _ in range(rounds):
                        t0 = time.perf_counter()
                        expected = python_outcome(workflow, *args)
                        inline = min(inline, time.perf_counter() - t0)
                        t0 = time.perf_counter()
                        got = engine.run(machine, workflow.execution_input(*args))
                        machine_time = min(machine_time, time.perf_counter() - t0)
                        assert got == expected, (label, got, expected)
                    print(f"  {label:<14} inline {inline * 1000:8.1f} ms   engine {machine_time * 1000:8.1f} ms   "
                          f"engine/inline {machine_time / inline:7.1f}")
        finally:
            for undo in reversed(patch.undo):
                undo()
            engine.close()
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="compile figures only")
    options = parser.parse_args()
    best, statements, states = compile_time(200, 20)
    verdict = "within" if best <= TARGET_MS else "OVER"
    print(f"compile: a {statements}-statement workflow ({states} states) in {best:.1f} ms, best of 20 "
          f"({verdict} the {TARGET_MS:.0f} ms target; ratio {best / TARGET_MS:.2f})")
    ratios()
    if not options.quick:
        end_to_end(3)


if __name__ == "__main__":
    main()
