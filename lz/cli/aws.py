"""Talking to AWS: one session, clients made once, every call counted, every error explained.

Credentials, region and endpoint follow AWS's own conventions (--profile / AWS_PROFILE, --region /
AWS_REGION / AWS_DEFAULT_REGION / the profile's, AWS_ENDPOINT_URL); throttling is retried with
adaptive backoff by botocore. Errors reach the user as one AwsError whose message says what failed,
why, and what to do; never a botocore traceback, never a secret.
"""

from __future__ import annotations

import os
from collections import Counter
from contextlib import contextmanager
from typing import Any, Iterator

TAG_PROJECT = "lz:project"
TAG_STAGE = "lz:stage"
_READS = ("Get", "List", "Describe", "Head")


class AwsError(Exception):
    """An AWS call failed; the message is meant for the user as it is."""


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
        if not self.session.region_name:
            raise AwsError('no AWS region: set "region" in lz_settings.json, --region or AWS_REGION')
        self.region: str = self.session.region_name
        self._config = Config(retries={"max_attempts": 8, "mode": "adaptive"},
                              user_agent_extra="lz/0.1")
        self._clients: dict[str, Any] = {}
        self.calls: Counter[str] = Counter()
        self._account: str | None = None

    def client(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            client = self.session.client(service, config=self._config)
            client.meta.events.register("before-call", self._count)
            self._clients[service] = client
        return client

    def _count(self, model: Any, **kwargs: Any) -> None:
        self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if not op.split(":")[1].startswith(_READS))

    @property
    def account(self) -> str:
        if self._account is None:
            with self.explain("finding the AWS account (sts:GetCallerIdentity)"):
                self._account = self.client("sts").get_caller_identity()["Account"]
        return self._account

    @contextmanager
    def explain(self, what: str) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            raise AwsError(explain(exc, what)) from None


def not_found(error: Exception) -> bool:
    """Whether a ClientError means "no such resource" (each service spells it its own way)."""
    from botocore.exceptions import ClientError

    if not isinstance(error, ClientError):
        return False
    code = error.response.get("Error", {}).get("Code", "")
    return code in ("ResourceNotFoundException", "NoSuchEntity", "NotFoundException", "NotFound",
                    "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
