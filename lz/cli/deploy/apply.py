"""Carrying out a plan: its steps as a dependency graph (graph.py), independent ones side by side.

`on_step` hears of each step just before it runs, from the thread that runs it, one call at a time
(fault injection in the tests: raising there fails that step). `on_done` hears of each step that
finished or failed, in plan order, on the caller's thread (progress in the CLI)."""

from __future__ import annotations

import threading
from typing import Callable

from ..aws import Aws
from . import graph
from .models import Desired
from .resources import BY_NAME, KINDS
from .steps import Done, Step


def apply(aws: Aws, steps: list[Step], want: Desired,
          on_step: Callable[[int, Step], None] = lambda index, step: None,
          on_done: Callable[[int, Step, BaseException | None], None] = lambda index, step, error: None,
          workers: int = graph.WORKERS) -> None:
    hearing = threading.Lock()

    def run(index: int) -> None:
        step = steps[index]
        with hearing:
            on_step(index, step)
        kind = BY_NAME[step.kind]
        if step.action == "delete":
            kind.delete(aws, step)
        else:
            kind.apply(aws, step, want)

    aws.stopping.clear()
    graph.execute(len(steps), graph.needs(steps, KINDS), run, workers=workers, stopping=aws.stopping,
                  report=lambda index, error: on_done(index, steps[index], error))


def teardown(aws: Aws, steps: list[Step],
             on_step: Callable[[int, Step], None] = lambda index, step: None) -> list[Done]:
    """Delete step after step; each comes back as Done, saying what was done (a kind's delete may
    say it itself, e.g. the bucket: emptied of this stage's objects, or deleted)."""
    done = []
    for index, step in enumerate(steps):
        on_step(index, step)
        said = BY_NAME[step.kind].delete(aws, step)
        done.append(Done(step.kind, step.name, step.action, step.reason, step.detail,
                         said or f"deleted {step.kind}: {step.name}"))
    return done
