"""The Lambda entry point: every event goes to the one route whose shape it has.

Routes are rows in a table (name, does it match, handle it), not an if/elif chain: lz task payloads,
schedules, warm-up pings, S3/SQS/SNS records, and HTTP events for the app. An event nobody handles
is logged with its shape and answered with an error, never a crash.
"""

from __future__ import annotations

from .log import log, request_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

Route = tuple  # (name, matches(event) -> bool, handle(dispatcher, event, context) -> result)


def _record_source(event: dict[str, Any]) -> str | None:
    records = event.get("Records")
    if type(records) is list and records and type(records[0]) is dict:
        first = records[0]
        return first.get("eventSource") or first.get("EventSource")
    return None


def _run_task(dispatcher: Dispatcher, event: dict[str, Any], context: Any) -> Any:
    from ..tasks.run import execute

    return execute(event, request_id(context))


def _run_schedule(dispatcher: Dispatcher, event: dict[str, Any], context: Any) -> Any:
    from ..tasks import find

    name = event.get("function")
    func = find(name)
    log().info("lz: schedule %s: start (request_id=%s)", name, request_id(context))
    func(event["input"]) if event.get("input") is not None else func()
    return {"schedule": name}


def _handlers(kind: str) -> list[dict[str, Any]]:
    from ..tasks import SOURCES

    return [s for s in SOURCES if s["kind"] == kind]


def _s3_matches(source: dict[str, Any], record: dict[str, Any]) -> bool:
    s3 = record.get("s3") or {}
    key = (s3.get("object") or {}).get("key", "")
    if (s3.get("bucket") or {}).get("name") != source["bucket"]:
        return False
    if not key.startswith(source["prefix"]) or not key.endswith(source["suffix"]):
        return False
    name = "s3:" + record.get("eventName", "")
    return any(name == e or (e.endswith("*") and name.startswith(e[:-1])) for e in source["events"])


def _call_each(kind: str, handlers: list[dict[str, Any]], record: dict[str, Any], context: Any,
               failures: list[str]) -> None:
    """Give `record` to every handler; a failure is logged and noted, the others still run."""
    for source in handlers:
        try:
            source["callable"](record)
        except Exception:
            log().exception("lz: @on_%s %s failed (request_id=%s)", kind, source["function"],
                            request_id(context))
            failures.append(source["function"])


def _raise_failures(kind: str, failures: list[str]) -> None:
    # S3 and SNS invoke asynchronously: raising lets Lambda retry and reach the destination.
    if failures:
        raise RuntimeError(f"{kind} handlers failed: {', '.join(failures)}")


def _run_s3(dispatcher: Dispatcher, event: dict[str, Any], context: Any) -> Any:
    failures: list[str] = []
    for record in event["Records"]:
        handlers = [s for s in _handlers("s3") if _s3_matches(s, record)]
        if not handlers:
            log().warning("lz: no @on_s3 handler for %s s3://%s/%s", record.get("eventName"),
                          record.get("s3", {}).get("bucket", {}).get("name"),
                          record.get("s3", {}).get("object", {}).get("key"))
        _call_each("s3", handlers, record, context, failures)
    _raise_failures("S3", failures)
    return {"records": len(event["Records"])}


def _task_queue() -> str | None:
    import os

    url = os.environ.get("LZ_TASK_QUEUE")
    return url.rstrip("/").rsplit("/", 1)[-1] if url else None


def _sqs_message(message: dict[str, Any], queue: str, task_queue: str | None, rid: str) -> None:
    if queue == task_queue:  # lz's own task queue: each body is a task payload
        import json

        from ..tasks.run import execute

        execute(json.loads(message.get("body") or ""), rid)
        return
    handlers = [s for s in _handlers("sqs") if s["queue"] in (queue, message.get("eventSourceARN"))]
    if not handlers:
        raise LookupError(f"no @on_sqs handler for queue {queue}")
    for source in handlers:
        source["callable"](message)


def _run_sqs(dispatcher: Dispatcher, event: dict[str, Any], context: Any) -> Any:
    """Each message separately; failed ones are reported by id (ReportBatchItemFailures), so SQS
    redelivers only those."""
    failures = []
    rid = request_id(context)
    task_queue = _task_queue()
    for message in event["Records"]:
        queue = (message.get("eventSourceARN") or "").rsplit(":", 1)[-1]
        try:
            _sqs_message(message, queue, task_queue, rid)
        except Exception:
            log().exception("lz: SQS message %s failed (request_id=%s)", message.get("messageId"), rid)
            failures.append({"itemIdentifier": message.get("messageId")})
    return {"batchItemFailures": failures}


