"""The adapter's logger, created on first use so that `logging` is not imported on a cold start
that never logs (on Lambda the runtime has usually imported it already; locally it costs ~5 ms)."""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any

_logger: Any = None


def log() -> Any:
    global _logger
    if _logger is None:
        import logging

        _logger = logging.getLogger("lz")
    return _logger


def request_id(context: Any) -> str:
    """The Lambda request id, for every error line (so a log search finds the request)."""
    rid = getattr(context, "aws_request_id", None)
    return rid if isinstance(rid, str) else "-"
