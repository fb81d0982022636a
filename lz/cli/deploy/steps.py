"""The unit of a plan."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Step:
    kind: str  # resource kind: role, logs, function, url, http_api
    name: str  # the resource, as the user knows it
    action: str  # create | update | delete | publish | point
    reason: str  # why this step is needed
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Done(Step):
    """A step carried out, with what was done in words (`lz undeploy` prints it)."""

    said: str = ""
