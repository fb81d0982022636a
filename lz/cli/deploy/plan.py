"""A plan is a list of steps, each plain data: which resource, what action, and why. It can be
printed (and is, before anything runs), compared, and executed by apply.py."""

from __future__ import annotations

from ..aws import Aws
from .models import Desired
from .resources import KINDS
from .steps import Step

__all__ = ["Step", "make_plan", "teardown_plan"]


def make_plan(aws: Aws, want: Desired) -> list[Step]:
    """Read each resource kind's current state and list what must change, in apply order."""
    steps: list[Step] = []
    for kind in KINDS:
        steps.extend(kind.plan(aws, want))
    return steps


def teardown_plan(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    """Every resource of the stage that exists, in deletion order."""
    steps: list[Step] = []
    for kind in reversed(KINDS):
        steps.extend(kind.teardown(aws, project, stage, region))
    return steps
