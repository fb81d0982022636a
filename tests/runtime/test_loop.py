"""lz's runtime loop beside awslambdaric, on the same bundle and the same local Runtime API: the same
context, results, errors, init errors and log lines; and what only a process can show (timeouts,
crashes, a thousand invocations on one connection).

Each function starts through the exec wrapper as Lambda's managed runtime starts it
(AWS_LAMBDA_EXEC_WRAPPER; "Modifying the runtime environment", Lambda guide:
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from lz.cli.local.runner import LocalFunction
from tests.cli.conftest import need_python
from tests.runtime.support import LZ_LOOP, runtime_zip

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("runtime-loop")]

HANDLER = r'''
import json, logging, os, sys, time

logging.getLogger().setLevel(logging.INFO)
if os.environ.get("FAIL_AT_IMPORT"):
    raise RuntimeError("cannot reach the database at import")


def handler(event, context):
    what = event.get("do") if isinstance(event, dict) else "raw"
    if what == "context":
        cc = context.client_context
        return {
            "names": sorted(n for n in dir(context) if not n.startswith("_") and n != "lz_stream"),
            "aws_request_id": context.aws_request_id == os.environ.get("EXPECT_ID", context.aws_request_id),
            "function_name": context.function_name, "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "log_group_name": context.log_group_name, "log_stream_name": context.log_stream_name,
            "identity": [context.identity.cognito_identity_id, context.identity.cognito_identity_pool_id],
            "client_context": None if cc is None else [cc.custom, cc.env, cc.client.app_title],
            "w3c": context.w3c() if hasattr(context, "w3c") else None,
            "tenant_id": context.tenant_id,
            "remaining_ok": 0 < context.get_remaining_time_in_millis() <= 30000,
            "trace": os.environ.get("_X_AMZN_TRACE_ID", "")[:7],
            "repr": type(context).__name__ in repr(context),
        }
    if what == "trace":
        return {"env": os.environ.get("_X_AMZN_TRACE_ID"), "getenv": os.getenv("_X_AMZN_TRACE_ID")}
    if what == "log":
        logging.getLogger("app").warning("careful: %s", event["n"])
        print("printed", event["n"])
        return "logged"
    if what == "raise":
        raise KeyError(event.get("key", "k"))
    if what == "marshal":
        return {"x": object()}
    if what == "bytes":
        return b"\x00\xffraw"
    if what == "unicode":
        return {"text": "h\u00e9 \u2603", "nan": float("nan")}
    if what == "sleep":
        time.sleep(event["seconds"])
        return "woke"
    if what == "exit":
        os._exit(3)
    if what == "pid":
        return os.getpid()
    if what == "stats":
        fds = len(os.listdir("/proc/self/fd"))
        rss = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS")][0]
        return {"fds": fds, "rss_kb": rss}
    return {"echo": event}
'''


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return runtime_zip(tmp_path_factory.mktemp("loop") / "b.zip", {"fn.py": HANDLER})


def _fn(bundle: Path, runtime: str, **options: Any) -> LocalFunction:
    python = need_python("3.13")
    environment = dict(options.pop("environment", {}))
    if runtime == "lz":
        environment.update(LZ_LOOP)
    options.setdefault("handler", "fn.handler")
    return LocalFunction(bundle, "3.13", python=python, environment=environment, **options)


def _same(text: Any) -> Any:
    """A value with what differs between two runs (request ids, temporary folders) masked."""
    out = json.dumps(text, sort_keys=True)
    out = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", out)
    out = re.sub(r"/[^\"]*?/task/", "<task>/", out)
    return json.loads(out)


EVENTS = [
    {"do": "echo", "nested": {"a": [1, 2.5, None, True]}},
    {"do": "raise", "key": "missing"},
    {"do": "marshal"},
    {"do": "bytes"},
    {"do": "unicode"},
    ["not", "a", "dict"],
    "a string event",
]


def test_results_and_errors_are_those_of_awslambdaric(lz_env, bundle: Path) -> None:
    results = {}
    for runtime in ("awslambdaric", "lz"):
        with _fn(bundle, runtime) as fn:
            results[runtime] = [
                (inv.outcome.kind, _same(inv.outcome.payload)) for inv in map(fn.invoke, EVENTS)
            ]
            assert fn.starts == 1  # errors never cost the execution environment
    assert results["lz"] == results["awslambdaric"]
    kinds = [kind for kind, _ in results["lz"]]
    assert kinds == ["response", "error", "error", "response", "response", "response", "response"]
    error = results["lz"][1][1]
    assert error["errorType"] == "KeyError" and error["errorMessage"] == "'missing'"
    assert error["requestId"] == "<id>" and 'fn.py", line' in error["stackTrace"][0]


def test_handler_error_carries_the_error_type_header(lz_env, bundle: Path) -> None:
    """The Runtime API's /invocation/{id}/error takes Lambda-Runtime-Function-Error-Type ("AWS
    Lambda runtime API", Lambda guide: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html)."""
    with _fn(bundle, "lz") as fn:
        failed = fn.invoke({"do": "raise"})
        assert failed.outcome.kind == "error" and failed.outcome.error_type == "KeyError"
        marshal = fn.invoke({"do": "marshal"})
        assert marshal.outcome.error_type == "Runtime.MarshalError"
        assert "Unable to marshal response" in marshal.outcome.payload["errorMessage"]


