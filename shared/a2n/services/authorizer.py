"""The Lambda authorizer's decision: who is calling (JWT or ``a2n_`` API key) and in which workspace.

HTTP APIs answer every authorizer "deny" with 403 and cannot be told otherwise, while invalid
credentials must be a 401 (API.md). So credentials that prove nothing are let through carrying only an
``authError`` context, and ``a2n.api.http.route`` answers 401 before any route code runs; a valid caller
who may not act in the requested workspace is denied here (403). When Postgres cannot be reached the
request is let through marked ``unavailable`` and the route answers 503 + Retry-After, since a 403
would tell clients "never retry". Other unexpected errors deny (fail closed, never an exception, which
API Gateway would turn into a 500). No caching anywhere, so a revoked key or removed member fails on
the next call.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from a2n.errors import Forbidden, Unauthorized

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal

DENY: dict[str, Any] = {"isAuthorized": False}
AUTH_ERROR = "authError"
# A valid caller a workspace policy refuses: the route answers 403 problem+json saying what to do
# (the gateway's own 403 could not say it).
POLICY_ERROR = "policyError"
# An API key over its per-minute limit: the route answers 429 with this many seconds in Retry-After.
RATE_LIMITED = "rateLimited"
UNAVAILABLE = "unavailable"
E = TypeVar("E", bound=Exception)
WORKSPACE_HEADER = "x-workspace-id"


class PolicyRefusal(Forbidden):
    """A policy (a workspace's, or an API key's own allow-list) refuses this caller."""


class KeyRateLimited(Exception):
    """An API key over its requests-per-minute limit: the route answers 429 + Retry-After."""

    def __init__(self, limit: int, retry_after_s: int) -> None:
        super().__init__(f"This API key is limited to {limit} requests per minute")
        self.detail = str(self)
        self.retry_after_s = retry_after_s


TWO_FACTOR_REQUIRED = (
    "This workspace requires two-factor authentication: turn it on (POST /me/2fa/totp) and sign in with it"
)


def authorize_request(event: Mapping[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """The simple-response answer for an HTTP API (payload 2.0) authorizer event."""
    from a2n.observability import get_logger

    get_logger().clear_state()  # no keys left over from a previous invocation
    try:
        principal = resolve_principal(event, now=now)
    except Unauthorized as refused:
        get_logger().info(
            "credentials rejected", extra={"reason": refused.detail, "routeArn": event.get("routeArn")}
        )
        return unauthenticated(refused.detail)
    except (KeyRateLimited, PolicyRefusal) as refused:
        get_logger().info("request refused by a policy", extra={"routeArn": event.get("routeArn")})
        return _answered_by_route(refused)
    except Forbidden as refused:
        get_logger().info(
            "request denied", extra={"reason": refused.detail, "routeArn": event.get("routeArn")}
        )
        return DENY
    except Exception as error:
        from a2n.db.session import is_database_unavailable

        if is_database_unavailable(error):
            get_logger().warning("database unreachable; the route answers 503", exc_info=True)
            return unavailable("database")
        get_logger().exception("authorizer failed; denying")
        return DENY
    from a2n.auth.principal import authorizer_context

    return {"isAuthorized": True, "context": authorizer_context(principal)}


def _answered_by_route(refused: KeyRateLimited | PolicyRefusal) -> dict[str, Any]:
    """A valid caller refused by a policy or a key's rate: the route answers (403 or 429 +
    Retry-After, problem+json saying why). A rate refusal counts in the key's window too, so the
    rest of the minute is refused alike."""
    if isinstance(refused, KeyRateLimited):
        return {"isAuthorized": True, "context": {RATE_LIMITED: str(refused.retry_after_s)}}
    return {"isAuthorized": True, "context": {POLICY_ERROR: refused.detail}}


def unauthenticated(reason: str) -> dict[str, Any]:
    """Let the request reach its route, which answers 401 with ``reason`` and runs nothing else."""
    return {"isAuthorized": True, "context": {AUTH_ERROR: reason}}


def unavailable(dependency: str) -> dict[str, Any]:
    """Let the request reach its route, which answers 503 + Retry-After and runs nothing else."""
    return {"isAuthorized": True, "context": {UNAVAILABLE: dependency}}


def resolve_principal(event: Mapping[str, Any], *, now: datetime | None = None) -> Principal:
    """The caller the event's credentials prove; Unauthorized for anything less."""
    from a2n.auth.api_keys import KEY_PREFIX, looks_like_api_key
    from a2n.db.uow import UnitOfWork

    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items() if isinstance(v, str)}
    token = _bearer(headers.get("authorization", ""))
    requested = _requested_workspace(headers.get(WORKSPACE_HEADER))
    with UnitOfWork() as uow:
        if token.startswith(KEY_PREFIX):
            if not looks_like_api_key(token):
                raise Unauthorized("Malformed API key")
            source_ip = ((event.get("requestContext") or {}).get("http") or {}).get("sourceIp")
            principal = _api_key_principal(uow.session, token, requested, now or datetime.now(UTC), source_ip)
        else:
            principal = _jwt_principal(uow.session, token, requested)
        uow.commit()  # the key's use count and rate window
    return principal


