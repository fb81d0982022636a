"""The request log line's fast path writes exactly what json.dumps writes for the same values
(`lz tail` parses it as JSON), whatever text an untrusted event carries."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from lz.runtime.dispatch import _request_line
from tests.builders import Context

VALUES = st.one_of(st.text(), st.none(), st.integers(), st.booleans(), st.lists(st.text(), max_size=2))


def _reference(method, path, status, ms, rid) -> str:
    return json.dumps({"lz": "request", "method": method, "path": path, "status": status,
                       "ms": round(ms, 2), "request_id": rid}, separators=(",", ":"), default=repr) + "\n"


@settings(max_examples=400, deadline=None)
@given(method=VALUES, path=VALUES, status=VALUES, ms=st.floats(0, 1e6), rid=st.text(), v2=st.booleans())
def test_the_line_is_json_dumps_of_the_same_values(method, path, status, ms, rid, v2) -> None:
    if v2:
        event = {"requestContext": {"http": {"method": method}}, "rawPath": path}
    else:
        event = {"requestContext": {}, "httpMethod": method, "path": path}
    line = _request_line(event, {"statusCode": status}, ms, Context(rid))
    assert line == _reference(method, path, status, ms, rid)
    assert json.loads(line)["path"] == path or not isinstance(path, (str, type(None), int, bool))
