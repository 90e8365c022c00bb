"""Audit entries name their actor's email at read time: a user's own, an API key's owner's;
writers record only ids, and an email stored at write time is kept."""

from __future__ import annotations

import uuid

from credential_support import member

from a2n.api.pagination import PageRequest
from a2n.auth.principal import Principal
from a2n.db.models import ApiKey
from a2n.services.audit import Actor, record_audit
from a2n.services.audit_queries import AuditQuery, list_audit_logs


def _key_of(session, owner) -> Principal:
    key = ApiKey(
        user_id=owner.user.id, workspace_id=owner.workspace.id, name="ci", prefix="a2n_x",
        key_hash=uuid.uuid4().hex, scopes=["workspaces:admin"],
    )  # fmt: skip
    session.add(key)
    session.flush()
    return Principal(
        user_id=str(owner.user.id), workspace_id=str(owner.workspace.id), auth_type="api_key",
        scopes=frozenset({"workspaces:admin"}), api_key_id=str(key.id),
    )  # fmt: skip


def _record(session, actor: Actor, workspace_id: uuid.UUID, action: str) -> None:
    record_audit(
        session, workspace_id=workspace_id, actor=actor, action=action, entity_type="thing", entity_id=action
    )
    session.flush()


def test_user_and_api_key_actors_read_with_their_owners_email(db_session) -> None:
    admin = member(db_session)
    key_principal = _key_of(db_session, admin)
    ws = admin.workspace.id
    _record(db_session, Actor.of(admin.principal), ws, "by-user")
    _record(db_session, Actor.of(key_principal), ws, "by-key")
    _record(db_session, Actor("system", None), ws, "by-system")
    _record(db_session, Actor("user", str(uuid.uuid4())), ws, "by-deleted-user")

    entries = {e.entity_id: e for e in list_audit_logs(admin.principal, AuditQuery(), PageRequest()).items}

    assert entries["by-user"].actor_email == admin.user.email
    assert entries["by-key"].actor_type == "api_key"
    assert entries["by-key"].actor_id == uuid.UUID(key_principal.api_key_id or "")
    assert entries["by-key"].actor_email == admin.user.email
    assert entries["by-system"].actor_email is None
    assert entries["by-deleted-user"].actor_email is None


def test_an_email_stored_at_write_time_is_kept_and_filters_still_apply(db_session) -> None:
    admin = member(db_session)
    other = member(db_session, workspace=admin.workspace)
    ws = admin.workspace.id
    _record(db_session, Actor.of(admin.principal, email="old@example.com"), ws, "stored")
    _record(db_session, Actor.of(other.principal), ws, "other")

    mine = list_audit_logs(admin.principal, AuditQuery(actor_id=admin.user.id), PageRequest()).items

    assert [(e.entity_id, e.actor_email) for e in mine] == [("stored", "old@example.com")]
    first = list_audit_logs(admin.principal, AuditQuery(), PageRequest(limit=1))
    assert first.items[0].actor_email == other.user.email and first.next_cursor is not None
