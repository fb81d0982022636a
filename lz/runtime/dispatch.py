"""The Lambda entry point: every event goes to the one route whose shape it has.

Routes are rows in a table (name, does it match, handle it), not an if/elif chain: lz task payloads,
schedules, warm-up pings, S3/SQS/SNS records, and HTTP events for the app. An event nobody handles
is logged with its shape and answered with an error, never a crash.
"""

from __future__ import annotations

from ..adapter.events import Options
from ..adapter.log import event_line, log, request_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

Route = tuple  # (name, matches(event) -> bool, handle(dispatcher, event, context) -> result)


def _record_source(event: dict[str, Any]) -> str | None:
    """The source of a batch of records, if every record is an object of that one source."""
    records = event.get("Records")
    if type(records) is list and records and all(type(r) is dict for r in records):
        sources = [r.get("eventSource") or r.get("EventSource") for r in records]
        first = sources[0]
        if type(first) is str and all(source == first for source in sources):
            return first
    return None


def _get(record: dict[str, Any], *path: str) -> Any:
    """record[path[0]][path[1]]..., or None where a level is missing or not an object."""
    value: Any = record
    for key in path:
        value = value.get(key) if type(value) is dict else None
    return value


def _run_task(dispatcher: Dispatcher, event: dict[str, Any], context: Any) -> Any:
    from ..tasks.run import execute

    return execute(event, request_id(context))


def _run_step(dispatcher: Dispatcher, event: dict[str, Any], context: Any) -> Any:
    """A workflow's Task state: run one registered task and answer with its value (the state
    machine carries it on); see lz/tasks/steps.py."""
    from ..tasks.steps import execute_step

    return execute_step(event, request_id(context))


def _run_schedule(dispatcher: Dispatcher, event: dict[str, Any], context: Any) -> Any:
    from ..tasks.names import Unregistered, resolve

    name = event.get("function")
    try:
        func = resolve(name, ("schedule", "event"))
    except Unregistered as exc:
        log().error("lz: schedule refused (request_id=%s): %s", request_id(context), exc)
        raise
    log().info("lz: schedule %s: start (request_id=%s)", name, request_id(context))
    func(event["input"]) if event.get("input") is not None else func()
    return {"schedule": name}


def _handlers(kind: str) -> list[dict[str, Any]]:
    from ..tasks import SOURCES
    from ..tasks.names import import_declared

    import_declared(kind)
    return [s for s in SOURCES if s["kind"] == kind]


def _s3_matches(source: dict[str, Any], record: dict[str, Any]) -> bool:
    key = _get(record, "s3", "object", "key")
    if type(key) is not str or _get(record, "s3", "bucket", "name") != source["bucket"]:
        return False
    if not key.startswith(source["prefix"]) or not key.endswith(source["suffix"]):
        return False
    event_name = record.get("eventName")
    name = "s3:" + (event_name if type(event_name) is str else "")
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
                          _get(record, "s3", "bucket", "name"), _get(record, "s3", "object", "key"))
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

        payload = json.loads(message.get("body") or "")
        if type(payload) is not dict or payload.get("lz") != "task":
            raise ValueError("a message on the task queue is not an lz task payload")
        execute(payload, rid)
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
        arn = message.get("eventSourceARN")
        queue = arn.rsplit(":", 1)[-1] if type(arn) is str else ""
        try:
            _sqs_message(message, queue, task_queue, rid)
        except Exception:
            log().exception("lz: SQS message %s failed (request_id=%s)", message.get("messageId"), rid)
            failures.append({"itemIdentifier": message.get("messageId")})
    return {"batchItemFailures": failures}


def _run_sns(dispatcher: Dispatcher, event: dict[str, Any], context: Any) -> Any:
    failures: list[str] = []
    for record in event["Records"]:
        topic_arn = _get(record, "Sns", "TopicArn")
        topic_arn = topic_arn if type(topic_arn) is str else ""
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


def _is_warm(event: dict[str, Any]) -> bool:
    """lz's own ping, serverless-plugin-warmup's, or a bare EventBridge scheduled event (a keep-warm
    rule made outside lz, carrying no lz input): answered quietly."""
    source = event.get("source")
    return (event.get("lz") == "warm" or source == "serverless-plugin-warmup"
            or (source == "aws.events" and event.get("detail-type") == "Scheduled Event"))


def _http(dispatcher: Dispatcher, event: dict[str, Any], context: Any) -> Any:
    try:
        return dispatcher.http(event, context)
    except Exception as exc:
        return _http_failure(event, context, exc)


