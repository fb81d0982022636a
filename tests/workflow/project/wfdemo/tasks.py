"""Tasks of the workflow test project (also run inside the built bundle)."""

from __future__ import annotations

import os
import time

from lz import task


class PaymentDeclined(Exception):
    pass


class CardExpired(PaymentDeclined):
    pass


@task
def echo(value):
    return value


@task
def add(a, b):
    return a + b


@task
def double(x):
    return x * 2


@task
def upper(text):
    return text.upper()


@task
def pair(a, b=None):
    return [a, b]


@task
def thumbnail(key, size):
    return f"{key}@{size}"


@task(retries=2)
def resize(key):
    if key.startswith("broken"):
        raise ValueError(f"cannot read {key}")
    return key.rsplit(".", 1)[0] + ".png"


@task
def audit(key):
    return f"audited {key}"


@task
def notify(key):
    if key == "nobody":
        raise LookupError("no one to notify")
    return f"notified {key}"


@task
def fail(kind, message):
    errors = {"value": ValueError, "key": KeyError, "payment": PaymentDeclined, "card": CardExpired,
              "lookup": LookupError}
    raise errors[kind](message)


@task(retries=2)
def flaky(path, fails):
    """Fails `fails` times (counted in a file, one per side: Python here, the bundle in Lambda),
    then returns the attempt number."""
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        path += ".lambda"
    count = int(open(path).read()) + 1 if os.path.exists(path) else 1
    with open(path, "w") as f:
        f.write(str(count))
    if count <= fails:
        raise ConnectionError(f"attempt {count} failed")
    return count


@task(timeout=1)
def slow(seconds):
    time.sleep(seconds)
    return "finished"


@task
def big(size):
    return "x" * size


@task
def charge(order, amount):
    if amount > 100:
        raise CardExpired(f"card for {order} expired")
    if amount < 0:
        raise PaymentDeclined(f"negative amount for {order}")
    return {"order": order, "charged": amount}


@task
def stock(item):
    return {"item": item, "left": len(item)}


@task
def report(message):
    return f"reported: {message}"


@task
def check_status(order, attempt, ready_at):
    return "ready" if attempt >= ready_at else "pending"


@task
def measure(batch):
    return len(batch["items"])


@task
def archive(batch):
    if batch["name"] == "corrupt":
        raise ValueError(f"cannot archive {batch['name']}")
    return batch["name"]
