"""lz: put a Python web app on AWS Lambda.

    from lz import adapt
    handler = adapt(app)

This package's top level and lz.adapter are the runtime that ships inside every bundle: standard
library only, imported lazily. The CLI lives in lz.cli and never ships.
"""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any

__all__ = ["StepFailed", "TaskError", "WorkflowError", "adapt", "auth", "command", "on_s3", "on_sns", "on_sqs",
           "parallel", "schedule", "task", "wait", "workflow"]
__version__ = "0.1.0"
_TASKS = ("task", "schedule", "command", "on_s3", "on_sqs", "on_sns", "TaskError")
_WORKFLOWS = ("workflow", "parallel", "wait", "WorkflowError", "StepFailed")


def __getattr__(name: str) -> Any:
    if name == "adapt":
        from .adapter import adapt

        return adapt
    if name == "auth":  # lz.auth.claims(environ_or_scope), lz.auth.caller(...): lz/adapter/auth.py
        from .adapter import auth

        return auth
    if name in _TASKS:
        from . import tasks

        return getattr(tasks, name)
    if name in _WORKFLOWS:
        import importlib

        # not `from .tasks import workflow`: that would be the module, not the decorator
        return getattr(importlib.import_module("lz.tasks.workflow"), name)
    raise AttributeError(f"module 'lz' has no attribute {name!r}")