ROUTES: list[Route] = [
    ("task", lambda e: e.get("lz") == "task", _run_task),
    ("step", lambda e: e.get("lz") == "step", _run_step),
    ("schedule", lambda e: e.get("lz") == "schedule", _run_schedule),
    ("invoke", lambda e: e.get("lz") == "invoke", _command("call")),
    ("raw", lambda e: e.get("lz") == "raw", _command("raw")),
    ("manage", lambda e: e.get("lz") == "manage", _command("manage")),
    ("warm-up", _is_warm, _warm),
    ("s3", lambda e: _record_source(e) == "aws:s3", _run_s3),
    ("sqs", lambda e: _record_source(e) == "aws:sqs", _run_sqs),
    ("sns", lambda e: _record_source(e) == "aws:sns", _run_sns),
    ("http", lambda e: "requestContext" in e or "httpMethod" in e, _http),
]


def _logging(http: Callable[[dict, Any], Any]) -> Callable[[dict, Any], Any]:
    """Wrap an HTTP handler that is not an lz adapter so that each request leaves the request
    line on stdout (an adapter writes it itself, from what it parsed: see adapter/log.py)."""
    import sys
    from time import perf_counter

    def logged(event: dict[str, Any], context: Any) -> Any:
        t0 = perf_counter()
        result = http(event, context)
        sys.stdout.write(event_line(event, result, perf_counter() - t0, context))
        return result

    return logged


def _http_failure(event: dict[str, Any], context: Any, exc: Exception) -> dict[str, Any]:
    """An HTTP-shaped event the adapter could not answer (an event of no known source, or a fault
    in lz itself): logged with its shape, answered with a plain error every front can pass on."""
    from ..adapter.events import UnknownEvent

    shape = ", ".join(sorted(map(str, event))[:20])
    stream = getattr(getattr(context, "lz_stream", None), "stream", None)
    if stream is not None and not stream.done:  # a fault after the first byte: the trailers say so
        log().error("lz: the streamed response failed after it began (request_id=%s)",
                    request_id(context), exc_info=exc)
        try:
            stream.fail({"errorType": type(exc).__name__, "errorMessage": str(exc),
                         "requestId": request_id(context)})
        except OSError:
            pass
        return {"statusCode": 500, "streamed": stream.sent}
    if isinstance(exc, UnknownEvent):
        log().warning("lz: an HTTP-like event of no known source (request_id=%s): %s; top-level keys: "
                      "%s", request_id(context), exc, shape)
        status, body = 400, "Bad Request: the event is not one lz can read"
    else:
        log().error("lz: could not answer an HTTP event (request_id=%s); top-level keys: %s",
                    request_id(context), shape, exc_info=exc)
        status, body = 500, "Internal Server Error"
    return {"statusCode": status, "headers": {"Content-Type": "text/plain; charset=utf-8"}, "body": body,
            "isBase64Encoded": False}


class Dispatcher:
    """`handler = Dispatcher(adapt(app)).__call__`: the bundle's entry point (lz_handler.handler).

    Every event gets an answer: an HTTP event its response (an error response where it cannot be
    read), an operator command its result or refusal, any other event the result of the one route
    whose shape it has; a failure of a task, schedule or S3/SNS handler is logged and raised, so
    Lambda's retries and on-failure destination keep the event.
    """

    def __init__(self, http: Callable[[dict, Any], Any] | None = None,
                 routes: list[Route] | None = None, request_log: bool | None = None) -> None:
        import os

        self.http = http
        self.routes = ROUTES if routes is None else routes
        if request_log is None:
            request_log = os.environ.get("LZ_REQUEST_LOG", "1") != "0"
        options = getattr(http, "options", None)
        if type(options) is Options:  # an lz adapter: it writes the request line itself
            options.request_line = bool(request_log)
        elif request_log and http is not None:
            self.http = _logging(http)
        # The hot path calls an adapter's bound __call__: calling the instance would go through
        # the type's call slot, which costs more than the Dispatcher's own checks.
        call = getattr(type(self.http), "__call__", None)
        self._serve = self.http.__call__ if type(call) is type(_logging) else self.http

    def __call__(self, event: Any, context: Any = None) -> Any:
        if type(event) is dict:
            # The hot path first: an HTTP event carries no "lz" key and no "Records".
            if "requestContext" in event and "lz" not in event and "Records" not in event \
                    and self.http is not None:
                try:
                    return self._serve(event, context)
                except Exception as exc:
                    return _http_failure(event, context, exc)
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
