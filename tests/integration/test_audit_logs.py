"""Reading the audit trail: admins only, one workspace only, filters and keyset pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from credential_support import ORIGIN, api_key_of, local_keys, member

from a2n.api.pagination import PageRequest, decode_cursor
from a2n.db.enums import WorkspaceRole
from a2n.errors import Forbidden
from a2n.services.audit_queries import AuditQuery, list_audit_logs
from a2n.services.credentials import CredentialChanges, CredentialDraft, create_credential, update_credential

pytestmark = pytest.mark.usefixtures("local_keys")
__all__ = ["local_keys"]


def _two_credentials(principal):
    a = create_credential(principal, CredentialDraft("a", "bearer", {"token": "t"}), ORIGIN)
    b = create_credential(principal, CredentialDraft("b", "bearer", {"token": "t"}), ORIGIN)
    update_credential(principal, str(a.id), CredentialChanges(name="a2"), ORIGIN)
    return a, b


def test_admins_read_their_workspace_trail_newest_first_in_pages(db_session) -> None:
    owner = member(db_session)
    a, _ = _two_credentials(owner.principal)
    _two_credentials(member(db_session).principal)  # another tenant's entries stay out
    admin = member(db_session, WorkspaceRole.ADMIN, workspace=owner.workspace)

    first = list_audit_logs(admin.principal, AuditQuery(), PageRequest(limit=2))
    after = PageRequest(limit=2, cursor=decode_cursor(first.next_cursor))
    rest = list_audit_logs(admin.principal, AuditQuery(), after)

    actions = [e.action for e in [*first.items, *rest.items]]
    assert actions == ["credential.update", "credential.create", "credential.create"]
    assert rest.next_cursor is None
    newest = first.items[0]
    assert (newest.entity_id, newest.actor_id, newest.ip) == (str(a.id), owner.user.id, ORIGIN.ip)
    assert newest.changes == {"name": {"from": "a", "to": "a2"}}


def test_filters_by_entity_actor_and_time(db_session) -> None:
    owner = member(db_session)
    a, _ = _two_credentials(owner.principal)
    p = owner.principal

    by_entity = list_audit_logs(p, AuditQuery(entity_type="credential", entity_id=str(a.id)), PageRequest())
    assert [e.action for e in by_entity.items] == ["credential.update", "credential.create"]
    assert list_audit_logs(p, AuditQuery(entity_type="workflow"), PageRequest()).items == []
    assert len(list_audit_logs(p, AuditQuery(actor_id=owner.user.id), PageRequest()).items) == 3
    future = datetime.now(UTC) + timedelta(hours=1)
    assert list_audit_logs(p, AuditQuery(since=future), PageRequest()).items == []


def test_members_viewers_and_keys_without_admin_scope_are_refused(db_session) -> None:
    owner = member(db_session)
    for role in (WorkspaceRole.MEMBER, WorkspaceRole.VIEWER):
        someone = member(db_session, role, workspace=owner.workspace)
        with pytest.raises(Forbidden):
            list_audit_logs(someone.principal, AuditQuery(), PageRequest())
    with pytest.raises(Forbidden):
        list_audit_logs(api_key_of(owner, "credentials:read"), AuditQuery(), PageRequest())
    assert list_audit_logs(api_key_of(owner, "workspaces:admin"), AuditQuery(), PageRequest()).items == []
