"""Whole workflows (as an app writes them: tasks, maps, parallel branches, loops, waits, caught and
uncaught failures, retries) run as Python and as their compiled state machines on the same inputs."""

from __future__ import annotations

import json

import pytest

from tests.workflow.test_differential import error, ok, same

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("workflow-engine")]


def test_process_upload_maps_branches_catches_and_waits(both) -> None:
    same(both("process_upload", "cat.jpg", [64, 128]), ok({
        "key": "cat.png", "thumbs": ["cat.png@64", "cat.png@128"], "audit": "audited cat.png",
        "notified": "notified ops"}))


def test_process_upload_with_no_sizes_and_a_failing_branch_caught(both) -> None:
    same(both("process_upload", "dog.gif", [], recipient="nobody"), ok({
        "key": "dog.png", "thumbs": [], "audit": "reported: no one to notify", "notified": None}))


def test_process_upload_with_fifty_sizes(both) -> None:
    sizes = list(range(1, 51))
    same(both("process_upload", "big.tif", sizes), ok({
        "key": "big.png", "thumbs": [f"big.png@{s}" for s in sizes], "audit": "audited big.png",
        "notified": "notified ops"}))


def test_process_upload_fails_after_the_retries_of_resize(both) -> None:
    same(both("process_upload", "broken.jpg", [1]), error("ValueError", "cannot read broken.jpg"))


@pytest.mark.parametrize("amount, receipt", [
    (30, {"order": "o1", "charged": 30}),
    (300, {"order": "o1", "declined": "card for o1 expired"}),   # CardExpired, caught as PaymentDeclined
    (-5, {"order": "o1", "declined": "negative amount for o1"}),
])
def test_place_order_polls_then_charges(both, amount, receipt) -> None:
    same(both("place_order", "o1", ["tea", "cups"], amount), ok({
        "order": "o1", "reserved": [{"item": "tea", "left": 3}, {"item": "cups", "left": 4}], "attempts": 3,
        "receipt": receipt}))


def test_place_order_failures_uncaught_and_raised(both) -> None:
    same(both("place_order", "o2", [], 10), error("WorkflowError", "order o2 has no items"))
    same(both("place_order", "o3", ["pen"], "ten", ready_at=1),
         error("TypeError", "'>' not supported between instances of 'str' and 'int'"))


def test_nightly_sums_in_a_loop_and_archives_in_a_map(both) -> None:
    batches = [{"name": f"b{i}", "items": list(range(i))} for i in range(1, 6)]
    same(both("nightly", batches, 100), ok({"summary": "5 batches, 15 items", "sizes": [1, 2, 3, 4, 5],
                                            "archived": True}))
    same(both("nightly", [], 100), ok({"summary": "0 batches, 0 items", "sizes": [], "archived": True}))
    same(both("nightly", batches, 10), error("WorkflowError", "batch too large: 15 > 10"))
    batches[2]["name"] = "corrupt"
    same(both("nightly", batches, 100), ok({"summary": "5 batches, 15 items", "sizes": [1, 2, 3, 4, 5],
                                            "archived": "cannot archive corrupt"}))


def test_a_view_in_the_bundle_starts_an_execution_that_runs_to_its_end(engine, compiled, workflows) -> None:
    """On Lambda, `.start()` starts an execution of <function>-<workflow> (the name the deploy gives
    the machine); the execution's tasks run in the same bundle."""
    from lz.cli.workflow import machine_name
    from tests.builders import make
    from tests.workflow.engine import FUNCTION, python_outcome

    engine.create(compiled["fan_out"], name=machine_name(FUNCTION, "fan_out"))
    answered = engine.invoke(make("http_v2", method="POST", path="/start"))
    assert answered.ok and answered.result["statusCode"] == 202, answered.log
    arn = json.loads(answered.result["body"])["execution"]
    assert arn.startswith(f"arn:aws:states:us-east-1:123456789012:execution:{FUNCTION}-fan_out:")
    assert engine.outcome(arn) == python_outcome(workflows["fan_out"], ["a", "b"], 64) == ok(
        {"thumbs": ["a@64", "b@64"], "labels": ["a-64", "b-64"], "count": 2})
