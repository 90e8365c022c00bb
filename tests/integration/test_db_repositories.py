"""Generic repository behaviour: scoping, conflicts, keyset pages, and never committing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from identity_support import new_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from a2n.db.enums import WorkspaceRole
from a2n.db.models import Credential, User, Workflow, Workspace, WorkspaceMember
from a2n.db.repositories import Keyset, UserRepository, WorkspaceRepository, WorkspaceScopedRepository
from a2n.errors import Conflict, NotFound


class WorkflowRepository(WorkspaceScopedRepository[Workflow]):
    model = Workflow


class CredentialRepository(WorkspaceScopedRepository[Credential]):
    model = Credential


def _workspace(session: Session, slug: str) -> Workspace:
    return WorkspaceRepository(session).add(Workspace(name=slug, slug=slug))


def _workflows(session: Session, workspace: Workspace, count: int) -> list[Workflow]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    repo = WorkflowRepository(session)
    return [
        repo.add(
            Workflow(
                workspace_id=workspace.id,
                name=f"wf{i}",
                definition={"nodes": []},
                created_at=start + timedelta(minutes=i),
            )
        )
        for i in range(count)
    ]


def test_email_lookup_is_case_insensitive_and_duplicates_conflict(db_session: Session) -> None:
    users = UserRepository(db_session)
    ada = new_user(db_session, email="Ada@Example.com")
    home = _workspace(db_session, "another-home")

    assert users.get_by_email("ada@example.COM") == ada
    with pytest.raises(Conflict, match="Email already registered"):
        users.add(
            User(email="ADA@example.com", password_hash="y", personal_workspace_id=home.id),
            conflict="Email already registered",
        )
    # The savepoint kept the transaction usable after the violation.
    assert users.get_by_email("ada@example.com") == ada


def test_a_row_of_another_workspace_is_not_found(db_session: Session) -> None:
    mine, theirs = _workspace(db_session, "mine"), _workspace(db_session, "theirs")
    (workflow,) = _workflows(db_session, theirs, 1)
    repo = WorkflowRepository(db_session)

    assert repo.get_in_workspace(theirs.id, workflow.id) == workflow
    assert repo.get_in_workspace(mine.id, workflow.id) is None
    with pytest.raises(NotFound):
        repo.require_in_workspace(mine.id, workflow.id)
    with pytest.raises(NotFound):
        repo.require(uuid.uuid4())


def test_keyset_pages_walk_newest_first_without_gaps_or_repeats(db_session: Session) -> None:
    workspace = _workspace(db_session, "paged")
    created = _workflows(db_session, workspace, 5)
    _workflows(db_session, _workspace(db_session, "other"), 2)
    repo = WorkflowRepository(db_session)

    seen: list[Workflow] = []
    after: Keyset | None = None
    while True:
        page = repo.list_in_workspace(workspace.id, limit=2, after=after)
        seen.extend(page.items)
        after = page.next_keyset()
        if after is None:
            break

    assert [w.name for w in seen] == [w.name for w in reversed(created)]


def test_credential_names_are_unique_per_workspace_only(db_session: Session) -> None:
    one, two = _workspace(db_session, "one"), _workspace(db_session, "two")
    repo = CredentialRepository(db_session)

    def credential(workspace: Workspace) -> Credential:
        return Credential(
            workspace_id=workspace.id,
            name="stripe",
            type="bearer",
            encrypted_data=b"c",
            data_key_ciphertext=b"k",
            key_id="local",
        )

    repo.add(credential(one), conflict="dup")
    repo.add(credential(two), conflict="dup")
    with pytest.raises(Conflict):
        repo.add(credential(one), conflict="dup")


def test_roles_and_memberships_are_read_per_user(db_session: Session) -> None:
    user = new_user(db_session, email="m@example.com")
    workspaces = WorkspaceRepository(db_session)
    joined, other = _workspace(db_session, "joined"), _workspace(db_session, "elsewhere")
    db_session.add(WorkspaceMember(workspace_id=joined.id, user_id=user.id, role=WorkspaceRole.ADMIN))
    db_session.flush()

    assert workspaces.role_of(joined.id, user.id) == WorkspaceRole.ADMIN
    assert workspaces.role_of(other.id, user.id) is None
    home = workspaces.require(user.personal_workspace_id)
    assert workspaces.for_user(user.id) == [(home, WorkspaceRole.OWNER), (joined, WorkspaceRole.ADMIN)]


def test_repositories_never_commit(database_url: str) -> None:
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        _workspace(uow.session, "uncommitted")
    with UnitOfWork() as uow:
        count = uow.session.scalar(select(func.count()).where(Workspace.slug == "uncommitted"))
    assert count == 0


def test_status_columns_reject_values_outside_the_vocabulary(db_session: Session) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    workspace = _workspace(db_session, "checks")
    user = new_user(db_session, email="c@example.com")
    with pytest.raises(DBAPIError), db_session.begin_nested():
        db_session.execute(
            text(
                "INSERT INTO workspace_members (id, workspace_id, user_id, role) VALUES (:i, :w, :u, 'GOD')"
            ),
            {"i": uuid.uuid4(), "w": workspace.id, "u": user.id},
        )
