"""The deploy executor's graph (lz/cli/deploy/graph.py) with plain functions for steps: what waits for
what, progress in plan order, the first failure stopping what needs it. Interleavings are forced
with events, never with sleeps or clocks."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from lz.cli.deploy import graph
from lz.cli.deploy.steps import Step

LONG = 30  # seconds an event may take in a test that works (a broken one fails, not hangs)


def kinds(**after):
    """Fake resource kind modules, in the order given: name=AFTER tuple, or None for no AFTER."""
    out = []
    for name, declared in after.items():
        kind = SimpleNamespace(KIND=name)
        if declared is not None:
            kind.AFTER = declared
        out.append(kind)
    return out


def steps(*spec: str) -> list[Step]:
    return [Step(kind, f"{kind}-{i}", "create", "test") for i, kind in enumerate(spec)]


def test_a_step_waits_for_the_kinds_it_declares_and_the_step_before_it_of_its_own_kind() -> None:
    order = kinds(role=(), logs=(), function=("role", "logs"), api=("function",), queue=())
    plan = steps("role", "role", "logs", "function", "function", "api", "queue")
    assert graph.needs(plan, order) == [
        frozenset(), {0}, frozenset(), {0, 1, 2}, {0, 1, 2, 3}, {3, 4}, frozenset()]


def test_a_kind_without_after_runs_in_sequence_with_the_others_as_the_sequential_executor_did() -> None:
    """A kind added without AFTER (another change added it to KINDS) waits for every kind before
    it, and every kind after it waits for it, even one that declares AFTER (written without
    knowing the newcomer, it may need it)."""
    order = kinds(role=(), logs=(), newcomer=None, api=(), queue=("role",))
    plan = steps("role", "logs", "newcomer", "newcomer", "api", "queue")
    assert graph.needs(plan, order)[2:] == [{0, 1}, {0, 1, 2}, {2, 3}, {0, 2, 3}]


def test_after_may_name_only_kinds_before_it() -> None:
    with pytest.raises(graph.GraphError, match="role waits for function, which do not come before it"):
        graph.waits_for(kinds(role=("function",), function=()))
    with pytest.raises(graph.GraphError, match="waits for nope"):
        graph.waits_for(kinds(role=("nope",)))


def test_lz_s_own_kinds_make_a_graph_with_the_function_after_its_role_and_the_fronts_after_it() -> None:
    from lz.cli.deploy.resources import KINDS

    after = graph.waits_for(KINDS)
    assert {"role", "logs", "static"} <= after["function"]  # static: files up before new code links them
    for front in ("url", "http_api", "rest_api", "schedules", "s3", "sqs", "sns", "workflow"):
        assert "function" in after[front], front
    assert after["sqs"] >= {"task_queue"} and after["workflow"] >= {"workflow_role"}


def test_nothing_starts_before_what_it_needs_is_done() -> None:
    needs = [frozenset(), frozenset(), {0}, {0, 1}, {2}, frozenset(), {3, 4, 5}, {1}]
    lock = threading.Lock()
    finished: set[int] = set()
    broken: list[tuple[int, set[int]]] = []

    def work(index: int) -> None:
        with lock:
            if not needs[index] <= finished:
                broken.append((index, set(finished)))
        with lock:
            finished.add(index)

    graph.execute(len(needs), needs, work, workers=4)
    assert broken == [] and finished == set(range(len(needs)))


def test_progress_is_reported_in_plan_order_whatever_finishes_first() -> None:
    """Three independent steps finish last-first (each waits for the one after it); the report
    still says 0, 1, 2, all on the calling thread."""
    gates = [threading.Event() for _ in range(3)]
    finish_order: list[int] = []
    reported: list[tuple[int, object, bool]] = []

    def work(index: int) -> None:
        if index < 2:
            assert gates[index + 1].wait(LONG)
        finish_order.append(index)
        gates[index].set()

    graph.execute(3, [frozenset()] * 3, work, workers=3,
                  report=lambda i, error: reported.append((i, error, threading.current_thread() is threading.main_thread())))
    assert finish_order == [2, 1, 0]
    assert reported == [(0, None, True), (1, None, True), (2, None, True)]


def test_a_failing_step_stops_its_dependants_lets_running_steps_finish_and_raises_its_error() -> None:
    """Step 0 fails while step 1 (independent) is running; step 2 needs 0, step 3 needs 1: neither
    starts. Step 1 finishes after the failure and is reported; the error is step 0's, unchanged."""
    running, failing = threading.Event(), threading.Event()
    ran: list[int] = []
    reported: list[tuple[int, str | None]] = []

    class Broken(Exception):
        pass

    def work(index: int) -> None:
        ran.append(index)
        if index == 0:
            assert running.wait(LONG)
            failing.set()
            raise Broken("step 0 says why")
        if index == 1:
            running.set()
            assert failing.wait(LONG)

    stopping = threading.Event()
    with pytest.raises(Broken, match="step 0 says why"):
        graph.execute(4, [frozenset(), frozenset(), {0}, {1}], work, workers=2, stopping=stopping,
                      report=lambda i, error: reported.append((i, None if error is None else str(error))))
    assert sorted(ran) == [0, 1] and stopping.is_set()
    assert reported == [(0, "step 0 says why"), (1, None)]


