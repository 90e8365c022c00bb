"""The whole account at once: its export (every row that is the user's own) and its deletion."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from a2n.db.enums import WorkspaceRole
from a2n.db.models import (
    ApiKey,
    AuditLog,
    Credential,
    LoginThrottle,
    RateCounter,
    SecurityEvent,
    User,
    UserIdentity,
    UserSession,
    Workflow,
    Workspace,
    WorkspaceMember,
)

EXPORT_AUDIT_LIMIT = 10_000


class ProfileRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def export(self, user: User) -> dict[str, Any]:
        personal = user.personal_workspace_id
        return {
            "profile": {
                "id": str(user.id), "email": user.email, "name": user.name, "locale": user.locale,
                "timezone": user.timezone, "avatarUrl": user.avatar_url, "createdAt": _iso(user.created_at),
                "emailVerifiedAt": _iso(user.email_verified_at), "lastLoginAt": _iso(user.last_login_at),
                "twoFactorEnabled": user.totp_enabled_at is not None, "personalWorkspaceId": str(personal),
            },
            "workspaces": [
                {"id": str(w.id), "name": w.name, "role": role.value, "personal": w.id == personal}
                for w, role in self.session.execute(
                    select(Workspace, WorkspaceMember.role)
                    .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
                    .where(WorkspaceMember.user_id == user.id)
                )
            ],
            "sessions": [
                {"id": str(s.id), "createdAt": _iso(s.created_at), "lastSeenAt": _iso(s.last_seen_at),
                 "ip": s.ip, "userAgent": s.user_agent, "method": s.method, "twoFactor": s.two_factor,
                 "revokedAt": _iso(s.revoked_at)}
                for s in self.session.scalars(select(UserSession).where(UserSession.user_id == user.id))
            ],
            "securityEvents": [
                {"type": e.type, "createdAt": _iso(e.created_at), "ip": e.ip, "userAgent": e.user_agent,
                 "details": e.details}
                for e in self.session.scalars(
                    select(SecurityEvent)
                    .where(SecurityEvent.user_id == user.id)
                    .order_by(SecurityEvent.created_at)
                )
            ],
            "identities": [
                {"provider": i.provider, "subject": i.subject, "email": i.email,
                 "linkedAt": _iso(i.created_at)}
                for i in self.session.scalars(select(UserIdentity).where(UserIdentity.user_id == user.id))
            ],
            "apiKeys": [
                {"id": str(k.id), "name": k.name, "prefix": k.prefix, "scopes": k.scopes,
                 "workspaceId": str(k.workspace_id), "createdAt": _iso(k.created_at),
                 "expiresAt": _iso(k.expires_at), "revokedAt": _iso(k.revoked_at), "useCount": k.use_count,
                 "refusedCount": k.refused_count}
                for k in self.session.scalars(select(ApiKey).where(ApiKey.user_id == user.id))
            ],
            "workflows": [
                {"id": str(w.id), "name": w.name, "description": w.description,
                 "definition": w.definition, "version": w.version, "isActive": w.is_active,
                 "tags": w.tags, "createdAt": _iso(w.created_at)}
                for w in self.session.scalars(select(Workflow).where(Workflow.workspace_id == personal))
            ],
            "credentials": [
                {"id": str(c.id), "name": c.name, "type": c.type, "createdAt": _iso(c.created_at)}
                for c in self.session.scalars(select(Credential).where(Credential.workspace_id == personal))
            ],
            "auditTrail": [
                {"ts": _iso(a.ts), "action": a.action, "entityType": a.entity_type, "entityId": a.entity_id,
                 "workspaceId": str(a.workspace_id) if a.workspace_id else None, "ip": a.ip}
                for a in self.session.scalars(
                    select(AuditLog).where(AuditLog.actor_id == user.id).order_by(AuditLog.ts.desc())
                    .limit(EXPORT_AUDIT_LIMIT)
                )
            ],
        }  # fmt: skip

    def workspaces_left_without_owner(self, user_id: uuid.UUID) -> list[str]:
        """Names of workspaces others still use where the user is the only OWNER."""
        mine, other = aliased(WorkspaceMember), aliased(WorkspaceMember)
        others = select(other.id).where(other.workspace_id == mine.workspace_id, other.user_id != user_id)
        owners = others.where(other.role == WorkspaceRole.OWNER)
        owned = (
            select(Workspace.name)
            .join(mine, mine.workspace_id == Workspace.id)
            .where(mine.user_id == user_id, mine.role == WorkspaceRole.OWNER)
            .where(others.exists(), ~owners.exists())
        )
        return list(self.session.scalars(owned))

    def delete_account(self, user: User) -> None:
        """Anonymise the audit trail, delete the user (and through ON DELETE everything hanging on it)
        and every workspace nobody else is in, the personal one included."""
        user_id, email = user.id, user.email
        mine, other = aliased(WorkspaceMember), aliased(WorkspaceMember)
        nobody_else = ~select(other.id).where(
            other.workspace_id == mine.workspace_id, other.user_id != user_id
        ).exists()
        alone = select(mine.workspace_id).where(mine.user_id == user_id, nobody_else)
        solitary = set(self.session.scalars(alone))
        solitary.add(user.personal_workspace_id)
        self._anonymise_audit(user_id, email)
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        self.session.execute(delete(LoginThrottle).where(LoginThrottle.email_hash == digest))
        self.session.execute(
            delete(RateCounter).where(RateCounter.key.in_([f"mail:address:{digest}", f"2fa:{user_id}"]))
        )
        self.session.delete(user)
        self.session.flush()  # the user first: its personal workspace is RESTRICTed while it exists
        self.session.execute(delete(Workspace).where(Workspace.id.in_(solitary)))

    def _anonymise_audit(self, user_id: uuid.UUID, email: str) -> None:
        """Entries keep action, entity and time. Who (id, email), from where (IP, user agent) and any
        change that names the user or the address go."""
        self.session.execute(
            update(AuditLog).where(AuditLog.actor_id == user_id)
            .values(actor_id=None, actor_email=None, ip=None, user_agent=None)
        )  # fmt: skip
        mentions = or_(
            AuditLog.entity_id == str(user_id),
            func.strpos(func.lower(func.cast(AuditLog.changes, _text())), email.lower()) > 0,
            func.strpos(func.cast(AuditLog.changes, _text()), str(user_id)) > 0,
        )
        self.session.execute(
            update(AuditLog).where(mentions).values(changes={"anonymised": True}, actor_email=None)
        )
        self.session.execute(
            update(AuditLog).where(AuditLog.entity_id == str(user_id)).values(entity_id=None)
        )


def _text() -> Any:
    from sqlalchemy import Text

    return Text()


def _iso(at: datetime | None) -> str | None:
    from datetime import UTC

    return None if at is None else at.astimezone(UTC).isoformat().replace("+00:00", "Z")
