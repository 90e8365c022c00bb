"""API keys: create (the plain key is returned once), list (never the key), revoke.

Keys belong to one user in one workspace; their scopes may not exceed what that user's role allows
there, and only signed-in sessions manage their own (the policy refuses API keys). A workspace's
ADMINs list and revoke every member's keys there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from a2n.auth.policy import Action
from a2n.errors import NotFound, Problem, ValidationFailed

if TYPE_CHECKING:
    from a2n.auth.principal import Principal
    from a2n.db.models import ApiKey
    from a2n.db.repositories.base import Keyset, Slice
    from a2n.services.audit import Origin


@dataclass(frozen=True)
class CreatedKey:
    row: ApiKey
    plain: str


@dataclass(frozen=True)
class WorkspaceKeys:
    """One page of a workspace's live keys and their owners' emails."""

    keys: Slice[ApiKey]
    owner_emails: dict[uuid.UUID, str]


def create_api_key(
    principal: Principal,
    name: str,
    scopes: list[str],
    expires_at: datetime | None,
    *,
    rate_limit_per_minute: int | None = None,
    allowed_cidrs: list[str] | None = None,
    origin: Origin | None = None,
    now: datetime | None = None,
) -> CreatedKey:
    """A new key in the caller's workspace. Scopes beyond the caller's role are a 422 (the request
    is well-formed but asks for something this member cannot hand out)."""
    from a2n.auth.api_keys import new_api_key, parse_scopes
    from a2n.auth.policy import scopes_for_role
    from a2n.db.models import ApiKey
    from a2n.db.repositories.identity import ApiKeyRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services import security_events
    from a2n.services.access import require, require_verified_address
    from a2n.services.audit import Actor, record_audit
    from a2n.services.security_events import record_event

    try:
        wanted = parse_scopes(scopes)
    except ValueError as error:
        raise ValidationFailed([Problem("/scopes", str(error))]) from None
    if expires_at is not None and expires_at <= (now or datetime.now(UTC)):
        raise ValidationFailed([Problem("/expiresAt", "must be in the future")])
    cidrs = _networks(allowed_cidrs or [])
    with UnitOfWork() as uow:
        role = require(uow.session, principal, Action.API_KEY_MANAGE)
        assert role is not None  # API_KEY_MANAGE needs a membership
        require_verified_address(uow.session, principal)
        beyond = sorted(s.value for s in wanted - scopes_for_role(role))
        if beyond:
            raise ValidationFailed(
                [Problem("/scopes", f"your {role.value} role cannot grant: {', '.join(beyond)}")]
            )
        material = new_api_key()
        row = ApiKeyRepository(uow.session).add(
            ApiKey(
                user_id=uuid.UUID(principal.user_id),
                workspace_id=uuid.UUID(principal.workspace_id),
                name=name,
                prefix=material.prefix,
                key_hash=material.hash,
                scopes=sorted(s.value for s in wanted),
                expires_at=expires_at,
                rate_limit_per_minute=rate_limit_per_minute,
                allowed_cidrs=cidrs,
            )
        )
        record_audit(
            uow.session,
            workspace_id=row.workspace_id,
            actor=Actor.of(principal),
            action="api_key.create",
            entity_type="api_key",
            entity_id=row.id,
            changes={
                "name": name,
                "scopes": row.scopes,
                "prefix": row.prefix,
                "rateLimitPerMinute": rate_limit_per_minute,
                "allowedCidrs": cidrs,
            },
            origin=origin,
        )
        record_event(
            uow.session,
            row.user_id,
            security_events.API_KEY_CREATED,
            origin,
            {"keyId": str(row.id), "name": name, "prefix": row.prefix, "workspaceId": str(row.workspace_id)},
        )
        uow.commit()
    return CreatedKey(row=row, plain=material.plain)


def list_api_keys(principal: Principal, *, limit: int, after: Keyset | None) -> Slice[ApiKey]:
    """The caller's own live keys in the workspace it acts in."""
    from a2n.db.repositories.identity import ApiKeyRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require

    with UnitOfWork() as uow:
        require(uow.session, principal, Action.API_KEY_MANAGE)
        found = ApiKeyRepository(uow.session).list_for_user(
            uuid.UUID(principal.workspace_id), uuid.UUID(principal.user_id), limit=limit, after=after
        )
        uow.session.expunge_all()  # read-only: the rows stay readable after the unit of work ends
    return found


