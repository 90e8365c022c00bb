"""Repositories for users, workspaces and memberships (lookups every auth path needs)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from a2n.db.enums import WorkspaceRole
from a2n.db.models import User, Workspace, WorkspaceMember
from a2n.db.repositories.base import Repository


class UserRepository(Repository[User]):
    model = User

    def get_by_email(self, email: str) -> User | None:
        """Case-insensitive, served by the unique index on lower(email)."""
        return self.session.scalars(select(User).where(func.lower(User.email) == email.lower())).one_or_none()


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
