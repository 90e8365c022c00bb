"""Builders shared by the credential and audit tests: members of fresh workspaces, principals,
local master keys in a temp dir, and a canary secret that must never leak."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from identity_support import new_user

from a2n.auth.principal import Principal
from a2n.db.enums import WorkspaceRole
from a2n.db.models import User, Workspace, WorkspaceMember
from a2n.services.audit import Origin
from a2n.settings import reset_settings

CANARY = "canary-5f1d2b9e-never-leak"
ORIGIN = Origin(ip="203.0.113.7", user_agent="pytest/credentials")


@pytest.fixture
def local_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Local master keys in a temp dir (no KMS key configured); import it into a test module."""
    monkeypatch.delenv("A2N_KMS_KEY_ID", raising=False)
    monkeypatch.setenv("A2N_LOCAL_KEY_DIR", str(tmp_path / "keys"))
    reset_settings()
    yield tmp_path / "keys"
    reset_settings()


@dataclass(frozen=True)
class Member:
    user: User
    workspace: Workspace
    principal: Principal


def member(session, role: WorkspaceRole = WorkspaceRole.OWNER, workspace: Workspace | None = None) -> Member:
    """A user with ``role`` in ``workspace`` (a fresh one by default), acting there by JWT."""
    user = new_user(session)
    if workspace is None:
        workspace = Workspace(name="W", slug=f"w-{uuid.uuid4().hex[:10]}")
        session.add(workspace)
    session.flush()
    session.add(WorkspaceMember(workspace_id=workspace.id, user_id=user.id, role=role))
    session.flush()
    principal = Principal(user_id=str(user.id), workspace_id=str(workspace.id), auth_type="jwt")
    return Member(user, workspace, principal)


def api_key_of(m: Member, *scopes: str) -> Principal:
    return Principal(
        user_id=str(m.user.id), workspace_id=str(m.workspace.id), auth_type="api_key",
        scopes=frozenset(scopes), api_key_id=str(uuid.uuid4()),
    )


SAMPLE_DATA: dict[str, dict] = {
    "api_key": {"key": CANARY, "in": "header", "name": "X-Api-Key"},
    "bearer": {"token": CANARY},
    "basic": {"username": "svc", "password": CANARY},
    "oauth2_client_credentials": {
        "tokenUrl": "https://auth.example.com/token", "clientId": "cid", "clientSecret": CANARY,
    },
    "oauth2": {
        "accessToken": CANARY, "refreshToken": CANARY + "-r", "tokenUrl": "https://auth.example.com/token",
        "clientId": "cid", "clientSecret": CANARY + "-s", "expiresAt": "2030-01-01T00:00:00Z",
    },
    "custom_headers": {"headers": {"X-Token": CANARY, "X-Tenant": "acme"}},
}


def run_site(session: Any, workspace_id: uuid.UUID, credential_id: str) -> Any:
    """Where a step would use the credential: a workflow of the workspace it is attached to, and the
    credential shared with the workspace (as every credential made before sharing existed is). For
    an id that names nothing usable, only the workflow exists (the load must still refuse it)."""
    from sqlalchemy import text

    from a2n.db.models import Workflow
    from a2n.db.repositories.credentials import UseSite

    workflow = Workflow(workspace_id=workspace_id, name="uses it", definition={"nodes": []})
    session.add(workflow)
    session.flush()
    session.execute(
        text(
            "INSERT INTO credential_attachments (workflow_id, credential_id, attached_by)"
            " SELECT :w, c.id, c.created_by FROM credentials c"
            " WHERE c.id::text = :c AND c.workspace_id = :ws"
        ),
        {"w": workflow.id, "c": credential_id, "ws": workspace_id},
    )
    session.execute(
        text(
            "INSERT INTO credential_shares (id, credential_id, workspace_id)"
            " SELECT gen_random_uuid(), c.id, c.workspace_id FROM credentials c WHERE c.id::text = :c"
            " ON CONFLICT DO NOTHING"
        ),
        {"c": credential_id},
    )
    return UseSite(workflow.id, "node", uuid.uuid4(), 1)


def load_for_run(session: Any, *, workspace_id: uuid.UUID, credential_id: str) -> Any:
    """``load_for_node`` as a step of a workflow the credential is attached to would call it."""
    from a2n.services.credentials import load_for_node

    site = run_site(session, workspace_id, credential_id)
    return load_for_node(session, workspace_id=workspace_id, credential_id=credential_id, site=site)


def attach_as_saved(session: Any, workflow_id: uuid.UUID, credential_id: Any, user_id: uuid.UUID) -> None:
    """What saving a workflow through the API records for a credential it names (credential sharing,
    issue 13): for workflows a test builds directly, so their steps may use it."""
    from sqlalchemy import text

    session.execute(
        text(
            "INSERT INTO credential_attachments (workflow_id, credential_id, attached_by)"
            " VALUES (:w, :c, :u)"
        ),
        {"w": workflow_id, "c": uuid.UUID(str(credential_id)), "u": user_id},
    )
