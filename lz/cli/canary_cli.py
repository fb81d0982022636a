"""What `lz deploy` adds for canaries: --canary/--for over the `deploy` setting, and the live
progress display while the new version is watched."""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import click


def canary_settings(stage: Any, share: str | None, watch_for: str | None) -> Any:
    """`stage` with --canary/--for applied to its `deploy` setting (checked as the setting is)."""
    if share is None and watch_for is None:
        return stage
    from .settings import SettingsError
    from .settings_ops import check_operations

    wanted = {} if share == "off" else {**stage.deploy}
    if share not in (None, "off"):
        wanted["canary"] = share if share.endswith("%") else f"{share}%"
    if watch_for is not None and share != "off":
        wanted["for"] = watch_for
    values = {f.name: getattr(stage, f.name) for f in dataclasses.fields(stage)}
    values["deploy"] = wanted
    try:
        for key, text in (("canary", wanted.get("canary")), ("for", wanted.get("for"))):
            if text is not None:
                _shape(key, text)
        check_operations(stage.name, values)
    except (SettingsError, ValueError) as exc:
        raise click.ClickException(str(exc).replace('"deploy"."canary"', "--canary")
                                   .replace('"deploy"."for"', "--for")) from None
    return dataclasses.replace(stage, deploy=wanted)


def _shape(key: str, text: str) -> None:
    import re

    from .settings_ops import duration

    if key == "canary" and not re.fullmatch(r"\d+(\.\d+)?%", text):
        raise ValueError(f"--canary takes a percentage like 10% (or off), got {text!r}")
    if key == "for":
        duration(text)


@contextmanager
def canary_progress(console: Any) -> Iterator[Callable[[float, int, float, float], None]]:
    """A live bar while a canary is watched (elapsed of total, the new version's invocations and
    errors); off a terminal, one line per minute watched, so CI logs show it too."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    progress: Progress | None = None
    task = None
    printed = [-60.0]

    def tick(elapsed: float, total: int, errors: float, invocations: float) -> None:
        nonlocal progress, task
        text = f"canary: {invocations:.0f} invocations, {errors:.0f} errors"
        if not console.is_terminal:
            if elapsed - printed[0] >= 60 or elapsed >= total:
                printed[0] = elapsed
                console.print(f"{text} ({elapsed:.0f}/{total} s watched)", markup=False, highlight=False)
            return
        if progress is None:
            progress = Progress(TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn(),
                                console=console, transient=True)
            progress.start()
            task = progress.add_task(text, total=total)
        progress.update(task, completed=min(elapsed, total), description=text)

    try:
        yield tick
    finally:
        if progress is not None:
            progress.stop()
