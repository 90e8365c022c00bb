"""The audit trail records mutating actions with secrets redacted, scoped to a workspace."""

from __future__ import annotations

import uuid

from a2n.auth.principal import Principal
from a2n.db.models import Workspace
from a2n.db.repositories.audit import AuditFilter, AuditLogRepository
from a2n.services.audit import Actor, Origin, record_audit, redact


def test_redact_hides_secret_fields_at_any_depth_and_keeps_the_rest() -> None:
    changes = {"name": "stripe", "data": {"key": "sk_live_canary"}, "nested": [{"password": "p"}]}
    out = redact(changes)
    assert out == {"name": "stripe", "data": "***", "nested": [{"password": "***"}]}
    assert "sk_live_canary" not in repr(out)


def test_recorded_entries_are_listed_newest_first_per_workspace(db_session) -> None:
    ws = Workspace(name="Acme", slug=f"acme-{uuid.uuid4().hex[:6]}")
    other = Workspace(name="Other", slug=f"other-{uuid.uuid4().hex[:6]}")
    db_session.add_all([ws, other])
    db_session.flush()
    user = str(uuid.uuid4())
    actor = Actor.of(Principal(user_id=user, workspace_id=str(ws.id), auth_type="jwt"), "a@example.com")
    for action in ("workflow.create", "workflow.update"):
        record_audit(
            db_session,
            workspace_id=ws.id,
            actor=actor,
            action=action,
            entity_type="workflow",
            entity_id="w1",
            changes={"token": "canary-token"},
            origin=Origin("10.0.0.1", "curl/8"),
        )
    record_audit(
        db_session, workspace_id=other.id, actor=actor, action="x", entity_type="workflow", entity_id="w2"
    )
    db_session.flush()

    rows, more = AuditLogRepository(db_session).page(ws.id, AuditFilter(entity_type="workflow"), limit=1)
    assert more is True
    assert [r.action for r in rows] == ["workflow.update"]
    assert rows[0].changes == {"token": "***"}
    assert (rows[0].ip, rows[0].user_agent, str(rows[0].actor_id)) == ("10.0.0.1", "curl/8", user)
    all_rows, _ = AuditLogRepository(db_session).page(ws.id, AuditFilter(), limit=10)
    assert {r.entity_id for r in all_rows} == {"w1"}
