"""Each compiled construct run as Python and as its state machine (moto's engine calling the built
bundle): the same output or the same failure, and the one the construct should give."""

from __future__ import annotations

import pytest

from tests.workflow.engine import Outcome

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("workflow-engine")]


def same(pair: tuple[Outcome, Outcome], expected: Outcome) -> None:
    as_python, as_machine = pair
    assert as_python == expected, f"as Python: {as_python}"
    assert as_machine == expected, f"as a state machine: {as_machine}"


def ok(value):
    return Outcome("ok", value)


def error(name, cause):
    return Outcome("error", error=name, cause=cause)


def test_task_results_names_literals_and_subscripts_as_arguments(both) -> None:
    same(both("arguments", 1), ok({
        "both": {"total": 3, "inputs": [1, 2], "label": "sum", "sizes": [16, 32], "none": None},
        "first": 1, "named": [3, "sum"], "greeting": "hello"}))
    same(both("arguments", 5, b=-1, label="it's"), ok({
        "both": {"total": 4, "inputs": [5, -1], "label": "it's", "sizes": [16, 32], "none": None},
        "first": 5, "named": [4, "it's"], "greeting": "hello"}))


def test_pass_states_compute_arithmetic_fstrings_len_and_displays(both) -> None:
    same(both("computed", 5, "bob", ["a", "b"]), ok({
        "message": "hello bob: 13 steps, it's {odd} \\ 2 items, True",
        "listed": [5, "bob", 13, [1, "two"]],
        "mapping": {"n": 5, "nested": {"size": 2, "label": "#5"}, "plain": [1, 2]},
        "picked": "b", "joined": "bob!"}))


def test_an_early_return_inside_a_branch(both) -> None:
    same(both("early", 11), ok("big"))
    same(both("early", 7), ok("medium 14"))
    same(both("early", 3), ok(["small", 6]))


@pytest.mark.parametrize("args, expected", [
    ((3, 4, "img/a.png", ["a", "b"], False), {"a": "v==3", "b": True, "c": "falsy flag, items", "d": "image",
                                              "e": "long, known first", "f": "different", "g": "1..5 odd",
                                              "h": "not member"}),
    ((7, 7, None, [], True), {"a": "else", "b": True, "c": "flag", "d": "other", "e": "empty", "f": "same",
                              "g": "no", "h": "not member"}),
    ((2, 1, "img/a.gif", [2, 9], 0), {"a": "v!=w,v<10", "b": False, "c": "falsy flag, items", "d": "other",
                                      "e": "some", "f": "different", "g": "no", "h": "member"}),
    ((12, "12", None, ["z", "y", "x"], ""), {"a": "else", "b": True, "c": "falsy flag, items", "d": "other",
                                             "e": "some", "f": "different", "g": "no", "h": "not member"}),
    ((1, 1.0, "img/b.jpg", [[1], {}], [0]), {"a": "else", "b": True, "c": "flag", "d": "image", "e": "some",
                                             "f": "same", "g": "1..5 odd", "h": "not member"}),
    ((0, 0, "", [], 0.0), {"a": "else", "b": True, "c": "neither", "d": "other", "e": "empty", "f": "same",
                           "g": "no", "h": "not member"}),
    ((0, 0, "", [1], {}), {"a": "else", "b": True, "c": "falsy flag, items", "d": "other", "e": "some",
                           "f": "same", "g": "no", "h": "not member"}),
])
def test_choice_rules_compare_test_and_combine_like_python(both, args, expected) -> None:
    same(both("conditions", *args), ok(expected))


def test_a_while_loop_with_continue_and_break(both) -> None:
    same(both("counting", 4), ok({"i": 4, "total": 8}))
    same(both("counting", 10), ok({"i": 7, "total": 26}))
    same(both("counting", 0), ok({"i": 0, "total": 0}))


