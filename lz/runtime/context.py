"""The `context` a handler receives: every attribute and method awslambdaric's LambdaContext has,
so code written for the managed runtime (Powertools, Sentry, Django middleware...) reads the same
values here.

The environment's constant values are read once per process; the per-invocation ones come from the
/invocation/next headers. `lz_stream` is lz's own addition: present (not None) only where this
invocation's response may be streamed (see stream.py).
"""

from __future__ import annotations

import os
from time import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_W3C_FIELDS = ("traceparent", "tracestate", "baggage")


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, identity: dict[str, Any] | None = None) -> None:
        identity = identity or {}
        self.cognito_identity_id = identity.get("cognitoIdentityId")
        self.cognito_identity_pool_id = identity.get("cognitoIdentityPoolId")

    def __repr__(self) -> str:
        return (f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
                f"cognito_identity_pool_id={self.cognito_identity_pool_id}])")


class Client:
    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code",
                 "app_package_name")

    def __init__(self, client: dict[str, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, client.get(name))

    def __repr__(self) -> str:
        return "Client([" + ",".join(f"{n}={getattr(self, n)}" for n in self.__slots__) + "])"


class ClientContext:
    __slots__ = ("custom", "env", "client")

    def __init__(self, context: dict[str, Any]) -> None:
        self.custom = context.get("custom")
        self.env = context.get("env")
        client = context.get("client")
        self.client = Client(client) if isinstance(client, dict) else None

    def __repr__(self) -> str:
        return f"ClientContext([custom={self.custom},env={self.env},client={self.client}])"


_ENV = (
    os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME"),
    os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME"),
    os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
    os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),  # a string, as awslambdaric gives it
    os.environ.get("AWS_LAMBDA_FUNCTION_VERSION"),
)


class LambdaContext:
    """One invocation's context. A plain class: CPython 3.12+ keeps its attributes inline, which
    measured cheaper than slots for an object made once per invocation."""

    lz_stream: Any = None  # a stream opener where the response may stream (see stream.py)

    def __init__(self, request_id: str, deadline_ms: int, function_arn: str | None,
                 client_context: dict[str, Any] | None = None,
                 identity: dict[str, Any] | None = None, tenant_id: str | None = None) -> None:
        self.aws_request_id = request_id
        (self.log_group_name, self.log_stream_name, self.function_name, self.memory_limit_in_mb,
         self.function_version) = _ENV
        self.invoked_function_arn = function_arn
        self.tenant_id = tenant_id
        self._deadline_ms = deadline_ms
        self._w3c: dict[str, str] = {}
        if client_context is not None:
            w3c = client_context.pop("w3c", None)  # read through w3c(), not client_context
            if isinstance(w3c, dict):
                self._w3c = {k: w3c[k] for k in _W3C_FIELDS if isinstance(w3c.get(k), str)}
            self.client_context: ClientContext | None = ClientContext(client_context)
        else:
            self.client_context = None
        self.identity = CognitoIdentity(identity)

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before Lambda ends this invocation (0 once past it)."""
        left = self._deadline_ms - int(time() * 1000)
        return left if left > 0 else 0

    def w3c(self) -> dict[str, str]:
        """The W3C trace context the invoker sent (traceparent, tracestate, baggage)."""
        return dict(self._w3c)

    def log(self, message: Any) -> None:
        """Write to the function's log, as awslambdaric's context.log does."""
        from .logs import write

        write(str(message))

    def __repr__(self) -> str:
        return (f"LambdaContext([aws_request_id={self.aws_request_id},"
                f"log_group_name={self.log_group_name},log_stream_name={self.log_stream_name},"
                f"function_name={self.function_name},memory_limit_in_mb={self.memory_limit_in_mb},"
                f"function_version={self.function_version},"
                f"invoked_function_arn={self.invoked_function_arn},"
                f"client_context={self.client_context},identity={self.identity},"
                f"tenant_id={self.tenant_id}])")
