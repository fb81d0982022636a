"""A minimal AWS client for the runtime: one signed JSON POST (Signature Version 4), standard
library only, because the runtime may not import boto3 (a cold start would pay ~300 ms for it, and
a bundle without boto3 must still read its secrets).

It speaks the AWS JSON 1.1 protocol (`X-Amz-Target: Service.Operation`), which both services the
runtime calls use (SSM Parameter Store, Secrets Manager). Credentials come from the environment,
as Lambda provides them to the execution environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN); the endpoint from AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL (as the
AWS SDKs read them, so a test can point it at a local server), else the service's regional one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# service signing name -> (X-Amz-Target prefix, the SDKs' AWS_ENDPOINT_URL_<ID> suffix)
SERVICES = {
    "ssm": ("AmazonSSM", "SSM"),
    "secretsmanager": ("secretsmanager", "SECRETS_MANAGER"),
}


class AwsCallError(Exception):
    """A call AWS (or the network) refused; `code` is AWS's error code when it gave one."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def endpoint(service: str, region: str) -> str:
    suffix = SERVICES[service][1]
    return (os.environ.get(f"AWS_ENDPOINT_URL_{suffix}") or os.environ.get("AWS_ENDPOINT_URL")
            or f"https://{service}.{region}.amazonaws.com")


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def sign(service: str, region: str, host: str, body: bytes, target: str, now: float,
         access_key: str, secret_key: str, token: str | None) -> dict[str, str]:
    """The headers of a signed POST to `/` (Signature Version 4: "Create a signed AWS API
    request", IAM user guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    day = stamp[:8]
    headers = {"content-type": "application/x-amz-json-1.1", "host": host, "x-amz-date": stamp,
               "x-amz-target": target}
    if token:
        headers["x-amz-security-token"] = token
    names = sorted(headers)
    canonical = "\n".join([
        "POST", "/", "",
        "".join(f"{name}:{headers[name].strip()}\n" for name in names),
        ";".join(names),
        hashlib.sha256(body).hexdigest(),
    ])
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope,
                         hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret_key).encode("utf-8"), day), region), service),
                "aws4_request")
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return headers


def call(service: str, operation: str, params: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """POST `params` as `operation` to `service` in this function's region; the decoded answer, or
    AwsCallError carrying AWS's error code and message (never the request: it may name secrets,
    though it never holds their values)."""
    import http.client
    import urllib.parse

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    access_key = os.environ.get("AWS_ACCESS_KEY_ID")
    secret_key = os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not access_key or not secret_key:
        raise AwsCallError(f"no AWS credentials in the environment to call {service} "
                           "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)", "MissingCredentials")
    url = urllib.parse.urlsplit(endpoint(service, region))
    body = json.dumps(params).encode("utf-8")
    headers = sign(service, region, url.netloc, body, f"{SERVICES[service][0]}.{operation}", time.time(),
                   access_key, secret_key, os.environ.get("AWS_SESSION_TOKEN"))
    connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(url.netloc, timeout=timeout)
    try:
        connection.request("POST", (url.path.rstrip("/") or "") + "/", body, headers)
        response = connection.getresponse()
        data = response.read()
    except OSError as exc:
        raise AwsCallError(f"{service} {operation}: cannot reach {url.netloc}: {exc}", "Network") from None
    finally:
        connection.close()
    try:
        answer = json.loads(data or b"{}")
    except ValueError:
        answer = {}
    if response.status >= 300:
        code = str(answer.get("__type") or answer.get("code") or response.status).rsplit("#", 1)[-1]
        message = answer.get("message") or answer.get("Message") or data[:200].decode("utf-8", "replace")
        raise AwsCallError(f"{service} {operation}: {code}: {message}", code)
    return answer
