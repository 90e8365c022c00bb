"""API keys: create (the plain key is returned once), list (never the key), revoke.

Keys belong to one user in one workspace; their scopes may not exceed what that user's role allows
there, and only signed-in sessions manage them (the policy refuses API keys).
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


def create_api_key(
    principal: Principal,
    name: str,
    scopes: list[str],
    expires_at: datetime | None,
    *,
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
    from a2n.services.access import require
    from a2n.services.audit import Actor, record_audit

    try:
        wanted = parse_scopes(scopes)
    except ValueError as error:
        raise ValidationFailed([Problem("/scopes", str(error))]) from None
    if expires_at is not None and expires_at <= (now or datetime.now(UTC)):
        raise ValidationFailed([Problem("/expiresAt", "must be in the future")])
    with UnitOfWork() as uow:
        role = require(uow.session, principal, Action.API_KEY_MANAGE)
        assert role is not None  # API_KEY_MANAGE needs a membership
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
            )
        )
        record_audit(
            uow.session,
            workspace_id=row.workspace_id,
            actor=Actor.of(principal),
            action="api_key.create",
            entity_type="api_key",
            entity_id=row.id,
            changes={"name": name, "scopes": row.scopes, "prefix": row.prefix},
            origin=origin,
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
    from a2n.db.repositories.identity import ApiKeyRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require
    from a2n.services.audit import Actor, record_audit

    try:
        target = uuid.UUID(key_id)
    except ValueError:
        raise NotFound("API key not found") from None
    with UnitOfWork() as uow:
        require(uow.session, principal, Action.API_KEY_MANAGE)
        key = ApiKeyRepository(uow.session).get_in_workspace(uuid.UUID(principal.workspace_id), target)
        if key is None or str(key.user_id) != principal.user_id or key.revoked_at is not None:
            raise NotFound("API key not found")
        key.revoked_at = now or datetime.now(UTC)
        record_audit(
            uow.session,
            workspace_id=key.workspace_id,
            actor=Actor.of(principal),
            action="api_key.revoke",
            entity_type="api_key",
            entity_id=key.id,
            changes={"name": key.name},
            origin=origin,
        )
        uow.commit()
