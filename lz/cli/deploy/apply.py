"""Carrying out a plan, step after step; `on_step` hears of each step before it runs (progress in
the CLI; fault injection in the tests)."""

from __future__ import annotations

from typing import Callable

from ..aws import Aws
from .models import Desired
from .resources import BY_NAME
from .steps import Done, Step


def apply(aws: Aws, steps: list[Step], want: Desired,
          on_step: Callable[[int, Step], None] = lambda index, step: None) -> None:
    for index, step in enumerate(steps):
        on_step(index, step)
        kind = BY_NAME[step.kind]
        if step.action == "delete":
            kind.delete(aws, step)
        else:
            kind.apply(aws, step, want)


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
