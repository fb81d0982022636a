"""What the compiler writes: JSONPath ASL that AWS accepts, with the options the decorators give,
and the three things the deploy engine needs per workflow (name, ASL with ${FunctionArn}, tasks)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from lz.cli.registry import Source, WorkflowDecl, declarations, scan
from lz.cli.workflow import CompileError, compile_project, machine_name, machines, resolve
from lz.cli.workflow.graph import validate
from tests.workflow.conftest import PROJECT, project_files


def all_states(machine: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in machine["States"].items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from all_states(branch)
        if "ItemProcessor" in state:
            yield from all_states(state["ItemProcessor"])


def test_every_demo_workflow_compiles_to_valid_jsonpath_asl(compiled) -> None:
    """State names: unique in the whole machine, at most 80 characters, no white space, brackets,
    wildcards or special characters ("StateEnteredEventDetails", https://docs.aws.amazon.com/step-functions/latest/apireference/API_StateEnteredEventDetails.html: name);
    letters, digits, - and _ only is what CloudWatch logging accepts too."""
    assert len(compiled) >= 19
    for item in compiled.values():
        validate(item.definition)
        names = [name for name, _state in all_states(item.definition)]
        assert len(names) == len(set(names))
        assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,80}", n) for n in names), names
        text = item.asl
        for jsonata in ('"QueryLanguage"', '"Assign"', '"Arguments"', '"Output"', "{%"):
            assert jsonata not in text  # JSONPath only: moto's engine runs JSONata only with a JVM
        for _name, state in all_states(item.definition):
            if state["Type"] == "Task":
                assert state["Resource"] == "${FunctionArn}" and state["Parameters"]["lz"] == "step"
            for field in ("ResultPath",):
                path = state.get(field)
                assert path is None or path == "$" or path.startswith(("$.locals.", "$.lz.")), path


def test_the_compiled_text_is_the_same_for_the_same_code(compiled, demo_project) -> None:
    again = {c.name: c.asl for c in compile_project(project_files(demo_project))}
    assert again == {name: c.asl for name, c in compiled.items()}


def test_task_options_become_retry_and_timeout(compiled) -> None:
    """Every Lambda Task state retries Lambda's transient service errors as AWS recommends ("Handle
    Lambda service exceptions", https://docs.aws.amazon.com/step-functions/latest/dg/
    bp-lambda-serviceexception.html: these errors, 2 s, 6 attempts, backoff 2); a task's
    own `retries` come after, on any error; its `timeout` is one second under TimeoutSeconds, so the
    task's own TaskTimeout (Python's error too) fires first."""
    tasks = {s["Parameters"]["name"].rsplit(".", 1)[1]: s for c in compiled.values()
             for _n, s in all_states(c.definition) if s["Type"] == "Task"}
    transient = {"ErrorEquals": ["Lambda.ClientExecutionTimeoutException", "Lambda.ServiceException",
                                 "Lambda.AWSLambdaException", "Lambda.SdkClientException",
                                 "Lambda.TooManyRequestsException"],
                 "IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": 2.0}
    assert tasks["flaky"]["Retry"] == [transient, {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1,
                                                   "MaxAttempts": 2, "BackoffRate": 2.0}]
    assert tasks["add"]["Retry"] == [transient] and "TimeoutSeconds" not in tasks["add"]
    assert tasks["slow"]["TimeoutSeconds"] == 2


def test_max_concurrency_and_catch_names_reach_the_states(compiled) -> None:
    maps = [s for _n, s in all_states(compiled["fan_out"].definition) if s["Type"] == "Map"]
    assert len(maps) == 3 and all(m["MaxConcurrency"] == 4 for m in maps)
    assert [s["MaxConcurrency"] for _n, s in all_states(compiled["nightly"].definition) if s["Type"] == "Map"] \
        == [10, 10]
    assert all("MaxConcurrency" not in s for _n, s in all_states(compiled["branches"].definition))
    [fail] = [s for _n, s in all_states(compiled["catching"].definition) if s["Type"] == "Task"]
    assert fail["Parameters"]["catch"] == ["PaymentDeclined", "KeyError"]
    assert [c["ErrorEquals"] for c in fail["Catch"]] == [["PaymentDeclined"], ["KeyError"], ["States.ALL"]]


def test_the_deploy_view_is_name_asl_and_registered_tasks(demo_project) -> None:
    files = project_files(demo_project)
    declared = declarations(scan(files), [], files)
    found = machines(files)
    assert [name for name, _asl, _tasks in found] == sorted(name for name, _a, _t in found)
    for name, asl, tasks in found:
        definition = json.loads(asl)
        assert definition["Comment"].startswith("lz workflow wfdemo.")
        for task in tasks:
            assert "task" in declared[task][2]  # the bundle lets the step route run it
        if tasks:
            assert "${FunctionArn}" in asl and "${FunctionArn}" not in resolve(asl, "arn:aws:lambda:x")
    assert not any("workflow" in kinds for _m, _q, kinds in declared.values())  # not runnable by name


def test_the_registry_reads_workflow_decorators_statically(tmp_path: Path) -> None:
    (tmp_path / "jobs.py").write_text("raise SystemExit('never run')\nfrom lz.tasks.workflow import workflow\n"
                                      "@workflow\ndef a(x): return x\n@workflow(max_concurrency=3)\ndef b(): pass\n")
    found = scan([("jobs.py", tmp_path / "jobs.py")])
    assert found.workflows == [WorkflowDecl("jobs.a"), WorkflowDecl("jobs.b", 3)]
    assert found.sources == [] and not any(isinstance(s, Source) for s in found.sources)


def test_machine_names_follow_step_functions_rules() -> None:
    """State machine names: at most 80 characters, no white space or special characters ("Step
    Functions service quotas", https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html: general quotas)."""
    assert machine_name("shop-dev", "process_upload") == "shop-dev-process_upload"
    with pytest.raises(CompileError, match="over 80 characters"):
        machine_name("p" * 70, "workflow_name")


def test_the_start_state_fills_defaults_and_keeps_constants_by_reference(compiled) -> None:
    arguments = compiled["arguments"].definition
    first = arguments["States"][arguments["StartAt"]]
    assert first["Parameters"] == {"input.$": "$", "defaults": {"b": 2, "label": "sum"}}
    computed = compiled["computed"].definition
    start = computed["States"][computed["StartAt"]]["Parameters"]["lz"]
    assert " steps, it's {odd} \\ " in start["k"].values()  # text an intrinsic's literal cannot hold


def test_the_demo_project_is_the_one_the_tests_copy() -> None:
    assert (PROJECT / "wfdemo" / "flows.py").is_file() and (PROJECT / "lz_settings.json").is_file()
