"""Lambda Function URL events: the HTTP API 2.0 shape, served from a *.lambda-url.* host.

Its own source because it differs where it matters to users: there is never a stage (a leading path
segment is always the app's own), it is how the request reached the function, and it can stream.
"""

from __future__ import annotations

from .http_v2 import HttpV2, _is_v2, _lambda_url

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class FunctionUrl(HttpV2):
    name = "function_url"
    has_stage = False
    url = True
    streams = True  # in invoke mode RESPONSE_STREAM

    def matches(self, event: dict[str, Any]) -> bool:
        rc = _is_v2(event)
        return rc is not None and _lambda_url(rc)


SOURCE = FunctionUrl()