def revoke_api_key(
    principal: Principal, key_id: str, *, origin: Origin | None = None, now: datetime | None = None
) -> None:
    """Revoke one of the caller's keys; someone else's (or a revoked one) is a 404."""
    own = Action.API_KEY_MANAGE
    _revoke(principal, principal.workspace_id, key_id, own, own_only=True, origin=origin, now=now)


def list_workspace_api_keys(
    principal: Principal, workspace_id: str, *, limit: int, after: Keyset | None
) -> WorkspaceKeys:
    """Every member's live keys in the workspace (ADMIN+), never the key itself."""
    from a2n.db.repositories.identity import ApiKeyRepository, UserRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require, uuid_or_not_found

    target = uuid_or_not_found(workspace_id, "Workspace not found")
    with UnitOfWork() as uow:
        require(uow.session, principal, Action.API_KEY_ADMIN, workspace_id=str(target))
        found = ApiKeyRepository(uow.session).list_live_in_workspace(target, limit=limit, after=after)
        emails = UserRepository(uow.session).emails({key.user_id for key in found.items})
        uow.session.expunge_all()  # read-only: the rows stay readable after the unit of work ends
    return WorkspaceKeys(found, emails)


def revoke_workspace_api_key(
    principal: Principal,
    workspace_id: str,
    key_id: str,
    *,
    origin: Origin | None = None,
    now: datetime | None = None,
) -> None:
    """An ADMIN revokes any member's key in the workspace; a key of another workspace is a 404."""
    _revoke(principal, workspace_id, key_id, Action.API_KEY_ADMIN, own_only=False, origin=origin, now=now)


def _revoke(
    principal: Principal,
    workspace_id: str,
    key_id: str,
    action: Action,
    *,
    own_only: bool,
    origin: Origin | None,
    now: datetime | None,
) -> None:
    from a2n.db.repositories.identity import ApiKeyRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services import security_events
    from a2n.services.access import require, uuid_or_not_found
    from a2n.services.audit import Actor, record_audit
    from a2n.services.security_events import record_event

    workspace = uuid_or_not_found(workspace_id, "Workspace not found")
    target = uuid_or_not_found(key_id, "API key not found")
    with UnitOfWork() as uow:
        require(uow.session, principal, action, workspace_id=str(workspace))
        key = ApiKeyRepository(uow.session).get_in_workspace(workspace, target)
        mine = key is not None and str(key.user_id) == principal.user_id
        if key is None or (own_only and not mine) or key.revoked_at is not None:
            raise NotFound("API key not found")
        key.revoked_at = now or datetime.now(UTC)
        record_audit(
            uow.session,
            workspace_id=key.workspace_id,
            actor=Actor.of(principal),
            action="api_key.revoke",
            entity_type="api_key",
            entity_id=key.id,
            changes={"name": key.name, "userId": str(key.user_id)},
            origin=origin,
        )
        # In the key owner's feed, also when a workspace admin revoked it: the owner learns why it stopped.
        record_event(
            uow.session,
            key.user_id,
            security_events.API_KEY_REVOKED,
            origin,
            {
                "keyId": str(key.id),
                "name": key.name,
                "prefix": key.prefix,
                "workspaceId": str(key.workspace_id),
                "byAdmin": not mine,
            },
        )
        uow.commit()


def _networks(values: list[str]) -> list[str]:
    """The allow-list in canonical form (``10.0.0.7`` → ``10.0.0.7/32``); 422 naming a bad entry."""
    import ipaddress

    networks: list[str] = []
    problems: list[Problem] = []
    for index, value in enumerate(values):
        try:
            networks.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError:
            problems.append(Problem(f"/allowedCidrs/{index}", "must be an IPv4 or IPv6 address or CIDR"))
    if problems:
        raise ValidationFailed(problems)
    return sorted(set(networks))