def test_maps_over_empty_short_and_fifty_item_lists_keep_the_order(both) -> None:
    same(both("fan_out", [], 8), ok({"thumbs": [], "labels": [], "count": 0}))
    same(both("fan_out", ["a", "b"], 8), ok({"thumbs": ["a@8", "b@8"], "labels": ["a-8", "b-8"], "count": 2}))
    keys = [f"k{i}" for i in range(50)]
    same(both("fan_out", keys, 1), ok({"thumbs": [f"{k}@1" for k in keys], "labels": [f"{k}-1" for k in keys],
                                       "count": 50}))


def test_a_failing_iteration_fails_the_map_with_its_error(both) -> None:
    same(both("fan_out", ["a", "nobody"], 8), error("LookupError", "no one to notify"))


def test_parallel_unpacked_whole_and_as_a_statement(both) -> None:
    same(both("branches", 4), ok({"doubled": 8, "shouted": "HI", "whole": [4, [4, 1]]}))


def test_wait_states(both) -> None:
    same(both("pauses", 1), ok("done"))


def test_raise_workflow_error_is_a_fail_state_with_its_message(both) -> None:
    same(both("refuses", "none"), ok("fine"))
    same(both("refuses", "plain"), error("WorkflowError", "refused"))
    same(both("refuses", "no stock"), error("WorkflowError", "refused: no stock"))


@pytest.mark.parametrize("kind, expected", [
    ("payment", {"caught": "payment", "cause": "payment went wrong"}),
    ("card", {"caught": "payment", "cause": "card went wrong"}),  # a subclass, caught by its base's handler
    ("key", {"caught": "key", "error": "KeyError", "cause": "'key went wrong'"}),
    ("value", {"caught": "task", "error": "ValueError", "cause": "value went wrong"}),
    ("lookup", {"caught": "task", "error": "LookupError", "cause": "lookup went wrong"}),  # KeyError's base
])
def test_except_clauses_catch_what_python_catches(both, kind, expected) -> None:
    same(both("catching", kind), ok(expected))


@pytest.mark.parametrize("kind, status", [
    ("none", "no error"), ("key", "inner caught"), ("value", "outer caught ValueError")])
def test_nested_try_else_and_a_raise_caught_in_place(both, kind, status) -> None:
    same(both("nested_try", kind), ok([status, ["WorkflowError", f"stop {kind}"]]))


def test_an_uncaught_task_failure_fails_the_run_with_the_task_error(both) -> None:
    same(both("uncaught", "value"), error("ValueError", "nobody catches this"))
    same(both("uncaught", "card"), error("CardExpired", "nobody catches this"))


def test_task_retries_become_a_retry(both, tmp_path) -> None:
    same(both("retrying", str(tmp_path / "twice"), 2), ok(3))  # fails twice, the third attempt runs
    same(both("retrying", str(tmp_path / "always"), 5), error("ConnectionError", "attempt 3 failed"))


def test_a_task_timeout_is_task_timeout_caught_or_not(both) -> None:
    same(both("timing_out", 0), ok("finished"))
    same(both("timing_out", 5), ok("TaskTimeout"))
    same(both("timing_out_uncaught", 5), error("TaskTimeout", "task wfdemo.tasks.slow ran longer than its "
                                                              "timeout of 1 s"))


def test_a_result_over_256_kib_is_refused_at_the_task_naming_workflow_task_and_size(both) -> None:
    """Step Functions caps a state's input and output at 256 KiB ("Step Functions service quotas",
    https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html: maximum input or output size for a task, state, or execution, 262,144 bytes of UTF-8) and
    fails with States.DataLimitExceeded, which States.ALL does not catch ("Handling errors in Step
    Functions workflows", https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). The step refuses the result first, saying why."""
    same(both("too_big", 1000), ok("x" * 1000))
    message = ("task wfdemo.tasks.big returned 300,002 bytes to workflow wfdemo.flows.too_big: a Step "
               "Functions state holds at most 262,144 bytes (256 KiB); store the data in S3 (or the task "
               "bucket) and return its key")
    same(both("too_big", 300_000), error("TaskError", message))


def test_computed_values_in_conditions_and_str(both) -> None:
    same(both("measures", [1, 2], ["a", "b"]), ok(["some", "same length", "True", "2", "None"]))
    same(both("measures", [], [0]), ok(["none", "lengths differ", "True", "0", "None"]))