def test_context_is_that_of_awslambdaric(lz_env, bundle: Path) -> None:
    headers = {
        "Lambda-Runtime-Client-Context": json.dumps({
            "custom": {"k": "v"}, "env": {"e": "1"}, "client": {"app_title": "t"},
            "w3c": {"traceparent": "00-abc-def-01", "junk": 1}}),
        "Lambda-Runtime-Cognito-Identity": json.dumps({"cognitoIdentityId": "id-1",
                                                       "cognitoIdentityPoolId": "pool-1"}),
        "Lambda-Runtime-Aws-Tenant-Id": "tenant-7",
    }
    seen = {}
    for runtime in ("awslambdaric", "lz"):
        with _fn(bundle, runtime, name="ctx-fn", memory=256) as fn:
            bare = fn.invoke({"do": "context"})
            full = fn.invoke({"do": "context"}, headers=headers)
            seen[runtime] = (bare.result, full.result)
    assert seen["lz"] == seen["awslambdaric"]
    bare, full = seen["lz"]
    assert {"aws_request_id", "function_name", "function_version", "invoked_function_arn",
            "memory_limit_in_mb", "log_group_name", "log_stream_name", "identity", "client_context",
            "tenant_id", "get_remaining_time_in_millis"} <= set(bare["names"])
    assert bare["function_name"] == "ctx-fn" and bare["memory_limit_in_mb"] == "256"
    assert bare["invoked_function_arn"].endswith(":function:ctx-fn")
    assert bare["remaining_ok"] and bare["trace"] == "Root=1-" and bare["client_context"] is None
    assert full["identity"] == ["id-1", "pool-1"] and full["client_context"] == [{"k": "v"}, {"e": "1"}, "t"]
    assert full["tenant_id"] == "tenant-7" and full["w3c"] == {"traceparent": "00-abc-def-01"}


def test_log_lines_carry_the_request_id_as_awslambdaric_writes_them(lz_env, bundle: Path) -> None:
    lines = {}
    for runtime in ("awslambdaric", "lz"):
        with _fn(bundle, runtime) as fn:
            inv = fn.invoke({"do": "log", "n": 7})
            request_id = inv.outcome.request_id
            warned = [line for line in inv.log if "careful: 7" in line]
            assert warned and request_id in warned[0], inv.log
            assert "printed 7" in inv.log
            lines[runtime] = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "<time>",
                                    warned[0].replace(request_id, "<id>"))
    assert lines["lz"] == lines["awslambdaric"] == "[WARNING]\t<time>\t<id>\tcareful: 7"


def test_json_log_format_as_awslambdaric(lz_env, bundle: Path) -> None:
    records = {}
    for runtime in ("awslambdaric", "lz"):
        with _fn(bundle, runtime, environment={"AWS_LAMBDA_LOG_FORMAT": "JSON"}) as fn:
            inv = fn.invoke({"do": "log", "n": 8})
            line = next(line for line in inv.log if "careful: 8" in line)
            record = json.loads(line)
            assert record["requestId"] == inv.outcome.request_id
            records[runtime] = sorted(record), record["level"], record["logger"], record["message"]
    assert records["lz"] == records["awslambdaric"]


@pytest.mark.parametrize("handler,fail,error_type", [
    ("fn.handler", "1", "RuntimeError"),  # the module raised at import
    ("fn.nothing", "", "Runtime.HandlerNotFound"),
    ("nomodule.handler", "", "Runtime.ImportModuleError"),
    ("nodots", "", "Runtime.MalformedHandlerName"),
    ("sys.handler", "", "Runtime.BuiltInModuleConflict"),
])
def test_init_errors_are_those_of_awslambdaric(lz_env, bundle: Path, handler: str, fail: str,
                                               error_type: str) -> None:
    seen = {}
    for runtime in ("awslambdaric", "lz"):
        with _fn(bundle, runtime, handler=handler, environment={"FAIL_AT_IMPORT": fail}) as fn:
            inv = fn.invoke({"do": "echo"})
            assert inv.outcome.kind == "init_error", inv.describe()
            assert fn.api.init_error is not None
            if runtime == "lz":  # the Runtime API's /init/error takes the error type header too
                assert fn.api.init_error.error_type == error_type
            seen[runtime] = _same(inv.outcome.payload)
            seen[runtime]["stackTrace"] = [line for line in seen[runtime]["stackTrace"] if "fn.py" in line]
    assert seen["lz"] == seen["awslambdaric"]
    assert seen["lz"]["errorType"] == error_type


