"""Repositories for users, workspaces and memberships, refresh tokens and API keys
(the lookups every auth path needs)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, case, exists, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from a2n.db.enums import WorkspaceRole
from a2n.db.models import (
    ApiKey,
    LoginThrottle,
    RefreshToken,
    RevokedSession,
    User,
    Workspace,
    WorkspaceMember,
)
from a2n.db.repositories.base import Keyset, Repository, Slice, WorkspaceScopedRepository


@dataclass(frozen=True)
class CallerFacts:
    """What the authorizer needs to know about a caller, read in one statement."""

    is_active: bool
    personal_workspace_id: uuid.UUID
    # Is the user a member of the workspace asked about (the personal one when none was named)?
    is_member: bool
    # Is the session the access token names on the deny-list (signed out, family revoked)?
    session_revoked: bool = False
    # Does that workspace require members to sign in with a second factor, and has the user one?
    workspace_requires_two_factor: bool = False
    has_two_factor: bool = False


class UserRepository(Repository[User]):
    model = User

    def caller_facts(
        self, user_id: uuid.UUID, workspace_id: uuid.UUID | None, *, session_id: uuid.UUID | None = None
    ) -> CallerFacts | None:
        """The user's state, its membership of ``workspace_id`` (default: its personal workspace), that
        workspace's two-factor policy and whether ``session_id`` was revoked, in one round trip served
        by primary and unique keys."""
        target = User.personal_workspace_id if workspace_id is None else workspace_id
        member = exists().where(WorkspaceMember.user_id == User.id, WorkspaceMember.workspace_id == target)
        revoked = exists().where(RevokedSession.session_id == session_id) if session_id else literal(False)
        requires = select(Workspace.require_two_factor).where(Workspace.id == target).scalar_subquery()
        row = self.session.execute(
            select(
                User.is_active, User.personal_workspace_id, member, revoked, requires,
                User.totp_enabled_at.is_not(None),
            ).where(User.id == user_id)
        ).one_or_none()  # fmt: skip
        if row is None:
            return None
        return CallerFacts(bool(row[0]), row[1], bool(row[2]), bool(row[3]), bool(row[4]), bool(row[5]))

    def lacks_required_verification(self, user_id: uuid.UUID, workspace_id: uuid.UUID) -> bool:
        """Does the workspace require verified addresses while this user's is not? One statement."""
        required = select(Workspace.require_verified_email).where(Workspace.id == workspace_id)
        row = self.session.execute(
            select(User.email_verified_at.is_(None), required.scalar_subquery()).where(User.id == user_id)
        ).one_or_none()
        return row is not None and bool(row[0]) and bool(row[1])

    def emails(self, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not user_ids:
            return {}
        rows = self.session.execute(select(User.id, User.email).where(User.id.in_(user_ids)))
        return {user_id: email for user_id, email in rows}

    def owner_of_personal(self, workspace_id: uuid.UUID) -> uuid.UUID | None:
        """The user whose personal workspace this is, if any (unique index on the column)."""
        return self.session.scalars(
            select(User.id).where(User.personal_workspace_id == workspace_id)
        ).one_or_none()

    def page_all(self, *, query: str | None, limit: int, after: Keyset | None) -> Slice[User]:
        """Every account, newest first; ``query`` matches the address or name (case-insensitive)."""
        statement = select(User)
        if query:
            escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            statement = statement.where(
                func.lower(User.email).like(pattern) | func.lower(User.name).like(pattern)
            )
        return self.page(statement, limit=limit, after=after)

    def get_locked(self, user_id: uuid.UUID) -> User | None:
        """The user row FOR UPDATE: password and second-factor checks count failures one by one."""
        return self.session.scalars(select(User).where(User.id == user_id).with_for_update()).one_or_none()

    def get_by_email(self, email: str, *, lock: bool = False) -> User | None:
        """Case-insensitive, served by the unique index on lower(email). ``lock``: FOR UPDATE, so
        concurrent failed logins count one by one."""
        query = select(User).where(func.lower(User.email) == email.lower())
        return self.session.scalars(query.with_for_update() if lock else query).one_or_none()


class WorkspaceRepository(Repository[Workspace]):
    model = Workspace

    def get_by_slug(self, slug: str) -> Workspace | None:
        return self.session.scalars(select(Workspace).where(Workspace.slug == slug)).one_or_none()

    def role_of(self, workspace_id: uuid.UUID, user_id: uuid.UUID) -> WorkspaceRole | None:
        """The user's role in the workspace, or None when not a member."""
        return self.session.scalars(
            select(WorkspaceMember.role).where(
                WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id == user_id
            )
        ).one_or_none()

    def for_user(self, user_id: uuid.UUID) -> list[tuple[Workspace, WorkspaceRole]]:
        rows = self.session.execute(
            select(Workspace, WorkspaceMember.role)
            .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
            .where(WorkspaceMember.user_id == user_id)
            .order_by(Workspace.created_at, Workspace.id)
        )
        return [(workspace, role) for workspace, role in rows]

    def members(self, workspace_id: uuid.UUID) -> list[tuple[WorkspaceMember, str]]:
        """Each membership of the workspace with the member's email, oldest first."""
        rows = self.session.execute(
            select(WorkspaceMember, User.email)
            .join(User, User.id == WorkspaceMember.user_id)
            .where(WorkspaceMember.workspace_id == workspace_id)
            .order_by(WorkspaceMember.created_at, WorkspaceMember.id)
        )
        return [(member, email) for member, email in rows]

    def membership(
        self, workspace_id: uuid.UUID, user_id: uuid.UUID, *, lock: bool = False
    ) -> WorkspaceMember | None:
        query = select(WorkspaceMember).where(
            WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id == user_id
        )
        return self.session.scalars(query.with_for_update() if lock else query).one_or_none()

    def owners_locked(self, workspace_id: uuid.UUID) -> list[uuid.UUID]:
        """The OWNERs' user ids, rows locked so two demotions cannot both see "another owner left"."""
        return list(
            self.session.scalars(
                select(WorkspaceMember.user_id)
                .where(
                    WorkspaceMember.workspace_id == workspace_id,
                    WorkspaceMember.role == WorkspaceRole.OWNER,
                )
                .with_for_update()
            )
        )

    def slugs_like(self, base: str) -> set[str]:
        """Slugs equal to ``base`` or ``base-<suffix>``, to pick a free one."""
        pattern = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "-%"
        return set(
            self.session.scalars(
                select(Workspace.slug).where((Workspace.slug == base) | Workspace.slug.like(pattern))
            )
        )


class WorkspaceMemberRepository(Repository[WorkspaceMember]):
    model = WorkspaceMember


class RefreshTokenRepository(Repository[RefreshToken]):
    model = RefreshToken

    def get_by_hash_locked(self, token_hash: str) -> RefreshToken | None:
        """The token row locked FOR UPDATE: a concurrent refresh with the same token waits, then
        sees it spent — so only one of two simultaneous refreshes succeeds."""
        return self.session.scalars(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
        ).one_or_none()

    def live_families(self, user_id: uuid.UUID, now: datetime) -> set[uuid.UUID]:
        """Families (sessions) of the user with a refresh token still usable."""
        query = select(RefreshToken.family_id).where(
            RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > now
        )
        return set(self.session.scalars(query.distinct()))

    def revoke_family(self, family_id: uuid.UUID, at: datetime) -> int:
        result = self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class RevokedSessionRepository:
    """The deny-list of signed-out sessions (see RevokedSession)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def revoke(self, session_id: uuid.UUID, at: datetime, *, until: datetime) -> None:
        """List ``session_id`` until ``until``; listing it again keeps the later end."""
        insert = pg_insert(RevokedSession).values(session_id=session_id, revoked_at=at, expires_at=until)
        self.session.execute(
            insert.on_conflict_do_update(
                index_elements=[RevokedSession.session_id],
                set_={"expires_at": func.greatest(RevokedSession.expires_at, insert.excluded.expires_at)},
            )
        )


@dataclass(frozen=True)
class KeyUse:
    """An API key as the authorizer's one statement found and counted it."""

    key: ApiKey
    window_count: int  # requests in the current minute, this one included
    retry_after_s: int  # until the current minute's window ends


class ApiKeyRepository(WorkspaceScopedRepository[ApiKey]):
    model = ApiKey

    def use(self, key_hash: str) -> KeyUse | None:
        """Find the key by hash and count this request against it, in one statement (it replaced
        today's lookup and its occasional last-used write): a window older than a minute starts
        over; use_count and last_used_at always move. The row stays locked until the authorizer's
        transaction commits, so concurrent requests of one key count one by one."""
        now, minute = func.now(), text("interval '1 minute'")
        stale = ApiKey.window_start.is_(None) | (ApiKey.window_start <= now - minute)
        # RETURNING sees the new row: seconds until the (possibly new) window ends.
        window_left = func.ceil(func.extract("epoch", ApiKey.window_start + minute - now))
        statement = (
            update(ApiKey)
            .where(ApiKey.key_hash == key_hash)
            .values(
                use_count=ApiKey.use_count + 1,
                last_used_at=now,
                window_count=case((stale, 1), else_=ApiKey.window_count + 1),
                window_start=case((stale, now), else_=ApiKey.window_start),
            )
            .returning(ApiKey, func.greatest(1, window_left).cast(Integer))
            .execution_options(synchronize_session=False)
        )
        row = self.session.execute(statement).one_or_none()
        if row is None:
            return None
        key, retry_after_s = row
        return KeyUse(key, key.window_count, int(retry_after_s))

    def count_refusal(self, key_id: uuid.UUID) -> None:
        """One more request the key's own limits refused (it is in use_count already)."""
        self.session.execute(
            update(ApiKey).where(ApiKey.id == key_id).values(refused_count=ApiKey.refused_count + 1)
            .execution_options(synchronize_session=False)
        )  # fmt: skip

    def get_by_hash(self, key_hash: str) -> ApiKey | None:
        return self.session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash)).one_or_none()

    def revoke_for_member(self, workspace_id: uuid.UUID, user_id: uuid.UUID, at: datetime) -> int:
        """Revoke every live key of ``user_id`` in the workspace (the member is leaving it)."""
        live = (ApiKey.workspace_id == workspace_id, ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
        result = self.session.execute(update(ApiKey).where(*live).values(revoked_at=at))
        return int(getattr(result, "rowcount", 0) or 0)

    def list_live_in_workspace(
        self, workspace_id: uuid.UUID, *, limit: int, after: Keyset | None
    ) -> Slice[ApiKey]:
        """Every member's live (not revoked) keys in one workspace, newest first."""
        query = select(ApiKey).where(ApiKey.workspace_id == workspace_id, ApiKey.revoked_at.is_(None))
        return self.page(query, limit=limit, after=after)

    def list_for_user(
        self, workspace_id: uuid.UUID, user_id: uuid.UUID, *, limit: int, after: Keyset | None
    ) -> Slice[ApiKey]:
        """A user's live (not revoked) keys in one workspace, newest first."""
        query = select(ApiKey).where(
            ApiKey.workspace_id == workspace_id, ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None)
        )
        return self.page(query, limit=limit, after=after)


class LoginThrottleRepository:
    """Failed-login counters of emails without an account (see LoginThrottle)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_locked(self, email_hash: str) -> LoginThrottle:
        """The row for ``email_hash``, created if missing, locked FOR UPDATE so concurrent failures
        count one by one (ON CONFLICT: two first failures at once do not collide)."""
        self.session.execute(pg_insert(LoginThrottle).values(email_hash=email_hash).on_conflict_do_nothing())
        return self.session.execute(
            select(LoginThrottle).where(LoginThrottle.email_hash == email_hash).with_for_update()
        ).scalar_one()
