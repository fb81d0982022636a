"""Applying a plan as a dependency graph: independent steps run side by side.

Against AWS a deploy is mostly waiting for answers (50-150 ms a call), and most of a stage's
resources do not need each other: the log group, the task queues and the workflows' roles need
nothing; the function needs its role, its log group and (for big bundles) the bucket; the fronts,
schedules and event sources need the function's alias. So a step starts as soon as the steps it
waits for are done, up to WORKERS at a time.

What a step waits for comes from one place, its resource kind's module:

    AFTER = ("function",)   # this kind's steps start once every step of these kinds is done

and, always, the step before it of the same kind (a kind's steps run in plan order, as its plan
lists them: the function's create, publish, then async settings). A kind without AFTER keeps the
order of the sequential executor this replaced: it waits for every kind before it in KINDS, and
every kind after it waits for it (whatever that kind declares, since it was written without
knowing it). So a new kind is correct before it is fast; declaring its AFTER (and adding it to the
AFTER of the kinds that need it) makes it fast. AFTER may name only kinds before it in KINDS, so
the plan's order is always an order the graph allows, and the graph has no cycle.

The guarantees of the sequential executor hold:
- the plan comes first, and is printed whole before anything runs;
- progress is reported in plan order (a step is reported once it and every step before it in the
  plan have finished; after a failure, every finished step, still in plan order), so the output
  is the same whatever finishes first;
- the first failure stops the deploy: no new step starts; steps already running finish (an AWS call
  is never cut half-way; waits and retries end early, see Aws.pause); that failure is raised as it
  was, and the steps that finished are reported;
- each step re-reads AWS, so a deploy interrupted anywhere (Ctrl-C, a failure, a lost machine)
  converges when run again, whichever subset of the steps had finished.
"""

from __future__ import annotations

import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from types import ModuleType
from typing import Callable, Sequence

from .steps import Step

WORKERS = 6  # like the plan's readers: hides latency, stays under Lambda's 15 req/s control plane


class GraphError(Exception):
    """A resource kind declares an order the executor cannot follow (a mistake in lz itself)."""


def waits_for(kinds: Sequence[ModuleType]) -> dict[str, frozenset[str]]:
    """{kind: the kinds its steps wait for}, from each module's AFTER; a kind that declares none
    waits for all kinds before it and is waited for by all kinds after it."""
    names = [kind.KIND for kind in kinds]
    undeclared = {kind.KIND for kind in kinds if getattr(kind, "AFTER", None) is None}
    out: dict[str, frozenset[str]] = {}
    for position, kind in enumerate(kinds):
        after = getattr(kind, "AFTER", None)
        if after is None:
            out[kind.KIND] = frozenset(names[:position])
            continue
        wrong = [name for name in after if name not in names[:position]]
        if wrong:
            raise GraphError(f"resource kind {kind.KIND} waits for {', '.join(wrong)}, which "
                             "do not come before it in KINDS (lz/cli/deploy/resources/__init__.py)")
        out[kind.KIND] = frozenset(after) | (undeclared & set(names[:position]))
    return out


def needs(steps: Sequence[Step], kinds: Sequence[ModuleType]) -> list[frozenset[int]]:
    """For each step, the indices of the steps it waits for (always earlier ones)."""
    after = waits_for(kinds)
    out = []
    for index, step in enumerate(steps):
        wanted = after.get(step.kind, frozenset(s.kind for s in steps[:index]))
        same = [j for j in range(index) if steps[j].kind == step.kind]
        out.append(frozenset([j for j in range(index) if steps[j].kind in wanted] + same[-1:]))
    return out


def execute(count: int, needs: Sequence[frozenset[int]], work: Callable[[int], None], *,
            report: Callable[[int, BaseException | None], None] = lambda index, error: None,
            stopping: threading.Event | None = None, workers: int = WORKERS) -> None:
    """Run work(0..count-1), each once the indices in its `needs` are done, up to `workers` at a
    time, lowest index first among those ready. `report(index, error)` hears of each step that
    finished (error None) or failed, in index order, on this thread. The first failure (or Ctrl-C
    here) sets `stopping`, starts nothing more, lets the running steps finish, and is raised."""
    stopping = stopping or threading.Event()
    waiting = list(range(count))
    running: dict[Future, int] = {}
    outcome: dict[int, BaseException | None] = {}  # finished steps: None, or what they raised
    failure: list[BaseException] = []
    told = 0

    def collect(future: Future) -> None:
        index = running.pop(future)
        if future.cancelled():  # queued, never started
            return
        outcome[index] = error = future.exception()
        if error is not None and not failure:
            failure.append(error)
            stop()

    def stop() -> None:
        stopping.set()
        for queued in running:
            queued.cancel()  # only those no thread has picked up yet

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="lz-apply")
    try:
        while True:
            if not failure:
                done = {i for i, error in outcome.items() if error is None}
                for index in [i for i in waiting if needs[i] <= done][:max(0, workers - len(running))]:
                    waiting.remove(index)
                    running[pool.submit(work, index)] = index
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=running.__getitem__):
                collect(future)
            while told < count and told in outcome and not failure:
                told += 1
                report(told - 1, outcome[told - 1])
    except BaseException:  # Ctrl-C or SIGTERM while this thread waited or reported
        stop()
        raise
    finally:
        wait(running)  # the steps already running finish; none starts
        for future in list(running):
            collect(future)
        pool.shutdown(wait=True)
        for index in range(told, count):  # after a failure: what finished, still in plan order
            if index in outcome and not _stopped(outcome[index], failure):
                report(index, outcome[index])
    if failure:
        raise failure[0]


def _stopped(error: BaseException | None, failure: list[BaseException]) -> bool:
    """A step that only ended because the deploy was stopping (not the failure itself)."""
    from ..aws import Stopped

    return isinstance(error, Stopped) and error not in failure
