"""Registered functions in a module the app does not import: the bundle's declaration (what
`lz package` found) lets events reach them, by their declared kind only."""

from lz import command, schedule, task

RAN: list = []


@task
def resize(key: str) -> str:
    RAN.append(("resize", key))
    return key


@schedule("rate(1 hour)")
def hourly() -> None:
    RAN.append(("hourly",))


@command
def stats() -> dict:
    RAN.append(("stats",))
    return {"ok": True}


def plain(days: int = 1) -> None:
    """Named by a settings `events` entry, not decorated."""
    RAN.append(("plain", days))
