"""What a deploy asked of AWS, read from moto's request recorder rather than from moto's state.

moto keeps what it is given but does not always render it as AWS would (a Lambda permission's
FunctionUrlAuthType or InvokedViaFunctionUrl stays a loose key instead of a condition, and every
qualifier lands on one shared policy), so the tests that check AWS's documented rules look at the
requests themselves: each call's service (from the request's SigV4 credential scope), operation and
parameters, in order, and the Lambda permissions still granted once every AddPermission and
RemovePermission has been replayed, keyed by (qualifier, statement id).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from tests.cli.conftest import moto_requests

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
# Lambda's REST paths lz uses: (method, path pattern) -> operation
_LAMBDA = [
    ("POST", r"/2015-03-31/functions/(?P<name>[^/]+)/policy", "AddPermission"),
    ("DELETE", r"/2015-03-31/functions/(?P<name>[^/]+)/policy/(?P<sid>[^/]+)", "RemovePermission"),
    ("POST", r"/2021-10-31/functions/(?P<name>[^/]+)/url", "CreateFunctionUrlConfig"),
    ("PUT", r"/2021-10-31/functions/(?P<name>[^/]+)/url", "UpdateFunctionUrlConfig"),
    ("POST", r"/2015-03-31/event-source-mappings/?", "CreateEventSourceMapping"),
    ("POST", r"/2015-03-31/functions/?", "CreateFunction"),
    ("POST", r"/2015-03-31/functions/(?P<name>[^/]+)/aliases", "CreateAlias"),
    ("PUT", r"/2015-03-31/functions/(?P<name>[^/]+)/aliases/(?P<alias>[^/]+)", "UpdateAlias"),
    ("POST", r"/2015-03-31/functions/(?P<name>[^/]+)/versions", "PublishVersion"),
]


@dataclass
class Call:
    service: str
    operation: str
    params: dict = field(default_factory=dict)


def _text(body) -> str:
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return body or ""


def _parse(entry: dict) -> Call:
    headers = {k.lower(): v for k, v in entry["headers"].items()}
    scope = _SCOPE.search(headers.get("authorization", ""))
    service = scope.group(1) if scope else "?"
    url = urlsplit(entry["url"])
    query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
    body = _text(entry.get("body"))
    if "x-amz-target" in headers:
        return Call(service, headers["x-amz-target"].rsplit(".", 1)[-1], json.loads(body or "{}"))
    if body.startswith("Action=") or "&Action=" in body:
        form = {k: v[0] for k, v in parse_qs(body).items()}
        return Call(service, form.pop("Action"), form)
    if service == "lambda":
        for method, pattern, operation in _LAMBDA:
            match = re.fullmatch(pattern, url.path)
            if match and entry["method"] == method:
                params = {**query, **{k: unquote(v) for k, v in match.groupdict().items()}}
                if body.strip().startswith("{"):
                    params.update(json.loads(body))
                return Call(service, operation, params)
    if service == "s3" and entry["method"] == "PUT" and "notification" in query:
        return Call(service, "PutBucketNotificationConfiguration",
                    {"Bucket": url.path.strip("/"), "xml": body})
    params = dict(query)
    if body.strip().startswith("{"):
        params.update(json.loads(body))
    return Call(service, f"{entry['method']} {unquote(url.path)}", params)


def record(endpoint: str, action: str) -> list[Call]:
    """action "start": record from now on; "stop": stop and return every call, in order."""
    return [_parse(entry) for entry in moto_requests(endpoint, action)]


def calls_of(calls: list[Call], service: str, operation: str) -> list[Call]:
    return [c for c in calls if c.service == service and c.operation == operation]


def index_of(calls: list[Call], service: str, operation: str, **match) -> int:
    """Where the first matching call is in the recording (ValueError when there is none)."""
    for i, c in enumerate(calls):
        if c.service == service and c.operation == operation and \
                all(c.params.get(k) == v for k, v in match.items()):
            return i
    raise ValueError(f"no {service}:{operation} {match} was made")


def granted(calls: list[Call], function: str) -> dict[tuple[str, str], dict]:
    """The function's permissions after replaying its AddPermission / RemovePermission calls:
    {(qualifier or "", statement id): the AddPermission parameters}."""
    out: dict[tuple[str, str], dict] = {}
    for c in calls:
        if c.service != "lambda" or c.params.get("name") != function:
            continue
        if c.operation == "AddPermission":
            out[(c.params.get("Qualifier", ""), c.params["StatementId"])] = c.params
        elif c.operation == "RemovePermission":
            out.pop((c.params.get("Qualifier", ""), c.params["sid"]), None)
    return out