def _run_sns(dispatcher: Dispatcher, event: dict[str, Any], context: Any) -> Any:
    failures: list[str] = []
    for record in event["Records"]:
        topic_arn = (record.get("Sns") or {}).get("TopicArn") or ""
        topic = topic_arn.rsplit(":", 1)[-1]
        handlers = [s for s in _handlers("sns") if s["topic"] in (topic, topic_arn)]
        if not handlers:
            log().warning("lz: no @on_sns handler for topic %s", topic)
        _call_each("sns", handlers, record, context, failures)
    _raise_failures("SNS", failures)
    return {"records": len(event["Records"])}


def _command(name: str) -> Callable[[Dispatcher, dict[str, Any], Any], Any]:
    def run(dispatcher: Dispatcher, event: dict[str, Any], context: Any) -> Any:
        from . import commands

        log().info("lz: %s command (request_id=%s)", name, request_id(context))
        return commands.answer(getattr(commands, name), event)

    return run


def _warm(dispatcher: Dispatcher, event: dict[str, Any], context: Any) -> Any:
    return {"warm": True}


def _http(dispatcher: Dispatcher, event: dict[str, Any], context: Any) -> Any:
    return dispatcher.http(event, context)


ROUTES: list[Route] = [
    ("task", lambda e: e.get("lz") == "task", _run_task),
    ("schedule", lambda e: e.get("lz") == "schedule", _run_schedule),
    ("invoke", lambda e: e.get("lz") == "invoke", _command("call")),
    ("raw", lambda e: e.get("lz") == "raw", _command("raw")),
    ("manage", lambda e: e.get("lz") == "manage", _command("manage")),
    ("warm-up", lambda e: e.get("lz") == "warm" or e.get("source") == "serverless-plugin-warmup", _warm),
    ("s3", lambda e: _record_source(e) == "aws:s3", _run_s3),
    ("sqs", lambda e: _record_source(e) == "aws:sqs", _run_sqs),
    ("sns", lambda e: _record_source(e) == "aws:sns", _run_sns),
    ("http", lambda e: "requestContext" in e or "httpMethod" in e, _http),
]


def _logging(http: Callable[[dict, Any], Any]) -> Callable[[dict, Any], Any]:
    """Wrap the HTTP handler so that each request leaves one structured line on stdout (so in
    CloudWatch): {"lz": "request", method, path, status, ms, request_id}; `lz tail` formats it."""
    import sys
    from json import dumps
    from time import perf_counter

    def logged(event: dict[str, Any], context: Any) -> Any:
        t0 = perf_counter()
        result = http(event, context)
        ms = (perf_counter() - t0) * 1000
        http_ctx = (event.get("requestContext") or {}).get("http")
        if type(http_ctx) is dict:
            method, path = http_ctx.get("method"), event.get("rawPath")
        else:
            method, path = event.get("httpMethod"), event.get("path")
        status = result.get("statusCode") if type(result) is dict else None
        sys.stdout.write(dumps({"lz": "request", "method": method, "path": path, "status": status,
                                "ms": round(ms, 2), "request_id": request_id(context)},
                               separators=(",", ":")) + "\n")
        return result

    return logged


class Dispatcher:
    """`handler = Dispatcher(adapt(app))`: the bundle's entry point (lz_handler.handler)."""

    def __init__(self, http: Callable[[dict, Any], Any] | None = None,
                 routes: list[Route] | None = None, request_log: bool | None = None) -> None:
        import os

        self.http = http
        self.routes = ROUTES if routes is None else routes
        if request_log is None:
            request_log = os.environ.get("LZ_REQUEST_LOG", "1") != "0"
        if request_log and http is not None:
            self.http = _logging(http)

    def __call__(self, event: Any, context: Any = None) -> Any:
        if type(event) is dict:
            # The hot path first: an HTTP event carries no "lz" key and no "Records".
            if self.http is not None and "requestContext" in event and "lz" not in event \
                    and "Records" not in event:
                return self.http(event, context)
            for name, matches, handle in self.routes:
                if matches(event):
                    if name == "http" and self.http is None:
                        break
                    return handle(self, event, context)
            shape = sorted(map(str, event))[:20]
        else:
            shape = [type(event).__name__]
        log().error("lz: no route for this event (request_id=%s); its top-level keys: %s",
                    request_id(context), ", ".join(shape))
        return {"error": "lz: no route for this event", "keys": shape}
