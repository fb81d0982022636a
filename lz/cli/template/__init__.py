"""`lz template`: the stage as a CloudFormation (or SAM) template, generated from the desired
model that lz's own engine deploys (deploy/models.py), never written per stage.

EMITTERS is the one table of what goes in: one module per resource kind, each with

    KIND: str                        a name for messages
    emit(t: base.Template) -> None   add its resources, parameters, outputs and notes

reading only `t.want` (the desired model, with the pseudo parameters for account and region) and
the functions lz's engine uses to compute the same resources (deploy/policy.py for the role's
statements, task_queue.wanted, schedules.desired_rules, ...). A feature that adds a resource kind to
the model adds its emitter here too, in apply order; a kind a template cannot express adds a note
saying what is left out and how lz handles it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import front, frontdoor, function, operations, queues, sources, static, workflows
from .base import ACCOUNT, FORMATS, REGION, Note, Template

EMITTERS = (function, queues, front, frontdoor, static, sources, workflows, operations)


class TemplateError(Exception):
    """The stage cannot be written as a template; the message says why and what to do."""


@dataclass(frozen=True)
class Code:
    """Where the template takes the function's code from: a local zip (`sam deploy` and
    `aws cloudformation package` upload it), or an object in lz's code bucket, as the parameters
    CodeS3Bucket and CodeS3Key (their defaults: where `--upload` or the engine put it)."""

    path: str | None = None
    bucket: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class Rendered:
    document: dict
    notes: list[Note]

    def text(self) -> str:
        return json.dumps(self.document, indent=2, sort_keys=False) + "\n"


def desired_for_template(stage, zip_path: Path, handler: str):
    """The desired model of `stage` with the pseudo parameters in place of account and region."""
    from ..deploy import limits
    from ..deploy.models import desired

    want = desired(stage, REGION, ACCOUNT, zip_path, handler)
    if want.secrets:  # the role's statements for them, by name (deploy/secrets.py)
        from dataclasses import replace

        from ..deploy.secrets import template_statements

        want = replace(want, secret_grants=template_statements(want))
    limits.check(want)
    return want


def render(want, code: Code, fmt: str = "cloudformation") -> Rendered:
    """The template of `want` in format `fmt` (cloudformation or sam)."""
    if fmt not in FORMATS:
        raise TemplateError(f"unknown template format {fmt!r}: use one of {', '.join(FORMATS)}")
    parameters: dict = {}
    t = Template(want=want, fmt=fmt, code=_code(code, parameters))
    t.parameters.update(parameters)
    for emitter in EMITTERS:
        emitter.emit(t)
    if fmt == "sam":
        from .sam import to_sam

        t.resources = to_sam(t.resources)
    return Rendered(t.render(), list(t.notes))


def _code(code: Code, parameters: dict) -> dict | str:
    if code.path is not None:
        return code.path
    parameters["CodeS3Bucket"] = {"Type": "String", "Default": code.bucket,
                                  "Description": "The bucket holding the function's zip"}
    parameters["CodeS3Key"] = {"Type": "String", "Default": code.key,
                               "Description": "The function's zip in that bucket"}
    return {"S3Bucket": {"Ref": "CodeS3Bucket"}, "S3Key": {"Ref": "CodeS3Key"}}
