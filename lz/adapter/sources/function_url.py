"""Lambda Function URL events: the HTTP API 2.0 shape, served from a *.lambda-url.* host.

Kept as its own source because it differs where it matters to users: there is never a stage (any
leading path segment is the app's own), and it is how a request reached the function.
"""

from __future__ import annotations

from typing import Any

from ..events import Options, Request
from .http_v2 import HttpV2


class FunctionUrl(HttpV2):
    name = "function_url"

    def matches(self, event: dict[str, Any]) -> bool:
        rc = event.get("requestContext")
        if event.get("version") != "2.0" or not isinstance(rc, dict) or "http" not in rc:
            return False
        domain = rc.get("domainName")
        return isinstance(domain, str) and ".lambda-url." in domain

    def parse(self, event: dict[str, Any], context: Any, options: Options) -> Request:
        request = super().parse(event, context, options)
        if request.script_name and request.script_name != options.base_path:
            # A Function URL has no stage; put back what the 2.0 rules took for one.
            request.path = request.script_name + request.path
            request.script_name = ""
        return request


SOURCE = FunctionUrl()
