"""A plan is a list of steps, each plain data: which resource, what action, and why. It can be
printed (and is, before anything runs), compared, and executed by apply.py."""

from __future__ import annotations

from ..aws import Aws
from .models import Desired
from .resources import KINDS
from .steps import Step

__all__ = ["Step", "make_plan", "teardown_plan"]


def make_plan(aws: Aws, want: Desired) -> list[Step]:
    """Read each resource kind's current state and list what must change, in apply order. The
    kinds only read here, each its own resources (shared reads go through aws.read), so they read
    side by side: against AWS a plan is mostly waiting for answers."""
    found = aws.map(lambda kind: kind.plan(aws, want), KINDS, workers=len(KINDS))  # each reads little
    return [step for steps in found for step in steps]


def teardown_plan(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    """Every resource of the stage that exists, in deletion order."""
    found = aws.map(lambda kind: kind.teardown(aws, project, stage, region), list(reversed(KINDS)))
    return [step for steps in found for step in steps]
