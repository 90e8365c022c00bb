"""Workspaces, members and API keys: roles decide, the last OWNER stays, other tenants see 404."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from identity_support import signed_up
from sqlalchemy.orm import Session

from a2n.auth.policy import Role
from a2n.auth.principal import Principal
from a2n.errors import Conflict, Forbidden, NotFound, ValidationFailed
from a2n.services import api_keys, auth, workspaces
from a2n.settings import reset_settings

# Registering emails its verification link (mail jobs are delivered in-process, to moto's SES).
pytestmark = pytest.mark.usefixtures("ses")

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def signing_keys(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("A2N_LOCAL_KEY_DIR", str(tmp_path))
    reset_settings()
    yield
    reset_settings()


def _user(db_session: Session) -> tuple[Principal, str]:
    email = f"w-{uuid.uuid4().hex[:8]}@example.com"
    signed_in = signed_up(email, PASSWORD, None)
    user_id = str(signed_in.user.id)
    probe = Principal(user_id=user_id, workspace_id=user_id, auth_type="jwt")
    personal = workspaces.list_workspaces(probe)[0].id
    return Principal(user_id=user_id, workspace_id=str(personal), auth_type="jwt"), email


def test_create_and_read_a_workspace_with_its_members(db_session: Session) -> None:
    owner, email = _user(db_session)
    team = workspaces.create_workspace(owner, "Ops Team")
    assert (team.slug, team.role) == ("ops-team", "OWNER")
    again = workspaces.create_workspace(owner, "Ops  team!")
    assert again.slug != team.slug and again.slug.startswith("ops-team")

    detail = workspaces.get_workspace(owner, str(team.id))
    assert [(m.email, m.role) for m in detail.members] == [(email, "OWNER")]
    assert {w.id for w in workspaces.list_workspaces(owner)} >= {team.id, again.id}


def test_another_tenant_gets_404_for_every_workspace_route(db_session: Session) -> None:
    owner, _ = _user(db_session)
    stranger, stranger_email = _user(db_session)
    team = str(workspaces.create_workspace(owner, "Private").id)
    calls = [
        lambda: workspaces.get_workspace(stranger, team),
        lambda: workspaces.delete_workspace(stranger, team),
        lambda: workspaces.add_member(stranger, team, stranger_email, Role.VIEWER),
        lambda: workspaces.update_member(stranger, team, owner.user_id, Role.VIEWER),
        lambda: workspaces.remove_member(stranger, team, owner.user_id),
        lambda: workspaces.get_workspace(stranger, "not-a-uuid"),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()


def test_members_roles_and_the_last_owner(db_session: Session) -> None:
    owner, _ = _user(db_session)
    admin, admin_email = _user(db_session)
    viewer, viewer_email = _user(db_session)
    team = str(workspaces.create_workspace(owner, "Roles").id)

    workspaces.add_member(owner, team, admin_email.upper(), Role.ADMIN)
    with pytest.raises(Conflict):
        workspaces.add_member(owner, team, admin_email, Role.MEMBER)
    with pytest.raises(ValidationFailed) as unknown:
        workspaces.add_member(owner, team, "nobody@example.com", Role.MEMBER)
    assert [p.pointer for p in unknown.value.problems] == ["/email"]

    as_admin = Principal(user_id=admin.user_id, workspace_id=team, auth_type="jwt")
    workspaces.add_member(as_admin, team, viewer_email, Role.VIEWER)
    with pytest.raises(Forbidden):  # only an OWNER grants OWNER
        workspaces.update_member(as_admin, team, viewer.user_id, Role.OWNER)
    with pytest.raises(Forbidden):  # nor demotes one
        workspaces.update_member(as_admin, team, owner.user_id, Role.ADMIN)
    as_viewer = Principal(user_id=viewer.user_id, workspace_id=team, auth_type="jwt")
    with pytest.raises(Forbidden):
        workspaces.remove_member(as_viewer, team, admin.user_id)

    with pytest.raises(Conflict):
        workspaces.update_member(owner, team, owner.user_id, Role.ADMIN)
    with pytest.raises(Conflict):
        workspaces.remove_member(owner, team, owner.user_id)
    workspaces.update_member(owner, team, admin.user_id, Role.OWNER)
    workspaces.remove_member(owner, team, owner.user_id)  # another OWNER remains
    roles = {m.email: m.role for m in workspaces.get_workspace(as_admin, team).members}
    assert roles == {admin_email: "OWNER", viewer_email: "VIEWER"}


def test_delete_workspace_is_owner_only_and_spares_the_personal_one(db_session: Session) -> None:
    owner, _ = _user(db_session)
    admin, admin_email = _user(db_session)
    team = str(workspaces.create_workspace(owner, "Doomed").id)
    workspaces.add_member(owner, team, admin_email, Role.ADMIN)
    with pytest.raises(Forbidden):
        workspaces.delete_workspace(
            Principal(user_id=admin.user_id, workspace_id=team, auth_type="jwt"), team
        )
    with pytest.raises(Conflict):
        workspaces.delete_workspace(owner, owner.workspace_id)
    workspaces.delete_workspace(owner, team)
    with pytest.raises(NotFound):
        workspaces.get_workspace(owner, team)


def test_api_key_scopes_are_capped_by_role_and_keys_cannot_mint_keys(db_session: Session) -> None:
    owner, _ = _user(db_session)
    viewer, viewer_email = _user(db_session)
    team = str(workspaces.create_workspace(owner, "Keys").id)
    workspaces.add_member(owner, team, viewer_email, Role.VIEWER)
    as_viewer = Principal(user_id=viewer.user_id, workspace_id=team, auth_type="jwt")

    with pytest.raises(ValidationFailed):
        api_keys.create_api_key(as_viewer, "too much", ["workflows:write"], None)
    with pytest.raises(ValidationFailed):
        api_keys.create_api_key(as_viewer, "unknown", ["root:all"], None)
    created = api_keys.create_api_key(as_viewer, "read", ["workflows:read"], None)
    assert created.plain.startswith("a2n_") and created.row.key_hash != created.plain

    as_key = Principal(
        user_id=viewer.user_id,
        workspace_id=team,
        auth_type="api_key",
        scopes=frozenset({"workflows:read"}),
        api_key_id=str(created.row.id),
    )
    with pytest.raises(Forbidden):
        api_keys.create_api_key(as_key, "child", ["workflows:read"], None)

    listed = api_keys.list_api_keys(as_viewer, limit=10, after=None)
    assert [k.id for k in listed.items] == [created.row.id]
    with pytest.raises(NotFound):  # someone else's key
        api_keys.revoke_api_key(owner, str(created.row.id))
    api_keys.revoke_api_key(as_viewer, str(created.row.id))
    assert api_keys.list_api_keys(as_viewer, limit=10, after=None).items == []


# --- the personal workspace is an explicit fact (issue 9.1, SECURITY 27) -------------------------


def _added_to_an_older_workspace(db_session: Session) -> tuple[Principal, Principal, str, str]:
    """Ada's team workspace exists before Bob registers; then Ada adds Bob to it as ADMIN.
    Returns (ada, bob, team id, bob's email): on ordering by age, the team is Bob's "first" workspace."""
    ada, _ = _user(db_session)
    team = str(workspaces.create_workspace(ada, "Older Team").id)
    bob, bob_email = _user(db_session)
    workspaces.add_member(ada, team, bob_email, Role.ADMIN)
    return ada, bob, team, bob_email


def test_the_personal_workspace_cannot_be_deleted_even_when_an_older_one_is_shared(
    db_session: Session,
) -> None:
    _, bob, _, _ = _added_to_an_older_workspace(db_session)
    with pytest.raises(Conflict, match="personal workspace"):
        workspaces.delete_workspace(bob, bob.workspace_id)
    assert workspaces.get_workspace(bob, bob.workspace_id).workspace.id == uuid.UUID(bob.workspace_id)


def test_nobody_deletes_another_users_personal_workspace_nor_removes_or_demotes_its_owner(
    db_session: Session,
) -> None:
    ada, _ = _user(db_session)
    bob, bob_email = _user(db_session)
    workspaces.add_member(ada, ada.workspace_id, bob_email, Role.OWNER)
    as_bob_there = Principal(user_id=bob.user_id, workspace_id=ada.workspace_id, auth_type="jwt")
    with pytest.raises(Conflict):
        workspaces.delete_workspace(as_bob_there, ada.workspace_id)
    with pytest.raises(Conflict, match="stays its OWNER"):
        workspaces.remove_member(as_bob_there, ada.workspace_id, ada.user_id)
    with pytest.raises(Conflict, match="stays its OWNER"):
        workspaces.update_member(as_bob_there, ada.workspace_id, ada.user_id, Role.VIEWER)
    workspaces.remove_member(ada, ada.workspace_id, bob.user_id)  # other members come and go freely
    assert [m.user_id for m in workspaces.get_workspace(ada, ada.workspace_id).members] == [
        uuid.UUID(ada.user_id)
    ]


def test_a_users_login_is_audited_in_their_personal_workspace_only(db_session: Session) -> None:
    from sqlalchemy import select

    from a2n.db.models import AuditLog

    _, bob, _, bob_email = _added_to_an_older_workspace(db_session)
    auth.login(bob_email, PASSWORD)
    bobs_logins = (AuditLog.action == "user.login") & (AuditLog.actor_id == uuid.UUID(bob.user_id))
    logins = db_session.scalars(select(AuditLog.workspace_id).where(bobs_logins)).all()
    assert logins and set(logins) == {uuid.UUID(bob.workspace_id)}  # every login of Bob's, none in the team


def test_admins_list_and_revoke_every_members_keys_and_nobody_else_can(db_session: Session) -> None:
    """Issue 9.2: ADMIN+ sees every live key of the workspace (never the key) and revokes any; the
    revocation is audited; members, viewers and other tenants cannot."""
    from sqlalchemy import select

    from a2n.db.models import AuditLog

    owner, _ = _user(db_session)
    member, member_email = _user(db_session)
    stranger, _ = _user(db_session)
    team = str(workspaces.create_workspace(owner, "Keys").id)
    workspaces.add_member(owner, team, member_email, Role.MEMBER)
    as_member = Principal(user_id=member.user_id, workspace_id=team, auth_type="jwt")
    as_owner = Principal(user_id=owner.user_id, workspace_id=team, auth_type="jwt")
    theirs = api_keys.create_api_key(as_member, "member ci", ["workflows:read"], None)
    mine = api_keys.create_api_key(as_owner, "owner ci", ["workflows:write"], None)
    api_keys.create_api_key(member, "elsewhere", ["workflows:read"], None)  # the member's home workspace

    listed = api_keys.list_workspace_api_keys(owner, team, limit=1, after=None)
    assert [k.id for k in listed.keys.items] == [mine.row.id] and listed.keys.has_more
    rest = api_keys.list_workspace_api_keys(owner, team, limit=10, after=listed.keys.next_keyset())
    assert [(k.id, rest.owner_emails[k.user_id]) for k in rest.keys.items] == [(theirs.row.id, member_email)]

    for outsider, target in ((as_member, team), (stranger, team)):
        with pytest.raises((Forbidden, NotFound)):
            api_keys.list_workspace_api_keys(outsider, target, limit=10, after=None)
        with pytest.raises((Forbidden, NotFound)):
            api_keys.revoke_workspace_api_key(outsider, target, str(mine.row.id))
    with pytest.raises(NotFound):  # a key of another workspace is not this workspace's to revoke
        api_keys.revoke_workspace_api_key(owner, owner.workspace_id, str(theirs.row.id))

    api_keys.revoke_workspace_api_key(owner, team, str(theirs.row.id))
    assert [k.id for k in api_keys.list_workspace_api_keys(owner, team, limit=10, after=None).keys.items] == [
        mine.row.id
    ]
    with pytest.raises(NotFound):  # already revoked
        api_keys.revoke_workspace_api_key(owner, team, str(theirs.row.id))
    audit = db_session.scalars(
        select(AuditLog).where(AuditLog.action == "api_key.revoke", AuditLog.entity_id == str(theirs.row.id))
    ).one()
    assert audit.actor_id == uuid.UUID(owner.user_id)
    assert audit.changes == {"name": "member ci", "userId": member.user_id}


def test_keys_created_and_revoked_show_in_their_owners_security_feed(db_session: Session) -> None:
    """Issue 12 item 10: a key created, revoked by its owner, or revoked by a workspace admin is an
    event in the owner's feed (never the key itself; the admin's revocation says so)."""
    from sqlalchemy import select

    from a2n.db.models import SecurityEvent

    owner, _ = _user(db_session)
    member, member_email = _user(db_session)
    team = str(workspaces.create_workspace(owner, "Feed").id)
    workspaces.add_member(owner, team, member_email, Role.MEMBER)
    as_member = Principal(user_id=member.user_id, workspace_id=team, auth_type="jwt")
    first = api_keys.create_api_key(as_member, "deploy", ["workflows:read"], None)
    second = api_keys.create_api_key(as_member, "ci", ["workflows:read"], None)
    api_keys.revoke_api_key(as_member, str(first.row.id))
    api_keys.revoke_workspace_api_key(owner, team, str(second.row.id))

    db_session.expire_all()
    feed = db_session.scalars(
        select(SecurityEvent)
        .where(SecurityEvent.user_id == uuid.UUID(member.user_id))
        .where(SecurityEvent.type.in_(["api_key_created", "api_key_revoked"]))
        .order_by(SecurityEvent.created_at, SecurityEvent.type)
    ).all()
    seen = sorted((event.type, event.details["name"], event.details.get("byAdmin")) for event in feed)
    assert seen == [
        ("api_key_created", "ci", None),
        ("api_key_created", "deploy", None),
        ("api_key_revoked", "ci", True),
        ("api_key_revoked", "deploy", False),
    ]
    for event in feed:
        assert event.details["prefix"] in (first.row.prefix, second.row.prefix)
        assert first.plain not in str(event.details) and second.plain not in str(event.details)
    owners_feed = db_session.scalars(
        select(SecurityEvent.type).where(SecurityEvent.user_id == uuid.UUID(owner.user_id))
    ).all()
    assert "api_key_revoked" not in owners_feed
