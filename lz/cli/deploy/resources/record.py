"""The first step of a deploy that adds an optional feature to a stage whose features are recorded:
the record (the function's tag lz:features, features.py) grows before anything of the feature is
made, so that a deploy stopped at any later point leaves a record naming all that exists. Every
kind of a feature waits for this one."""

from __future__ import annotations

from ...aws import Aws
from ..models import Desired
from ..steps import Step
from . import features

KIND = "record"
AFTER = ()  # the function exists (there is a record only on an existing function)


def plan(aws: Aws, want: Desired) -> list[Step]:
    """None when nothing is recorded (then every kind reads anyway, until the last step records)
    or nothing new is asked for."""
    found = features.recorded(aws, want)
    asked = features.wanted(want)
    if found is None or asked <= found:
        return []
    return [Step(KIND, want.name, "update", f"the stage's new features: {features.value(asked - found)}",
                 {"value": features.value(found | asked)})]


def apply(aws: Aws, step: Step, want: Desired) -> None:
    features.tag(aws, want, step.detail["value"])


def teardown(aws: Aws, project: str, stage: str, region: str) -> list[Step]:
    return []  # the record goes with the function


def delete(aws: Aws, step: Step) -> None:
    return None
