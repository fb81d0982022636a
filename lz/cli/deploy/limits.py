"""Documented AWS limits a stage's settings and code can break, checked before anything is written.

AWS would refuse each of these half-way through a deploy (or, for a batch size, when the mapping is
created), with an error that names the API field rather than the setting; lz says which setting or
decorator is at fault and what to do instead, before the first call that changes anything.

- Lambda environment: 4 KB for all variables together ("Lambda quotas",
  https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). Lambda measures the
  variables as one JSON object (its error quotes the "String measured"); lz measures the same
  compact JSON, in UTF-8 bytes, lz's own LZ_* variables included.
- EventBridge target Input: valid JSON text of at most 8,192 characters (EventBridge API reference,
  "Target", https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html).
- SQS event source mapping BatchSize: at most 10 unless a batching window is set, which lz does
  not set ("CreateEventSourceMapping",
  https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html).
- An exec wrapper (AWS_LAMBDA_EXEC_WRAPPER, set for a streaming stage) must be in the code and
  executable, or the runtime does not start ("Modifying the runtime environment",
  https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html): a bundle without lz's loop
  and its wrapper is refused before a stage is switched to it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..aws import AwsError

if TYPE_CHECKING:
    from pathlib import Path

    from .models import Desired

ENVIRONMENT_BYTES = 4 * 1024
TARGET_INPUT_CHARS = 8192
SQS_BATCH_WITHOUT_WINDOW = 10


class LimitError(AwsError):
    """The stage would break a documented AWS limit; nothing was changed in AWS."""


def environment_size(variables: dict[str, str]) -> int:
    return len(json.dumps(variables, separators=(",", ":"), ensure_ascii=False).encode())


def problems(want: Desired) -> list[str]:
    """Every limit the stage breaks, one sentence each (empty: none)."""
    from .resources.schedules import desired_rules

    found = []
    variables = want.function_environment
    size = environment_size(variables)
    if size > ENVIRONMENT_BYTES:
        biggest = sorted(variables, key=lambda k: len(k) + len(variables[k].encode()), reverse=True)[:3]
        found.append(
            f"the function's environment is {size:,} bytes (as Lambda measures it: all variables as "
            f"one JSON object), over Lambda's 4 KB limit for all variables together; the largest: "
            f"{', '.join(f'{k} ({len(variables[k].encode()):,} bytes)' for k in biggest)}. Keep big "
            "values out of `environment` (put them in SSM Parameter Store, Secrets Manager or S3 and "
            "read them at start-up)")
    for rule in desired_rules(want).values():
        if len(rule["input"]) > TARGET_INPUT_CHARS:
            found.append(
                f"the schedule of {rule['function']} ({rule['expression']}) has an input of "
                f"{len(rule['input']):,} characters as JSON, over EventBridge's limit of 8,192 for a "
                "target's Input; pass something small (a key, an id) and read the data from "
                "S3 or a database in the function")
    if want.stream:
        missing = missing_loop(want.zip_path)
        if missing:
            found.append(
                f'"stream": true runs lz\'s runtime loop through the exec wrapper the bundle ships, and '
                f"{want.zip_path.name} {missing}: build it with this version of lz (lz package), "
                'or set "stream": false')
    for source in want.sources_of("sqs"):
        if not 1 <= source.batch_size <= SQS_BATCH_WITHOUT_WINDOW:
            where = f" ({source.origin})" if source.origin else ""
            found.append(
                f"@on_sqs(queue={source.target!r}){where} has batch_size={source.batch_size}: Lambda "
                f"takes 1 to {SQS_BATCH_WITHOUT_WINDOW} messages per batch from a queue without a "
                "batching window; use batch_size between 1 and 10")
    return found


def missing_loop(zip_path: Path) -> str | None:
    """What the bundle lacks for lz's loop (None: nothing): the wrapper, its exec bit, the loop."""
    import stat
    import zipfile

    from lz.runtime import wrapper

    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
        if "lz/runtime/bootstrap.py" not in names:
            return "has no lz/runtime/ (lz's runtime loop)"
        if wrapper.ARCNAME not in names:
            return f"has no {wrapper.ARCNAME}"
        if not (zf.getinfo(wrapper.ARCNAME).external_attr >> 16) & stat.S_IXUSR:
            return f"has {wrapper.ARCNAME} without its executable bit"
    return None


def check(want: Desired) -> None:
    """Raise LimitError naming every broken limit, before any change is made."""
    found = problems(want)
    if found:
        head = f"stage {want.stage} cannot be deployed as it is (nothing was changed in AWS):"
        raise LimitError("\n".join([head] + [f"  - {line}" for line in found]))