def test_a_step_cut_short_by_the_stop_is_not_reported_as_done_or_as_the_failure() -> None:
    from lz.cli.aws import Stopped

    stopping = threading.Event()
    reported: list[int] = []

    def work(index: int) -> None:
        if index == 0:
            raise RuntimeError("first")
        if stopping.wait(LONG):  # a poll or retry wait: ends when the deploy stops
            raise Stopped("stopped while waiting")

    with pytest.raises(RuntimeError, match="first"):
        graph.execute(2, [frozenset(), frozenset()], work, workers=2, stopping=stopping,
                      report=lambda i, error: reported.append(i))
    assert reported == [0]


def test_an_interrupt_on_the_calling_thread_starts_nothing_more_and_waits_for_running_steps() -> None:
    """Ctrl-C reaches the calling thread (here: raised while it reports step 0); step 2, which
    needed step 0, never starts; step 1, running, ends when told the deploy is stopping."""
    stopping = threading.Event()
    started = threading.Event()
    ran: list[int] = []
    ended: list[int] = []

    def work(index: int) -> None:
        ran.append(index)
        if index == 0:
            assert started.wait(LONG)  # step 1 is running when step 0 is reported
        if index == 1:
            started.set()
            assert stopping.wait(LONG)
        ended.append(index)

    def report(index: int, error) -> None:
        if index == 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        graph.execute(3, [frozenset(), frozenset(), {0}], work, workers=2, stopping=stopping, report=report)
    assert sorted(ran) == [0, 1] and sorted(ended) == [0, 1]


def test_aws_pause_ends_at_once_when_the_command_is_stopping() -> None:
    from lz.cli.aws import Aws, Stopped

    aws = Aws("us-east-1")
    aws.stopping.set()
    with pytest.raises(Stopped):
        aws.pause(LONG)


def test_the_front_door_and_alarms_wait_for_what_they_use_only_and_the_features_record_frames_the_rest() -> None:
    """The front door's kinds and alarms declare AFTER, so a schedule or a workflow no longer waits
    for a certificate; every kind of an optional feature waits for the record of new features
    (record, first), and the record of what is deployed (features, last) for every kind."""
    from lz.cli.deploy.resources import KINDS, features

    after = graph.waits_for(KINDS)
    assert after["access"] >= {"http_api", "rest_api"} and after["domain"] >= {"certificate", "http_api", "rest_api"}
    assert after["distribution"] >= {"url", "certificate"} and after["dns"] >= {"domain", "distribution"}
    assert "function" in after["alarms"] and "certificate" not in after["alarms"]
    for kind in ("schedules", "s3", "sqs", "sns", "workflow"):
        assert not after[kind] & {"access", "certificate", "domain", "distribution", "dns"}, kind
    for kind in ("url", "http_api", "rest_api", "access", "certificate", "domain", "distribution", "dns",
                 "alarms", "task_queue", "sqs", "schedules", "workflow", "workflow_role"):
        assert "record" in after[kind], kind
    assert after["features"] == {k.KIND for k in KINDS} - {features.KIND}
