"""One workflow per compiled construct; tests run each as Python and as its state machine."""

from __future__ import annotations

from lz.tasks import TaskError
from lz.tasks.run import TaskTimeout
from lz.tasks.workflow import WorkflowError, parallel, wait, workflow

from .tasks import (PaymentDeclined, add, big, double, echo, fail, flaky, notify, pair, slow, thumbnail,
                    upper)

SIZES = [16, 32]
GREETING = "hello"


@workflow
def arguments(a, b=2, *, label="sum"):
    """Task results assigned to names; names, literals, lists, dicts and subscripts as arguments."""
    total = add(a, b)
    both = echo({"total": total, "inputs": [a, b], "label": label, "sizes": SIZES, "none": None})
    first = echo(both["inputs"][0])
    named = pair(b=label, a=both["total"])
    return {"both": both, "first": first, "named": named, "greeting": GREETING}


@workflow
def computed(n, name, items):
    """What a Pass state computes: + and -, f-strings, len(), list and dict displays."""
    steps = n + 1
    steps = steps - 3
    steps += 10
    message = f"{GREETING} {name}: {steps} steps, it's {{odd}} \\ {len(items)} items, {True}"
    size = len(items)
    listed = [n, name, steps, [1, "two"]]
    mapping = {"n": n, "nested": {"size": size, "label": f"#{n}"}, "plain": [1, 2]}
    picked = items[size - 1]
    joined = name + "!"
    return {"message": message, "listed": listed, "mapping": mapping, "picked": picked, "joined": joined}


@workflow
def early(x):
    """An early return inside a branch."""
    if x > 10:
        return "big"
    y = double(x)
    if y > 10:
        return f"medium {y}"
    return ["small", y]


@workflow
def conditions(v, w, s, items, flag):
    """Each kind of Choice rule, on values and names."""
    out = {}
    if v == 3:
        a = "v==3"
    elif v != w and v < 10:
        a = "v!=w,v<10"
    else:
        a = "else"
    if s is None or v <= w:
        b = True
    else:
        b = False
    if not flag and items:
        c = "falsy flag, items"
    elif flag:
        c = "flag"
    else:
        c = "neither"
    if s is not None and s.startswith("img/") and (s.endswith(".png") or s.endswith(".jpg")):
        d = "image"
    else:
        d = "other"
    if len(items) >= 2 and items[0] in ["a", "b", 1]:
        e = "long, known first"
    elif items:
        e = "some"
    else:
        e = "empty"
    if v == w:
        f = "same"
    else:
        f = "different"
    if 5 > v >= 1 and v not in [2, 4]:
        g = "1..5 odd"
    else:
        g = "no"
    if v in items:
        h = "member"
    else:
        h = "not member"
    out = {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g, "h": h}
    return out


@workflow
def counting(n):
    """A while loop with a counter, continue and break."""
    i = 0
    total = 0
    while i < n:
        i = i + 1
        if i == 2:
            continue
        total = add(total, i)
        if total > 20:
            break
    return {"i": i, "total": total}


@workflow(max_concurrency=4)
def fan_out(keys, size):
    """A comprehension and a for loop over a list: Map states."""
    thumbs = [thumbnail(k, size) for k in keys]
    labels = [f"{k}-{size}" for k in keys]
    for k in keys:
        notify(k)
    return {"thumbs": thumbs, "labels": labels, "count": len(thumbs)}


@workflow
def branches(x):
    """parallel(): unpacked, kept whole, and as a statement."""
    doubled, shouted = parallel(lambda: double(x), lambda: upper("hi"))
    whole = parallel(lambda: echo(x), lambda: [x, 1])
    parallel(lambda: notify("ops"))
    return {"doubled": doubled, "shouted": shouted, "whole": whole}


@workflow
def pauses(seconds):
    """Wait states: a literal, a name, a timestamp in the past."""
    wait(seconds=1)
    wait(seconds=seconds)
    wait(until="2000-01-01T00:00:00Z")
    return "done"


@workflow
def refuses(reason):
    """raise WorkflowError: a Fail state."""
    if reason == "none":
        return "fine"
    if reason == "plain":
        raise WorkflowError("refused")
    raise WorkflowError(f"refused: {reason}")


@workflow
def catching(kind):
    """try/except: named classes, TaskError, `as e` with the error and its cause."""
    try:
        fail(kind, f"{kind} went wrong")
        outcome = "not reached"
    except PaymentDeclined as e:
        outcome = {"caught": "payment", "cause": e.cause}
    except KeyError as e:
        outcome = {"caught": "key", "error": e.error, "cause": str(e)}
    except TaskError as e:
        outcome = {"caught": "task", "error": e.error, "cause": e.cause}
    return outcome


@workflow
def nested_try(kind):
    """An inner handler that does not match passes the error on to the outer one; else runs."""
    try:
        try:
            if kind != "none":
                fail(kind, "inner")
            status = "ok"
        except KeyError:
            status = "inner caught"
        else:
            status = "no error"
    except TaskError as e:
        status = f"outer caught {e.error}"
    try:
        raise WorkflowError(f"stop {kind}")
    except WorkflowError as e:
        stopped = [e.error, e.cause]
    return [status, stopped]


@workflow
def uncaught(kind):
    """A task failure nobody catches fails the run with the task's error."""
    fail(kind, "nobody catches this")
    return "not reached"


@workflow
def retrying(path, fails):
    """@task(retries=2): a Retry on the Task state."""
    attempts = flaky(path, fails)
    return attempts


@workflow
def timing_out(seconds):
    """@task(timeout=1): the task's own timeout, caught and not."""
    try:
        result = slow(seconds)
    except TaskTimeout as e:
        result = e.error
    return result


@workflow
def timing_out_uncaught(seconds):
    return slow(seconds)


@workflow
def too_big(size):
    """A task result over 256 KiB is refused at the task, naming the workflow, task and size."""
    data = big(size)
    return data


@workflow
def measures(items, other):
    """Computed values in conditions (len() of two lists, the truthiness of a length) and str()."""
    if len(items):
        a = "some"
    else:
        a = "none"
    if len(items) == len(other):
        b = "same length"
    else:
        b = "lengths differ"
    return [a, b, str(True), str(len(items)), f"{None}"]
