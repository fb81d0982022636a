"""The function's log as the managed Python runtime writes it, so `lz tail`, CloudWatch Insights
queries and Powertools read lz's loop exactly as they read awslambdaric:

- the root logger gets a handler whose lines are `[LEVEL]\\t<UTC time>Z\\t<request id>\\t<message>`,
  or JSON objects with `requestId` when the function's log format is JSON (AWS_LAMBDA_LOG_FORMAT),
  at AWS_LAMBDA_LOG_LEVEL when one is set;
- where Lambda hands the runtime its telemetry pipe (_LAMBDA_TELEMETRY_LOG_FD), each record is one
  frame on it, so a multi-line traceback is one log event; print() output still goes to stdout;
- stdout and stderr are flushed on every write, as awslambdaric makes them.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

request_id = ""  # the invocation under way: set by the loop, read by every log record
tenant_id: str | None = None
_sink: Any = None

_TEXT = 0xA55A0003
_JSON = 0xA55A0002
_LEVEL_STEP = {0: 0, 10: 8, 20: 12, 30: 16, 40: 20, 50: 24}  # frame type offsets per level


def _frame_type(base: int, levelno: int) -> bytes:
    level = min(50, max(0, levelno)) // 10 * 10
    return (base + _LEVEL_STEP[level]).to_bytes(4, "big")


class Unbuffered:
    """A text stream flushed on every write (Lambda may freeze the process right after one)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)

    def write(self, text: str) -> int:
        written = self.stream.write(text)
        self.stream.flush()
        return written

    def writelines(self, lines: Any) -> None:
        self.stream.writelines(lines)
        self.stream.flush()


class StdoutSink:
    def log(self, message: str, frame: bytes | None = None) -> None:
        sys.stdout.write(message)

    def log_error(self, lines: list[str]) -> None:
        sys.stdout.write("\r".join(lines) + "\n")  # \r: one CloudWatch event for the whole error


class FramedSink:
    """Lambda's telemetry framing: type (4 bytes), length (4), time in µs (8), then the message."""

    def __init__(self, fd: int, json_format: bool) -> None:
        self.file = os.fdopen(fd, "wb", 0)
        self.error_frame = _frame_type(_JSON if json_format else _TEXT, 40)

    def log(self, message: str, frame: bytes | None = None) -> None:
        data = message.encode("utf-8")
        self.file.write((frame or _TEXT.to_bytes(4, "big")) + len(data).to_bytes(4, "big")
                        + (time.time_ns() // 1000).to_bytes(8, "big") + data)

    def log_error(self, lines: list[str]) -> None:
        self.log("\n".join(lines), self.error_frame)


def write(message: str) -> None:
    """A line from context.log(): to the sink, else stdout."""
    (_sink or StdoutSink()).log(message)


def error(lines: list[str]) -> None:
    (_sink or StdoutSink()).log_error(lines)


def setup() -> None:
    """Install the streams, the sink and the root handler; once, before the handler is imported."""
    global _sink
    import logging

    sys.stdout = Unbuffered(sys.stdout)
    sys.stderr = Unbuffered(sys.stderr)
    json_format = (os.environ.get("AWS_LAMBDA_LOG_FORMAT") or "").upper() == "JSON"
    level = {None: "", "TRACE": "DEBUG"}.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL"),
                                             os.environ.get("AWS_LAMBDA_LOG_LEVEL") or "").upper()
    fd = os.environ.pop("_LAMBDA_TELEMETRY_LOG_FD", None)
    _sink = FramedSink(int(fd), json_format) if fd else StdoutSink()
    logging.Formatter.converter = time.gmtime
    handler = _handler_class(logging)(_sink, json_format, bool(json_format or level))
    if json_format:
        handler.setFormatter(_json_formatter_class(logging)())
    else:
        handler.setFormatter(logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
            "%Y-%m-%dT%H:%M:%S"))
    root = logging.getLogger()
    if level in logging._nameToLevel:
        root.setLevel(level)
    root.addHandler(handler)


def _handler_class(logging: Any) -> type:
    class LambdaHandler(logging.Handler):
        def __init__(self, sink: Any, json_format: bool, framed_levels: bool) -> None:
            super().__init__()
            self.sink = sink
            self.base = _JSON if json_format else _TEXT
            self.framed_levels = framed_levels

        def emit(self, record: Any) -> None:
            record.aws_request_id = request_id
            record.tenant_id = tenant_id
            try:
                message = self.format(record)
                frame = _frame_type(self.base, record.levelno) if self.framed_levels else None
                self.sink.log(message, frame)
            except Exception:
                self.handleError(record)

    return LambdaHandler


_RESERVED = frozenset({
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
    "exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated",
    "thread", "threadName", "processName", "process", "aws_request_id", "tenant_id", "taskName",
    "message", "asctime",
})


def _json_formatter_class(logging: Any) -> type:
    import json

    class JsonFormatter(logging.Formatter):
        """One JSON object a record, with the fields the managed runtime writes."""

        def __init__(self) -> None:
            super().__init__(datefmt="%Y-%m-%dT%H:%M:%SZ")

        def format(self, record: Any) -> str:
            level = min(50, max(0, record.levelno)) // 10 * 10
            exc = record.exc_info
            message = record.msg if isinstance(record.msg, dict) and not record.args \
                else record.getMessage()
            out = {
                "timestamp": self.formatTime(record, self.datefmt),
                "level": logging.getLevelName(level),
                "message": message,
                "logger": record.name,
                "requestId": getattr(record, "aws_request_id", None),
            }
            if exc:
                import traceback

                out["stackTrace"] = traceback.format_tb(exc[2])
                out["errorType"] = exc[0].__name__
                out["errorMessage"] = str(exc[1])
                out["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
            if getattr(record, "tenant_id", None) is not None:
                out["tenantId"] = record.tenant_id
            for key, value in record.__dict__.items():
                if key not in _RESERVED and key not in out:
                    out[key] = value
            return json.dumps({k: v for k, v in out.items() if v is not None},
                              ensure_ascii=False, default=str) + "\n"

    return JsonFormatter
