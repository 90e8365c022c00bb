"""Users as registration makes them: ``new_user`` for tests that build rows directly (every user has
a personal workspace it owns), ``signed_up`` for tests that go through the auth service.

Shared by integration and e2e tests (this folder is on sys.path for both).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from a2n.db.enums import WorkspaceRole
from a2n.db.models import User, Workspace, WorkspaceMember

if TYPE_CHECKING:
    from a2n.services.auth import SignIn


def new_user(session: Session, *, email: str | None = None, name: str | None = "U") -> User:
    """A flushed user with its own personal workspace (OWNER), as ``POST /auth/register`` leaves it."""
    home = Workspace(name=f"{name or 'user'}'s workspace", slug=f"home-{uuid.uuid4().hex[:12]}")
    session.add(home)
    session.flush()
    user = User(
        email=email or f"{uuid.uuid4().hex[:10]}@example.com",
        password_hash="x",
        name=name,
        personal_workspace_id=home.id,
    )
    session.add(user)
    session.flush()
    session.add(WorkspaceMember(workspace_id=home.id, user_id=user.id, role=WorkspaceRole.OWNER))
    session.flush()
    return user


def signed_up(email: str, password: str, name: str | None = None) -> SignIn:
    """Register as ``POST /auth/register`` does, then sign in as a client then must: the register
    answer carries no tokens (it never says whether the email was new)."""
    from a2n.services import auth

    auth.register(email, password, name)
    return auth.login(email, password)
