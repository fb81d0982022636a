"""Turning raw log events into the lines `lz tail` prints.

Lambda writes START, END and REPORT around every invocation; by default the first two are dropped
and REPORT's duration and memory become a short suffix of the request's own line (lz's runtime
writes one JSON line per HTTP request: method, path, status, ms, request id). Log records keep
their level, and tracebacks stay as the multi-line text they were.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .fetch import LogEvent

_PLATFORM = re.compile(r"^(START|END|INIT_START|EXTENSION|TELEMETRY) ")
_REPORT = re.compile(
    r"^REPORT RequestId: (?P<rid>\S+)\s+Duration: (?P<duration>[\d.]+) ms\s+Billed Duration: (?P<billed>\d+) ms"
    r"\s+Memory Size: (?P<memory>\d+) MB\s+Max Memory Used: (?P<used>\d+) MB(?:\s+Init Duration: (?P<init>[\d.]+) ms)?")
# awslambdaric's format for logging records: [LEVEL]\t2026-11-23T10:00:00.123Z\tREQUEST_ID\tmessage
_RECORD = re.compile(r"^\[(?P<level>[A-Z]+)\]\t\S+\t(?P<rid>\S+)\t(?P<text>.*)$", re.S)
_ERRORS = ("ERROR", "CRITICAL")


@dataclass
class Line:
    timestamp: int
    stream: str
    kind: str  # request | log | error | report | raw
    text: str
    request_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> str:
        moment = datetime.fromtimestamp(self.timestamp / 1000, timezone.utc).isoformat(timespec="milliseconds")
        return json.dumps({"timestamp": moment, "stream": self.stream, "kind": self.kind,
                           "request_id": self.request_id, "message": self.text, **self.fields},
                          ensure_ascii=False)


def _report_suffix(fields: dict[str, Any]) -> str:
    suffix = f"{float(fields['duration']):.0f} ms, {fields['used']}/{fields['memory']} MB"
    if fields.get("init"):
        suffix += f", cold start {float(fields['init']):.0f} ms"
    return suffix


class Folder:
    """Feed events in order; get back the lines to print (request lines wait for their REPORT)."""

    def __init__(self, fold: bool = True) -> None:
        self.fold = fold
        self.pending: dict[str, Line] = {}

    def _classify(self, event: LogEvent) -> Line | None:
        message = event.message.rstrip("\n")
        base = (event.timestamp, event.stream)
        if message.startswith('{"lz":"request"'):
            try:
                data = json.loads(message)
                text = f"{data['method']} {data['path']} -> {data['status']} ({data['ms']:.0f} ms)"
                return Line(*base, "request", text, data.get("request_id"),
                            {k: data[k] for k in ("method", "path", "status", "ms")})
            except (ValueError, KeyError, TypeError):
                pass
        if message.startswith("{"):
            line = self._json_line(base, message)
            if line is not False:
                return line
        report = _REPORT.match(message)
        if report:
            fields = {k: v for k, v in report.groupdict().items() if v is not None and k != "rid"}
            return Line(*base, "report", _report_suffix(fields), report["rid"], fields)
        if self.fold and _PLATFORM.match(message):
            return None
        record = _RECORD.match(message)
        if record:
            level = record["level"]
            kind = "error" if level in _ERRORS else "log"
            return Line(*base, kind, f"{level} {record['text']}", record["rid"], {"level": level})
        if "Traceback (most recent call last)" in message or message.startswith(("Task timed out", "[ERROR]")):
            return Line(*base, "error", message)
        return Line(*base, "raw", message)

    def _json_line(self, base: tuple, message: str) -> Line | None | bool:
        """A line of a function whose log format is JSON (Lambda's LoggingConfig): platform events
        ({"type": "platform.report", "record": {...}}) and log records ({"level", "message",
        "requestId"}); False when it is neither (then it is read as text)."""
        try:
            data = json.loads(message)
        except ValueError:
            return False
        if not isinstance(data, dict):
            return False
        kind, record = data.get("type"), data.get("record")
        if isinstance(kind, str) and kind.startswith("platform.") and isinstance(record, dict):
            if kind == "platform.report":
                metrics = record.get("metrics") or {}
                fields = {"duration": metrics.get("durationMs"), "billed": metrics.get("billedDurationMs"),
                          "memory": metrics.get("memorySizeMB"), "used": metrics.get("maxMemoryUsedMB"),
                          "init": metrics.get("initDurationMs")}
                fields = {k: v for k, v in fields.items() if v is not None}
                if {"duration", "memory", "used"} <= set(fields):
                    return Line(*base, "report", _report_suffix(fields), record.get("requestId"), fields)
            return None if self.fold else Line(*base, "raw", message, record.get("requestId"))
        level, text = data.get("level"), data.get("message")
        if isinstance(level, str) and text is not None:
            level = level.upper()
            text = text if isinstance(text, str) else json.dumps(text)
            trace = data.get("stackTrace")
            if isinstance(trace, list) and trace:
                text += "\n" + "".join(map(str, trace)).rstrip("\n")
            kind = "error" if level in _ERRORS or level == "FATAL" else "log"
            extra = {k: v for k, v in data.items() if k not in ("timestamp", "level", "message", "requestId",
                                                                 "stackTrace")}
            return Line(*base, kind, f"{level} {text}", data.get("requestId"), {"level": level, **extra})
        return False

    def feed(self, event: LogEvent) -> list[Line]:
        line = self._classify(event)
        if line is None:
            return []
        if not self.fold:
            return [line]
        if line.kind == "request" and line.request_id:
            self.pending[line.request_id] = line
            return []
        if line.kind == "report" and line.request_id in self.pending:
            request = self.pending.pop(line.request_id)
            request.text += f" · {line.text}"
            request.fields["report"] = line.fields
            return [request]
        return [line]

    def flush(self, older_than: int | None = None) -> list[Line]:
        """Request lines still waiting for a REPORT (all, or those before `older_than` ms)."""
        ready = [rid for rid, line in self.pending.items() if older_than is None or line.timestamp < older_than]
        return [self.pending.pop(rid) for rid in ready]


def wanted(line: Line, http_only: bool, errors_only: bool) -> bool:
    if http_only:
        return line.kind == "request"
    if errors_only:
        return line.kind == "error" or (line.kind == "request" and (line.fields.get("status") or 0) >= 500)
    return True


def render(line: Line, color: bool) -> str:
    """One printed line (a traceback keeps its own line breaks)."""
    moment = datetime.fromtimestamp(line.timestamp / 1000, timezone.utc).strftime("%H:%M:%S.%f")[:-3]
    text = line.text
    if color:
        import click

        status = line.fields.get("status") or 0
        style = {"error": "red", "report": "bright_black"}.get(line.kind) or (
            ("red" if status >= 500 else "yellow" if status >= 400 else "green") if line.kind == "request" else None)
        text = click.style(text, fg=style) if style else text
        moment = click.style(moment, fg="bright_black")
    return f"{moment} {text}"