def _bearer(value: str) -> str:
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise Unauthorized("Expected 'Authorization: Bearer <token>'")
    return token


def _requested_workspace(value: str | None) -> uuid.UUID | None:
    if value is None or not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise Forbidden("X-Workspace-Id is not a workspace id") from None


def _jwt_principal(session: Session, token: str, requested: uuid.UUID | None) -> Principal:
    """Without X-Workspace-Id the caller acts in its personal workspace, never in another one it was
    added to. The user's state, the membership and the session deny-list are one indexed statement."""
    from a2n.auth.principal import Principal
    from a2n.auth.tokens import verify_access_token
    from a2n.db.repositories.identity import UserRepository

    claims = verify_access_token(token)
    user_id, session_id = _uuid_or_deny(claims.user_id), _uuid_or_deny(claims.session_id)
    facts = UserRepository(session).caller_facts(user_id, requested, session_id=session_id)
    if facts is None or not facts.is_active:
        raise Unauthorized("Unknown or inactive user")
    if facts.session_revoked:
        raise Unauthorized("Session signed out; sign in again")
    if not facts.is_member:
        # Valid caller, wrong workspace: refused here (403 at the gateway) rather than by each route.
        # (The personal workspace's owner cannot be removed from it, so this needs a named one.)
        raise Forbidden("Not a member of the requested workspace")
    if facts.workspace_requires_two_factor and not claims.two_factor:
        raise PolicyRefusal(TWO_FACTOR_REQUIRED)
    workspace = requested or facts.personal_workspace_id
    return Principal(
        user_id=str(user_id), workspace_id=str(workspace), auth_type="jwt", session_id=str(session_id)
    )


def _api_key_principal(
    session: Session, token: str, requested: uuid.UUID | None, now: datetime, source_ip: str | None
) -> Principal:
    """The key's statement counts the request as it finds the key (no round trip beyond the lookup
    and the owner's facts); its per-minute limit and IP allow-list are checked on what it returned."""
    from a2n.auth.api_keys import hash_api_key
    from a2n.auth.principal import Principal
    from a2n.db.repositories.identity import ApiKeyRepository, UserRepository

    use = ApiKeyRepository(session).use(hash_api_key(token))
    key = use.key if use is not None else None
    if key is None or key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise Unauthorized("Unknown, revoked or expired API key")
    if requested is not None and requested != key.workspace_id:
        raise Forbidden("API key is bound to another workspace")
    if key.allowed_cidrs and not _ip_allowed(source_ip, key.allowed_cidrs):
        raise _counted(
            session,
            key.id,
            PolicyRefusal("This API key may not be used from this IP address (its allow-list)"),
        )
    assert use is not None
    if key.rate_limit_per_minute is not None and use.window_count > key.rate_limit_per_minute:
        raise _counted(session, key.id, KeyRateLimited(key.rate_limit_per_minute, use.retry_after_s))
    owner = UserRepository(session).caller_facts(key.user_id, key.workspace_id)
    if owner is None or not owner.is_active:
        raise Unauthorized("API key owner is inactive")
    if not owner.is_member:  # removal revokes the member's keys; this holds even for older rows
        raise Unauthorized("API key owner is no longer a member of its workspace")
    if owner.workspace_requires_two_factor and not owner.has_two_factor:
        raise PolicyRefusal(TWO_FACTOR_REQUIRED)
    return Principal(
        user_id=str(key.user_id),
        workspace_id=str(key.workspace_id),
        auth_type="api_key",
        scopes=frozenset(key.scopes),
        api_key_id=str(key.id),
    )


def _counted(session: Session, key_id: uuid.UUID, refusal: E) -> E:
    """A request the key's own limits refuse is kept, not rolled back: it stays in use_count and
    last_used_at (and the rate window), and counts in refused_count, so an owner sees a key used from
    an unknown network or past its rate. Costs the refused request one statement instead of the
    owner's facts, so still two in all."""
    from a2n.db.repositories.identity import ApiKeyRepository

    ApiKeyRepository(session).count_refusal(key_id)
    session.commit()
    return refusal


def _ip_allowed(source_ip: str | None, cidrs: list[str]) -> bool:
    import ipaddress

    if not source_ip:
        return False
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def _uuid_or_deny(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Unauthorized("Invalid subject") from None
