"""Reading a log group: one window (`--no-follow`), or following it live.

Following uses CloudWatch Logs StartLiveTail where the endpoint offers it, and otherwise (or when a
live session ends) FilterLogEvents polling that asks only for what is new: each poll starts at the
newest timestamp seen, less a small overlap for events that are ingested late, and events already
printed are recognised by (stream, timestamp, message) and skipped, so no line is lost between polls
and none is printed twice.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from ..aws import Aws, AwsError, not_found

OVERLAP_MS = 5_000  # late ingestion: CloudWatch can take a few seconds to index an event
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class LogEvent:
    timestamp: int  # ms since the epoch
    stream: str
    message: str

    @property
    def key(self) -> tuple[str, int, str]:
        return self.stream, self.timestamp, self.message


def parse_since(text: str, now: float | None = None) -> int:
    """"10m", "2h", "3d", or a date-time ("2026-11-22T10:00", UTC unless it says otherwise) -> ms."""
    now = time.time() if now is None else now
    match = re.fullmatch(r"(\d+)\s*([smhdw])", text.strip())
    if match:
        return int((now - int(match[1]) * _UNITS[match[2]]) * 1000)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--since {text!r}: use a duration like 10m, 2h, 1d, or a date-time like "
                         "2026-11-22T10:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


class Tail:
    def __init__(self, aws: Aws, group: str, since_ms: int, pattern: str | None = None,
                 page_size: int | None = None, interval: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.aws, self.group, self.start = aws, group, since_ms
        self.pattern, self.page_size, self.interval, self.sleep = pattern, page_size, interval, sleep
        self.seen: dict[tuple[str, int, str], int] = {}
        self.pages = 0
        self.note: Callable[[str], None] = lambda message: None

    def check(self) -> None:
        """A missing log group is a clear error, not an empty tail."""
        logs = self.aws.client("logs")
        with self.aws.explain(f"looking for log group {self.group}"):
            groups = logs.describe_log_groups(logGroupNamePrefix=self.group).get("logGroups", [])
        if not any(g["logGroupName"] == self.group for g in groups):
            raise AwsError(f"no log group {self.group}: the stage was never deployed, or its function "
                           "was never invoked (check with lz status STAGE)")

    def _fresh(self, events: list[LogEvent]) -> list[LogEvent]:
        new = [e for e in sorted(events, key=lambda e: e.timestamp) if e.key not in self.seen]
        for event in new:
            self.seen[event.key] = event.timestamp
        if self.seen:
            self.start = max(self.start, max(self.seen.values()) - OVERLAP_MS)
            self.seen = {k: ts for k, ts in self.seen.items() if ts >= self.start}
        return new

    def window(self) -> list[LogEvent]:
        """Everything from the current start on (every page), minus what was already seen."""
        logs = self.aws.client("logs")
        events: list[LogEvent] = []
        token = None
        while True:
            args: dict[str, Any] = {"logGroupName": self.group, "startTime": self.start}
            if self.pattern:
                args["filterPattern"] = self.pattern
            if self.page_size:
                args["limit"] = self.page_size
            if token:
                args["nextToken"] = token
            try:
                page = logs.filter_log_events(**args)
            except Exception as exc:
                if not_found(exc):
                    raise AwsError(f"log group {self.group} disappeared (was the stage undeployed?)") from None
                with self.aws.explain(f"reading log group {self.group}"):
                    raise
            self.pages += 1
            events += [LogEvent(e["timestamp"], e.get("logStreamName", ""), e["message"])
                       for e in page.get("events", [])]
            token = page.get("nextToken")
            if not token:
                return self._fresh(events)

    def _live(self) -> Iterator[list[LogEvent]]:
        arn = f"arn:aws:logs:{self.aws.region}:{self.aws.account}:log-group:{self.group}"
        args: dict[str, Any] = {"logGroupIdentifiers": [arn]}
        if self.pattern:
            args["logEventFilterPattern"] = self.pattern
        response = self.aws.client("logs").start_live_tail(**args)
        for item in response["responseStream"]:
            update = item.get("sessionUpdate") if isinstance(item, dict) else None
            if update:
                yield self._fresh([LogEvent(r["timestamp"], r.get("logStreamName", ""), r["message"])
                                   for r in update.get("sessionResults", [])])

    def follow(self, live: bool = True) -> Iterator[list[LogEvent]]:
        """Batches of new events, forever (the caller stops on Ctrl-C)."""
        yield self.window()
        if live:
            try:
                yield from self._live()
                self.note("the live tail session ended; polling")
            except Exception as exc:  # no StartLiveTail here (or not allowed): poll instead
                self.note(f"live tail unavailable ({type(exc).__name__}); polling every {self.interval:g} s")
        while True:
            self.sleep(self.interval)
            yield self.window()
