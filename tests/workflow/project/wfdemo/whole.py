"""Whole workflows, as an app would write them; tests run each both ways on several inputs."""

from __future__ import annotations

from lz.tasks import TaskError
from lz.tasks.workflow import WorkflowError, parallel, wait, workflow

from .tasks import (PaymentDeclined, archive, audit, charge, check_status, measure, notify, report, resize,
                    stock, thumbnail)


@workflow
def process_upload(key: str, sizes: list, recipient: str = "ops") -> dict:
    small = resize(key)
    if small.endswith(".png") and len(sizes) > 0:
        thumbs = [thumbnail(small, s) for s in sizes]
    else:
        thumbs = []
    try:
        a, b = parallel(lambda: audit(small), lambda: notify(recipient))
    except TaskError as e:
        a = report(str(e))
        b = None
    wait(seconds=1)
    return {"key": small, "thumbs": thumbs, "audit": a, "notified": b}


@workflow
def place_order(order: str, items: list, amount, ready_at: int = 3) -> dict:
    reserved = [stock(item) for item in items]
    if len(reserved) == 0:
        raise WorkflowError(f"order {order} has no items")
    attempt = 0
    status = "pending"
    while status == "pending":
        attempt += 1
        status = check_status(order, attempt, ready_at)
    try:
        receipt = charge(order, amount)
    except PaymentDeclined as e:
        receipt = {"order": order, "declined": e.cause}
    return {"order": order, "reserved": reserved, "attempts": attempt, "receipt": receipt}


@workflow(max_concurrency=10)
def nightly(batches: list, threshold: int) -> dict:
    sizes = [measure(batch) for batch in batches]
    total = 0
    i = 0
    n = len(sizes)
    while i < n:
        total = total + sizes[i]
        i += 1
    if total > threshold:
        raise WorkflowError(f"batch too large: {total} > {threshold}")
    try:
        for batch in batches:
            archive(batch)
        archived = True
    except ValueError as e:
        archived = e.cause
    return {"summary": f"{n} batches, {total} items", "sizes": sizes, "archived": archived}
