"""Feeding the fuzz harness's events (tests/adapter/fuzzing.py) to a handler, counting what it
finds, and measuring RSS: shared by tests/test_fuzz_entry.py and bench/fuzz.py."""

from __future__ import annotations

import io
import logging
import os
import random
import sys
import traceback
from collections import Counter
from contextlib import redirect_stdout
from typing import Any, Callable, Iterator

from tests.adapter.fuzzing import FuzzContext, judge, mutate


def rss_mb() -> float:
    """Resident set size now, in MB (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError):
        return 0.0


def _where(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/lz/" in f.filename]
    frame = frames[-1] if frames else None
    at = f"{frame.filename.split('/lz/', 1)[1]}:{frame.lineno} {frame.name}" if frame else "?"
    return f"{type(exc).__name__} at lz/{at}"


class _Count(logging.Handler):
    """Counts lz's log lines by level, keeping none of them (the run must not hold memory)."""

    def __init__(self, counts: Counter) -> None:
        super().__init__(logging.DEBUG)
        self.counts = counts

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[f"log {record.levelname}"] += 1


class _Sink(io.TextIOBase):
    """stdout for the request-log lines: counted, not kept."""

    def __init__(self, counts: Counter) -> None:
        self.counts = counts

    def write(self, text: str) -> int:
        self.counts["request-log lines"] += 1
        return len(text)


def events(seed: int, count: int) -> Iterator[Any]:
    rng = random.Random(seed)
    for serial in range(count):
        yield mutate(rng, serial)


def _refusals() -> tuple[type[BaseException], ...]:
    from lz.tasks import TaskError
    from lz.tasks.names import Unregistered

    return (Unregistered, TaskError)


REFUSALS = _refusals()


def run(handler: Callable[[Any, Any], Any], stream: Iterator[Any], counts: Counter,
        examples: dict[str, str], warmup: int = 0) -> dict[str, float]:
    """Feed every event to `handler`; count findings (first example of each kept in `examples`).
    Returns RSS figures in MB: at start, after `warmup` events, at the end."""
    logger = logging.getLogger("lz")
    counter = _Count(counts)
    propagate = logger.propagate
    logger.addHandler(counter)
    logger.propagate = False
    rss = {"start": rss_mb()}
    try:
        with redirect_stdout(_Sink(counts)):
            for n, event in enumerate(stream):
                if n == warmup:
                    rss["warm"] = rss_mb()
                counts["events"] += 1
                try:
                    result = handler(event, FuzzContext(f"fuzz-{n}"))
                except REFUSALS as exc:
                    # by design: a task/schedule event naming what the bundle did not register (or
                    # a malformed task payload) is logged, then raised, so that Lambda's on-failure
                    # destination keeps the event; not an escape
                    counts["refused: " + type(exc).__name__] += 1
                    continue
                except BaseException as exc:  # noqa: BLE001 - counting is the point
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    key = "escape: " + _where(exc)
                    counts[key] += 1
                    examples.setdefault(key, repr(event)[:300])
                    continue
                for finding in judge(event, result):
                    counts[finding] += 1
                    examples.setdefault(finding, f"{repr(event)[:300]} -> {repr(result)[:300]}")
    finally:
        logger.removeHandler(counter)
        logger.propagate = propagate
    rss.setdefault("warm", rss["start"])
    rss["end"] = rss_mb()
    return rss


def problems(counts: Counter) -> dict[str, int]:
    """The counts that are defects (escapes, invalid results, CR/LF, unserializable)."""
    return {k: v for k, v in counts.items()
            if k.startswith(("escape", "invalid", "crlf", "unserializable"))}


def report(counts: Counter, examples: dict[str, str], rss: dict[str, float],
           out: Any = sys.stdout) -> None:
    print(f"events: {counts['events']:,}", file=out)
    for key, value in sorted(counts.items()):
        if key != "events":
            print(f"  {key}: {value:,}", file=out)
    print("RSS MB: start {start:.1f}, after warm-up {warm:.1f}, end {end:.1f} "
          "(growth after warm-up {growth:+.1f})".format(growth=rss["end"] - rss["warm"], **rss),
          file=out)
    for key, example in examples.items():
        print(f"  first {key}: {example}", file=out)