def test_trace_id_is_set_for_each_invocation(lz_env, bundle: Path) -> None:
    with _fn(bundle, "lz") as fn:
        traces = [fn.invoke({"do": "trace"}).result for _ in range(3)]
        assert all(t["env"].startswith("Root=1-") and t["env"] == t["getenv"] for t in traces)
        assert len({t["env"] for t in traces}) == 3  # the invocation's own, each time


def test_a_timeout_ends_the_process_and_the_next_invocation_is_cold(lz_env, bundle: Path) -> None:
    with _fn(bundle, "lz", timeout=1) as fn:
        before = fn.invoke({"do": "pid"}).result
        slow = fn.invoke({"do": "sleep", "seconds": 5})
        assert slow.outcome.kind == "timeout"
        after = fn.invoke({"do": "pid"})
        assert after.ok and after.cold and after.result != before and fn.starts == 2


def test_a_crash_mid_invocation_makes_the_next_one_cold(lz_env, bundle: Path) -> None:
    with _fn(bundle, "lz") as fn:
        before = fn.invoke({"do": "pid"}).result
        crashed = fn.invoke({"do": "exit"})
        assert crashed.outcome.kind == "error"
        assert crashed.outcome.payload["errorType"] == "Runtime.ExitError"
        after = fn.invoke({"do": "pid"})
        assert after.ok and after.cold and after.result != before


def test_a_thousand_invocations_use_one_connection_and_do_not_grow(lz_env, bundle: Path) -> None:
    with _fn(bundle, "lz") as fn:
        for _ in range(50):  # warm up: allocator pools, caches
            assert fn.invoke({"do": "echo", "pad": "x" * 512}).ok
        start = fn.invoke({"do": "stats"}).result
        for i in range(1000):
            assert fn.api.invoke({"do": "echo", "i": i, "pad": "x" * 512}, 30).ok
        end = fn.invoke({"do": "stats"}).result
        assert fn.api.connections == 1 and fn.starts == 1
        assert end["fds"] == start["fds"]
        # no per-invocation growth: 64 KiB is less than a 100-byte leak per invocation (a new
        # _X_AMZN_TRACE_ID given to setenv() each time, as awslambdaric does) adds up to
        assert end["rss_kb"] - start["rss_kb"] < 64, (start, end)


def test_the_wrapper_hands_over_to_awslambdaric_when_asked(lz_env, bundle: Path) -> None:
    with _fn(bundle, "lz", environment={"LZ_RUNTIME": "awslambdaric"}) as fn:
        inv = fn.invoke({"do": "context"})
        assert inv.ok and inv.result["repr"]
        assert not any("lz_stream" in name for name in inv.result["names"])


def test_a_bundle_without_the_loop_runs_under_awslambdaric(lz_env, tmp_path: Path) -> None:
    import zipfile

    old = tmp_path / "old.zip"  # a bundle of before this work: the wrapper set, no lz/runtime
    with zipfile.ZipFile(runtime_zip(tmp_path / "full.zip", {"fn.py": HANDLER})) as src, \
            zipfile.ZipFile(old, "w") as dst:
        for info in src.infolist():
            if not info.filename.startswith("lz/runtime/") or info.filename.endswith("wrapper.sh"):
                dst.writestr(info, src.read(info))
    with _fn(old, "lz") as fn:
        assert fn.invoke({"do": "echo"}).ok


def test_a_wrapper_that_is_not_executable_fails_as_on_lambda(lz_env, tmp_path: Path) -> None:
    import zipfile

    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(runtime_zip(tmp_path / "full.zip", {"fn.py": HANDLER})) as src, \
            zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            if info.filename.endswith("wrapper.sh"):
                info.external_attr = 0o100644 << 16
            dst.writestr(info, src.read(info))
    with _fn(broken, "lz") as fn:
        inv = fn.invoke({"do": "echo"})
        assert inv.outcome.kind == "error" and "exited with code 126" in inv.describe()
        assert any("is not an executable" in line for line in inv.log)
