"""Who the front's authorizer let in, for a view: `lz.auth.claims(request.environ)` (WSGI) or
`lz.auth.claims(scope)` (ASGI), instead of digging through the event's requestContext by hand.

The adapter puts the Lambda event in environ["aws.event"] / scope["aws.event"]; these read the
authorizer's part of it, which API Gateway and Lambda write after checking the caller (a client
cannot set it: it is not a header). Anything missing or malformed reads as "nobody":
an empty dict or None, never an exception.

- claims(): the JWT's claims from an HTTP API JWT authorizer (requestContext.authorizer.jwt.claims)
  or a REST API Cognito authorizer (requestContext.authorizer.claims). API Gateway passes each claim
  as text (a list claim as "[a b]").
- caller(): the IAM identity of a SigV4-signed call (AWS_IAM on an HTTP API or a Function URL:
  requestContext.authorizer.iam; on a REST API: requestContext.identity), as the event names its
  fields (userArn, accountId, ...), or None.
- api_key_id(): the id of the API key a REST API checked (requestContext.identity.apiKeyId), or None.

Standard library only, and nothing is imported: it ships in every bundle.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Mapping

__all__ = ["api_key_id", "caller", "claims"]
_IAM_FIELDS = ("accessKey", "accountId", "caller", "callerId", "cognitoIdentity", "principalOrgId",
               "user", "userArn", "userId")


def _context(environ_or_scope: Mapping[str, Any]) -> dict[str, Any]:
    event = environ_or_scope.get("aws.event") if hasattr(environ_or_scope, "get") else None
    rc = event.get("requestContext") if type(event) is dict else None
    return rc if type(rc) is dict else {}


def _authorizer(environ_or_scope: Mapping[str, Any]) -> dict[str, Any]:
    auth = _context(environ_or_scope).get("authorizer")
    return auth if type(auth) is dict else {}


def claims(environ_or_scope: Mapping[str, Any]) -> dict[str, Any]:
    """The verified token's claims ({} when the request carried none the front checked)."""
    auth = _authorizer(environ_or_scope)
    jwt = auth.get("jwt")
    found = jwt.get("claims") if type(jwt) is dict else auth.get("claims")
    return dict(found) if type(found) is dict else {}


def caller(environ_or_scope: Mapping[str, Any]) -> dict[str, Any] | None:
    """The IAM caller of a SigV4-signed request (None when the front did not check IAM)."""
    iam = _authorizer(environ_or_scope).get("iam")
    if type(iam) is not dict:
        identity = _context(environ_or_scope).get("identity")
        iam = identity if type(identity) is dict and identity.get("userArn") else None
    if iam is None:
        return None
    return {key: iam[key] for key in _IAM_FIELDS if iam.get(key) is not None}


def api_key_id(environ_or_scope: Mapping[str, Any]) -> str | None:
    """The id of the API key a REST API checked for this request."""
    identity = _context(environ_or_scope).get("identity")
    key = identity.get("apiKeyId") if type(identity) is dict else None
    return key if type(key) is str and key else None
