"""Fault injection for deploys: a deploy stopped as each of its steps starts, resumed by the next.

The state a stopped deploy leaves is whatever its finished steps made. Rather than rebuilding each
such state from an empty account (a reset and a partial deploy per step, then a full deploy and a
check: a dozen deploys per stopping point), the chain walks through all of them in one pass: each
deploy is stopped as its second step starts (its first one done, and whatever the graph had
already started beside it), and the next deploy must plan exactly the steps that were not done.
Every prefix of the plan is so reached, each by deploys that were themselves interrupted, and the
chain ends with a deploy that plans nothing. One pass costs about one deploy per step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


class Interrupted(Exception):
    """Raised in place of a step, as a Ctrl-C or a crash would stop the deploy."""


def key(step: Any) -> tuple:
    """What a step is, apart from its wording: kind, name, action and which part of the resource."""
    return (step.kind, step.name, step.action, step.detail.get("part"))


@dataclass
class Link:
    """One deploy of the chain: what it planned and which of those steps it finished."""

    planned: list[Any]
    done: list[int] = field(default_factory=list)


def chain(run: Callable[..., Any], stop_at: int = 1, limit: int = 80) -> list[Link]:
    """Deploy again and again until a deploy plans nothing; each one that plans more than
    `stop_at` steps is stopped as step `stop_at` starts (the first deploy at `stop_at`, later
    ones at 1). `run(show_plan=, on_step=, on_done=)` runs one deploy. Each plan must be the
    previous plan without the steps it finished, in the same order; each deploy stopped after
    step 0 must have done at least one step. The links, the last one with an empty plan."""
    links: list[Link] = []
    while True:
        link = Link([])
        links.append(link)
        assert len(links) <= limit, "the deploys do not converge"
        stop = stop_at if len(links) == 1 else 1

        def fail(index: int, step: Any, stop: int = stop) -> None:
            if index == stop:
                raise Interrupted(step)

        def finished(index: int, step: Any, error: BaseException | None, link: Link = link) -> None:
            if error is None:
                link.done.append(index)

        try:
            run(show_plan=lambda steps, link=link: link.planned.extend(steps), on_step=fail, on_done=finished)
        except Interrupted:
            assert stop not in link.done and len(link.done) >= min(stop, 1), (len(links), link.done)
        else:
            assert len(link.planned) <= stop, [s.as_dict() for s in link.planned]
        if len(links) > 1:
            before = links[-2]
            left = [key(s) for i, s in enumerate(before.planned) if i not in before.done]
            assert [key(s) for s in link.planned] == left, (len(links), left, link.planned)
        if not link.planned:
            return links
