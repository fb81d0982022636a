"""Everything outside the compiled subset is a CompileError naming file:line, the construct, and
what to write instead: never a state machine that does something else than the Python."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lz.cli.workflow import CompileError, compile_project

HEADER = '''\
import os
from lz import task
from lz.tasks import TaskError
from lz.tasks.workflow import workflow, parallel, wait, WorkflowError

@task
def add(a, b=0): return a + b

@task
def echo(value, *, tag=None): return value

def helper(x): return x

@workflow
def other(x): return x

'''
DEF = HEADER.count("\n") + 2  # the line of `def flow` (after the header and @workflow)


def compile_source(tmp_path: Path, text: str, name: str = "flows.py", extra: dict[str, str] | None = None):
    files = []
    for rel, source in {name: text, **(extra or {})}.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        files.append((rel, path))
    return compile_project(files)


def workflow_with(body: str, params: str = "x, items, d") -> str:
    return HEADER + f"@workflow\ndef flow({params}):\n" + textwrap.indent(textwrap.dedent(body), "    ")


CASES = [
    # (body, line offset of the faulty statement in the body, words the message must hold)
    ("y = helper(x)", 0, ["calls helper", "make it a @task"]),
    ("y = x.upper()", 0, ["calls x.upper", "make it a @task"]),
    ("y = os.getcwd()", 0, ["calls os.getcwd", "make it a @task"]),
    ("with open('f') as f:\n    pass", 0, ["`with`", "inside a task"]),
    ("def inner():\n    return 1", 0, ["nested function", "@task"]),
    ("global counter\ncounter = 1", 0, ["`global`"]),
    ("f = lambda: 1", 0, ["a lambda", "parallel("]),
    ("y = (i for i in items)", 0, ["a generator expression"]),
    ("yield x", 0, ["yields or awaits", "plain function"]),
    ("y = f'{x:>5}'", 0, ["format specs", "in a task"]),
    ("y = f'{x!r}'", 0, ["conversions"]),
    ("y = x * 2", 0, ["this operator", "States.MathAdd"]),
    ("y = x - d", 0, ["subtracting a name", "negative literal"]),
    ("y = x + 1.5", 0, ["whole-number arithmetic"]),
    ("y = items[-1]", 0, ["negative index"]),
    ("y = items[1:2]", 0, ["slicing"]),
    ("y = {1, 2}", 0, ["a set"]),
    ("y = x > 1", 0, ["a comparison", "if statement"]),
    ("y = 1 if x else 2", 0, ["conditional expression", "if statement"]),
    ("if x is 'a':\n    pass", 0, ["`is`", "None, True or False"]),
    ("if x.startswith('a*'):\n    pass", 0, ["holds * or", "StringMatches"]),
    ("if x in 'abc':\n    pass", 0, ["`in`", "membership in a list"]),
    ("if add(x, 1):\n    pass", 0, ["a task call inside an expression", "statement of its own"]),
    ("y = add(x, 1) + 1", 0, ["a task call inside an expression"]),
    ("a, b = add(x, 1)", 0, ["unpacking", "parallel"]),
    ("d['k'] = 1", 0, ["assigning to d['k']", "new dict"]),
    ("a = b = 1", 0, ["a = b = ..."]),
    ("while x:\n    x = add(x, -1)\nelse:\n    pass", 0, ["while ... else"]),
    ("for i in items:\n    add(i)\nelse:\n    pass", 0, ["for ... else"]),
    ("for a, b in items:\n    add(a)", 0, ["loop over one name"]),
    ("for i in items:\n    last = add(i)\nreturn last", 0, ["assigns last", "comprehension"]),
    ("for i in items:\n    x = add(i)", 0, ["assigns x", "used outside"]),
    ("for i in items:\n    break", 1, ["`break` in a for loop", "while loop"]),
    ("for i in items:\n    return i", 1, ["`return` inside a for loop", "comprehension"]),
    ("break", 0, ["`break` outside a while loop"]),
    ("raise ValueError('no')", 0, ["raises WorkflowError", "inside a task"]),
    ("raise", 0, ["raises WorkflowError"]),
    ("raise WorkflowError('a') from None", 0, ["raises WorkflowError"]),
    ("raise WorkflowError('a', 'b')", 0, ["one message"]),
    ("try:\n    add(x)\nexcept:\n    pass", 2, ["bare `except:`", "except TaskError"]),
    ("try:\n    add(x)\nexcept Exception:\n    pass", 2, ["`except Exception`", "except TaskError"]),
    ("try:\n    add(x)\nexcept helper:\n    pass", 2, ["`except helper`", "no exception class"]),
    ("try:\n    add(x)\nfinally:\n    pass", 0, ["`finally`"]),
    ("del x", 0, ["`del`"]),
    ("assert x", 0, ["`assert`", "WorkflowError"]),
    ("print(x)", 0, ["an expression statement", "inside a task"]),
    ("x", 0, ["an expression statement"]),
    ("y = other(x)", 0, ["calling another workflow"]),
    ("wait(3, until='2030-01-01T00:00:00Z')", 0, ["wait(seconds=N) or wait(until=TIMESTAMP)"]),
    ("wait(seconds=-1)", 0, ["whole number >= 0"]),
    ("wait(until='tomorrow')", 0, ["RFC 3339"]),
    ("y = wait(seconds=1)", 0, ["wait()", "returns nothing"]),
    ("y = parallel(add)", 0, ["one lambda without parameters"]),
    ("y = parallel(lambda i: add(i))", 0, ["one lambda without parameters"]),
    ("a, b = parallel(lambda: add(1))", 0, ["unpacks 2 names from 1 branches"]),
    ("y = [add(i) for i in items if i]", 0, ["no `if`", "filter the list in a task"]),
    ("y = [add(i) for i in items for j in items]", 0, ["one `for name in list`"]),
    ("y = [add(i) for i in 5]", 0, ["iterates over a list"]),
    ("y = unknown + 1", 0, ["`unknown`", "not a parameter, a local, a task"]),
    ("y = add", 0, ["`add`", "is a task"]),
    ("y = add(1, 2, 3)", 0, ["add() takes 2 positional arguments but 3 were given", "flows.py:7"]),
    ("y = add(1, c=2)", 0, ["add() has no parameter 'c'"]),
    ("y = add()", 0, ["add() misses a"]),
    ("y = echo(1, 2)", 0, ["echo() takes 1 positional arguments"]),
    ("y = add(*items)", 0, ["* and ** in a task call"]),
    ("y = add(**d)", 0, ["* and ** in a task call"]),
    ("y = {'a.$': x}", 0, ["ends with .$"]),
    ("y = {x: 1}", 0, ["dict keys must be literal strings"]),
    ("y = b'bytes'", 0, ["is not JSON"]),
    ("y = d.key", 0, ["attributes", "d['key']"]),
    ("try:\n    add(x)\nexcept TaskError as e:\n    add(e)", 3, ["a caught error", "e.cause"]),
    ("match x:\n    case 1:\n        pass", 0, ["`match`", "if/elif"]),
    ("y = len(3)", 0, ["len() in a workflow is for lists"]),
    ("y := 3", 0, []),  # not even Python: skipped below
    ("import json", 0, ["an import", "module level"]),
    ("class A:\n    pass", 0, ["a class definition"]),
    ("y = {**d}", 0, ["dict keys must be literal strings"]),
    ("y = [*items]", 0, ["unpacking with *"]),
    ("y = -x", 0, ["negating a name"]),
    ("y = not x", 0, ["this operator"]),
    ("y = x and d", 0, ["and/or", "`if` and `while`"]),
    ("async def g():\n    pass", 0, ["nested function"]),
]


@pytest.mark.parametrize("body, offset, words", [c for c in CASES if c[0] != "y := 3"],
                         ids=[c[0].splitlines()[0][:40] for c in CASES if c[0] != "y := 3"])
def test_each_construct_outside_the_subset_is_refused_at_its_line(tmp_path: Path, body: str, offset: int,
                                                                  words: list[str]) -> None:
    with pytest.raises(CompileError) as caught:
        compile_source(tmp_path, workflow_with(body))
    message = str(caught.value)
    assert message.startswith(f"flows.py:{DEF + 1 + offset}: "), message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("signature, words", [
    ("*args", ["*args and **kwargs"]),
    ("x, /, y", ["positional-only"]),
    ("x, **kw", ["*args and **kwargs"]),
    ("x=os.sep", ["the default of x", "must be a literal"]),
])
def test_parameters_must_become_a_json_object_by_name(tmp_path: Path, signature: str, words: list[str]) -> None:
    with pytest.raises(CompileError) as caught:
        compile_source(tmp_path, workflow_with("return 1", signature))
    assert str(caught.value).startswith(f"flows.py:{DEF}: "), str(caught.value)
    for word in words:
        assert word in str(caught.value)


def test_async_methods_duplicates_and_bad_options_are_refused_where_declared(tmp_path: Path) -> None:
    with pytest.raises(CompileError, match=r"^flows.py:\d+: async def flow: a workflow is a plain `def`"):
        compile_source(tmp_path, HEADER + "@workflow\nasync def flow(x):\n    return x\n")
    with pytest.raises(CompileError, match=r"^flows.py:\d+: @workflow on Jobs.flow: a workflow must be a "
                                           r"module-level function"):
        compile_source(tmp_path, HEADER + "class Jobs:\n    @workflow\n    def flow(self):\n        return 1\n")
    with pytest.raises(CompileError, match=r"^flows.py:\d+: @workflow\(max_concurrency=-1\): give a whole "):
        compile_source(tmp_path, HEADER + "@workflow(max_concurrency=-1)\ndef flow(x):\n    return x\n")
    with pytest.raises(CompileError, match=r"^more.py:4: workflow other has the name of the one at flows.py:\d+"):
        compile_source(tmp_path, HEADER, extra={"more.py": "from lz.tasks.workflow import workflow\n\n"
                                                            "@workflow\ndef other(y):\n    return y\n"})
    with pytest.raises(CompileError, match=r"^flows.py:\d+: @task\(retries='2'\): give a whole number"):
        compile_source(tmp_path, HEADER + "@task(retries='2')\ndef bad(): ...\n@workflow\ndef flow(x):\n"
                                          "    bad()\n")


def test_a_task_called_through_its_module_names_the_import_to_write(tmp_path: Path) -> None:
    jobs = "from lz import task\n\n@task\ndef job(x): return x\n"
    with pytest.raises(CompileError) as caught:
        compile_source(tmp_path, "import jobs\nfrom lz.tasks.workflow import workflow\n\n@workflow\n"
                                 "def flow(x):\n    return jobs.job(x)\n", extra={"jobs.py": jobs})
    assert str(caught.value) == ("flows.py:6: `jobs.job(x)`: a task called through its module: is not "
                                 "compiled; import it by name (from jobs import job)")
    [machine] = compile_source(tmp_path, "from jobs import job as run\nfrom lz.tasks.workflow import workflow\n"
                                         "\n@workflow\ndef flow(x):\n    return run(x)\n", extra={"jobs.py": jobs})
    assert machine.tasks == ("jobs.job",)  # the name it is registered (and declared) under


def test_a_good_workflow_compiles(tmp_path: Path) -> None:
    """The header itself and a body of every kind of statement compile (so the cases above fail for
    the construct they name, not for the setting around it)."""
    [machine, other] = compile_source(tmp_path, workflow_with(
        "y = add(x, 1)\nif y > 2 and items:\n    z = [echo(i) for i in items]\nelse:\n    z = []\n"
        "try:\n    a, b = parallel(lambda: add(1), lambda: echo(y))\nexcept TaskError as e:\n    a = e.cause\n"
        "while y < 5:\n    y = y + 1\nwait(seconds=1)\nreturn {'y': y, 'z': z, 'a': a}"))
    assert (machine.name, other.name) == ("flow", "other")
    assert machine.tasks == ("flows.add", "flows.echo")
