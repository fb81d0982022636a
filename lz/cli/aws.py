"""Talking to AWS: one session, clients made once, every call counted, every error explained.

Each client is made the first time a command needs it and then shared, across threads too (a
botocore client is thread-safe; making one from a session is not, hence the lock). Reads that
several resource kinds make (a function's resource policy, the region's HTTP APIs) go through
`read`, which fetches each once per command until a write `forget`s it, and independent reads run
side by side through `map`: against AWS each call costs 50-150 ms, and a plan is mostly waiting.

Credentials, region and endpoint follow AWS's own conventions (--profile / AWS_PROFILE, --region /
AWS_REGION / AWS_DEFAULT_REGION / the profile's, AWS_ENDPOINT_URL); throttling is retried with
adaptive backoff by botocore. Errors reach the user as one AwsError whose message says what failed,
why, and what to do; never a botocore traceback, never a secret.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")
READERS = 6  # concurrent reads: enough to hide latency, few enough for Lambda's 15 req/s control plane

TAG_PROJECT = "lz:project"
TAG_STAGE = "lz:stage"
_READS = ("Get", "List", "Describe", "Head")


class AwsError(Exception):
    """An AWS call failed; the message is meant for the user as it is."""


class Stopped(Exception):
    """A wait ended early because the command is stopping (another step failed, or Ctrl-C)."""


_HINTS = {
    "AccessDenied": "the identity you deploy with lacks this permission: grant it (or use a profile that has it)",
    "AccessDeniedException": "the identity you deploy with lacks this permission: grant it (or use a profile that has it)",
    "UnauthorizedOperation": "the identity you deploy with lacks this permission",
    "UnrecognizedClientException": "the credentials are not valid: check AWS_PROFILE / your keys",
    "InvalidClientTokenId": "the credentials are not valid: check AWS_PROFILE / your keys",
    "ExpiredToken": "the credentials have expired: log in again (aws sso login, or refresh your keys)",
    "ExpiredTokenException": "the credentials have expired: log in again (aws sso login, or refresh your keys)",
    "Throttling": "AWS kept throttling even after retries: wait a minute and run the command again",
    "ThrottlingException": "AWS kept throttling even after retries: wait a minute and run the command again",
    "TooManyRequestsException": "AWS kept throttling even after retries: wait a minute and run the command again",
    "LimitExceeded": "an account limit was reached: delete unused resources or ask AWS for a higher quota",
    "LimitExceededException": "an account limit was reached: delete unused resources or ask AWS for a higher quota",
    "CodeStorageExceededException": "the account's Lambda code storage is full: delete old function versions",
    "ResourceConflictException": "another update of this resource is in progress: run the command again in a moment",
    "InvalidParameterValueException": "AWS refused a setting: check the value in lz_settings.json",
    "PreconditionFailedException": "it changed since lz read it (another deploy, or a change made "
                                   "outside lz): run the command again",
}


def explain(error: Exception, what: str) -> str:
    """A user-facing sentence for a failed call."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
    )

    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "Error")
        message = error.response.get("Error", {}).get("Message", "")
        hint = _HINTS.get(code, "")
        return f"{what} failed: {code}: {message}" + (f" ({hint})" if hint else "")
    if isinstance(error, NoCredentialsError):
        return (f"{what} failed: no AWS credentials found: set AWS_PROFILE, run `aws configure`, or "
                "export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
    if isinstance(error, NoRegionError):
        return f'{what} failed: no AWS region: set "region" in lz_settings.json, --region or AWS_REGION'
    if isinstance(error, EndpointConnectionError):
        return f"{what} failed: could not reach AWS ({error}): check the network or AWS_ENDPOINT_URL"
    return f"{what} failed: {type(error).__name__}: {error}"


class Aws:
    """Clients for one account and region; `calls` counts every API call by operation."""

    def __init__(self, region: str | None = None, profile: str | None = None) -> None:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ProfileNotFound

        region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        try:
            self.session = boto3.Session(profile_name=profile, region_name=region)
        except (ProfileNotFound, BotoCoreError) as exc:
            raise AwsError(f"cannot use AWS profile {profile!r}: {exc}") from None
        from .models_cache import install

        install(self.session._session)  # service models from a marshal copy, not JSON, after the first
        if not self.session.region_name:
            raise AwsError('no AWS region: set "region" in lz_settings.json, --region or AWS_REGION')
        self.region: str = self.session.region_name
        self._config = Config(retries={"max_attempts": 8, "mode": "adaptive"},
                              user_agent_extra="lz/0.1")
        self._clients: dict[str, Any] = {}
        self.calls: Counter[str] = Counter()
        self._account: str | None = None
        self._lock = threading.RLock()  # counters, remembered reads, the table of one-at-a-time locks
        self._making = threading.Lock()  # making a client (a session is not thread-safe)
        self._memo: dict[tuple, Any] = {}
        self._fetching: dict[tuple, threading.Lock] = {}
        self._serial: dict[tuple, threading.Lock] = {}
        self.stopping = threading.Event()  # set when a command's concurrent work must wind down

    def client(self, service: str, region: str | None = None) -> Any:
        """The service's client in the session's region, or in `region` (ACM in us-east-1 for
        CloudFront's certificates)."""
        key = service if region is None or region == self.region else f"{service}@{region}"
        client = self._clients.get(key)
        if client is None:
            with self._making:  # not self._lock: other threads' calls go on being counted meanwhile
                client = self._clients.get(key)
                if client is None:
                    client = self.session.client(service, config=self._config,
                                                 **({"region_name": region} if region else {}))
                    client.meta.events.register("before-call", self._count)
                    self._clients[key] = client
        return client

    def _count(self, model: Any, **kwargs: Any) -> None:
        with self._lock:
            self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    def read(self, key: tuple, fetch: Callable[[], T]) -> T:
        """`fetch()`, once per `key` until `forget` (callers must not change what it returns)."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]
            fetching = self._fetching.setdefault(key, threading.Lock())
        with fetching:  # a second reader of the same key waits for the first one's answer
            with self._lock:
                if key in self._memo:
                    return self._memo[key]
            value = fetch()
            with self._lock:
                self._memo[key] = value
            return value

    def update(self, key: tuple, change: Callable[[Any], Any]) -> None:
        """Replace a remembered read by `change(value)` (what a write of this command made true),
        so the next reader needs no call; nothing happens when the key was never read."""
        with self._lock:
            if key in self._memo:
                self._memo[key] = change(self._memo[key])

    def serial(self, *key: Any) -> threading.Lock:
        """One lock per key, for calls AWS refuses to take side by side (a Lambda function's resource
        policy: concurrent AddPermission gets ResourceConflictException)."""
        with self._lock:
            return self._serial.setdefault(key, threading.Lock())

    def pause(self, seconds: float) -> None:
        """Sleep between polls or retries, unless the command is stopping: then raise Stopped at
        once, so that a failed step or Ctrl-C is not kept waiting for another step's retries."""
        if self.stopping.wait(seconds):
            raise Stopped("stopped while waiting")

    def forget(self, *prefix: Any) -> None:
        """Drop every remembered read whose key starts with `prefix` (after a write to it)."""
        with self._lock:
            for key in [k for k in self._memo if k[:len(prefix)] == prefix]:
                del self._memo[key]

    def map(self, fn: Callable[[T], R], items: Iterable[T], workers: int = READERS) -> list[R]:
        """[fn(item) for item in items], side by side (`workers` at a time); the first error (in
        item order) is raised."""
        items = list(items)
        if len(items) < 2:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
            futures = [pool.submit(fn, item) for item in items]
            try:
                return [future.result() for future in futures]
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

    def prepare(self, services: Iterable[str]) -> None:
        """Make these clients now (a background thread calls this while the lock is taken and the
        bundle built), so that the plan's first reads do not each wait to make one."""
        for service in services:
            self.client(service)

    @property
    def writes(self) -> int:
        return writes_of(self.calls)

    def account_is(self, account: str) -> None:
        """The account as an answer already in hand shows it (a function's ARN): no STS call."""
        with self._lock:
            self._account = self._account or account

    @property
    def account(self) -> str:
        if self._account is None:
            def fetch() -> str:
                with self.explain("finding the AWS account (sts:GetCallerIdentity)"):
                    return self.client("sts").get_caller_identity()["Account"]

            self._account = self.read(("account",), fetch)
        return self._account

    @contextmanager
    def explain(self, what: str) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            raise AwsError(explain(exc, what)) from None


def writes_of(calls: dict[str, int]) -> int:
    """How many of `calls` ("service:Operation" -> count) change something."""
    return sum(n for op, n in calls.items() if not op.split(":")[1].startswith(_READS))


def error_code(error: BaseException) -> str:
    """The AWS error code of a ClientError ("" for anything else)."""
    response = getattr(error, "response", None)
    return (response or {}).get("Error", {}).get("Code", "") if isinstance(response, dict) else ""


def not_found(error: Exception) -> bool:
    """Whether a ClientError means "no such resource" (each service spells it its own way)."""
    from botocore.exceptions import ClientError

    if not isinstance(error, ClientError):
        return False
    code = error.response.get("Error", {}).get("Code", "")
    return code in ("ResourceNotFoundException", "NoSuchEntity", "NotFoundException", "NotFound",
                    "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
