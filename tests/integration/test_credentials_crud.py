"""Credential use cases on real Postgres: per-type validation that never echoes a value,
encryption at rest, metadata-only answers, workspace isolation, roles/scopes, and the audit trail."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from credential_support import CANARY, ORIGIN, SAMPLE_DATA, api_key_of, load_for_run, local_keys, member
from sqlalchemy import func, select

from a2n.api.pagination import PageRequest, decode_cursor
from a2n.db.enums import WorkspaceRole
from a2n.db.models import AuditLog, Credential
from a2n.errors import Conflict, Forbidden, NotFound, ValidationFailed
from a2n.services.credentials import (
    CredentialChanges,
    CredentialDraft,
    create_credential,
    delete_credential,
    get_credential,
    list_credentials,
    update_credential,
)

pytestmark = pytest.mark.usefixtures("local_keys")
__all__ = ["local_keys"]


def _create(principal, name="stripe", type_="bearer", data=None, **kw):
    draft = CredentialDraft(name=name, type=type_, data={"token": CANARY} if data is None else data, **kw)
    return create_credential(principal, draft, ORIGIN)


def _audit_rows(session, entity_id) -> list[AuditLog]:
    rows = session.scalars(select(AuditLog).where(AuditLog.entity_id == str(entity_id)).order_by(AuditLog.ts))
    return list(rows)


@pytest.mark.parametrize("type_", sorted(SAMPLE_DATA))
def test_every_type_is_stored_encrypted_and_opens_for_the_engine(db_session, type_) -> None:
    me = member(db_session)
    info = _create(me.principal, type_=type_, data=SAMPLE_DATA[type_])

    row = db_session.get(Credential, info.id)
    assert CANARY.encode() not in row.encrypted_data
    assert (row.type, row.created_by, row.key_id) == (type_, me.user.id, "local")
    loaded = load_for_run(db_session, workspace_id=me.workspace.id, credential_id=str(info.id))
    assert loaded.data == SAMPLE_DATA[type_]


def test_create_records_field_names_but_no_value_in_the_audit_trail(db_session) -> None:
    me = member(db_session)
    info = _create(me.principal, type_="custom_headers", data=SAMPLE_DATA["custom_headers"])

    [entry] = _audit_rows(db_session, info.id)
    assert (entry.action, entry.entity_type) == ("credential.create", "credential")
    assert entry.actor_id == me.user.id
    assert entry.changes["fields"] == ["headers.X-Tenant", "headers.X-Token"]
    assert (entry.ip, entry.user_agent) == (ORIGIN.ip, ORIGIN.user_agent)
    assert CANARY not in json.dumps(entry.changes)


@pytest.mark.parametrize(
    ("type_", "data", "pointer"),
    [
        ("bearer", {}, "/data/token"),
        ("bearer", {"token": CANARY, "extra": CANARY}, "/data/extra"),
        ("bearer", {"token": 12345}, "/data/token"),
        ("bearer", {"token": CANARY + "\r\nX-Evil: 1"}, "/data/token"),
        ("api_key", {"key": CANARY, "in": CANARY, "name": "X-Key"}, "/data/in"),
        ("api_key", {"key": CANARY, "name": CANARY + " bad name"}, "/data/name"),
        ("basic", {"username": CANARY + ":x", "password": CANARY}, "/data/username"),
        (
            "oauth2_client_credentials",
            {"tokenUrl": f"http://{CANARY}.example.com/t", "clientId": "c", "clientSecret": CANARY},
            "/data/tokenUrl",
        ),
        ("oauth2", {**SAMPLE_DATA["oauth2"], "expiresAt": CANARY}, "/data/expiresAt"),
        ("custom_headers", {"headers": {}}, "/data/headers"),
        ("custom_headers", {"headers": {"X-A": 1}}, "/data/headers/X-A"),
        ("custom_headers", {"headers": CANARY}, "/data/headers"),
        ("bearer", CANARY, "/data"),
    ],
)
def test_invalid_data_is_a_422_at_its_pointer_that_never_quotes_the_value(
    db_session, type_, data, pointer
) -> None:
    me = member(db_session)
    with pytest.raises(ValidationFailed) as caught:
        _create(me.principal, type_=type_, data=data)

    problems = [p.as_dict() for p in caught.value.problems]
    assert pointer in [p["pointer"] for p in problems]
    assert CANARY not in json.dumps(caught.value.problem() | {"e": problems})
    assert db_session.scalar(select(func.count()).select_from(Credential)) == 0


def test_http_token_url_is_allowed_only_for_loopback(db_session) -> None:
    me = member(db_session)
    data = {"tokenUrl": "http://127.0.0.1:8080/token", "clientId": "c", "clientSecret": "s"}
    created = _create(me.principal, type_="oauth2_client_credentials", data=data)
    assert created.type == "oauth2_client_credentials"


def test_duplicate_name_in_a_workspace_is_a_conflict_and_writes_nothing(db_session) -> None:
    me = member(db_session)
    _create(me.principal, name="dup")
    with pytest.raises(Conflict):
        _create(me.principal, name="dup")
    assert db_session.scalar(select(func.count()).select_from(Credential)) == 1
    assert db_session.scalar(select(func.count()).select_from(AuditLog)) == 1
    other = member(db_session)
    assert _create(other.principal, name="dup").name == "dup"  # names are per workspace


def test_past_expiry_is_refused(db_session) -> None:
    me = member(db_session)
    with pytest.raises(ValidationFailed) as caught:
        _create(me.principal, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    assert caught.value.problems[0].pointer == "/expiresAt"


def test_get_shows_field_names_never_values(db_session) -> None:
    me = member(db_session)
    created = _create(me.principal, type_="oauth2", data=SAMPLE_DATA["oauth2"])
    info = get_credential(me.principal, str(created.id))
    assert info.fields == sorted(SAMPLE_DATA["oauth2"])
    assert CANARY not in repr(info)


def test_list_pages_newest_first_with_a_cursor(db_session) -> None:
    me = member(db_session)
    names = [f"c{i}" for i in range(5)]
    for name in names:
        _create(me.principal, name=name)
    _create(member(db_session).principal, name="foreign")

    first = list_credentials(me.principal, PageRequest(limit=3))
    rest = list_credentials(me.principal, PageRequest(limit=3, cursor=decode_cursor(first.next_cursor)))

    assert [i.name for i in first.items] == ["c4", "c3", "c2"]
    assert [i.name for i in rest.items] == ["c1", "c0"]
    assert rest.next_cursor is None
    assert all(i.fields is None for i in first.items)


def test_update_replaces_data_under_a_fresh_data_key_and_audits_names_only(db_session) -> None:
    me = member(db_session)
    info = _create(me.principal)
    before = db_session.get(Credential, info.id).data_key_ciphertext

    changed = update_credential(
        me.principal, str(info.id),
        CredentialChanges(name="renamed", type="basic", data={"username": "u", "password": CANARY + "2"}),
        ORIGIN,
    )

    db_session.expire_all()
    row = db_session.get(Credential, info.id)
    assert (changed.name, changed.type, row.type) == ("renamed", "basic", "basic")
    assert row.data_key_ciphertext != before
    loaded = load_for_run(db_session, workspace_id=me.workspace.id, credential_id=str(info.id))
    assert loaded.data == {"username": "u", "password": CANARY + "2"}
    update_entry = _audit_rows(db_session, info.id)[-1]
    assert update_entry.action == "credential.update"
    assert update_entry.changes["name"] == {"from": "stripe", "to": "renamed"}
    assert update_entry.changes["fields"] == ["password", "username"]
    assert CANARY not in json.dumps(update_entry.changes)


def test_update_type_without_data_rename_clash_and_expiry(db_session) -> None:
    me = member(db_session)
    info = _create(me.principal, name="a", expires_at=datetime.now(UTC) + timedelta(days=1))
    _create(me.principal, name="b")
    with pytest.raises(ValidationFailed):
        update_credential(me.principal, str(info.id), CredentialChanges(type="basic"), ORIGIN)
    with pytest.raises(Conflict):
        update_credential(me.principal, str(info.id), CredentialChanges(name="b"), ORIGIN)
    cleared = update_credential(me.principal, str(info.id), CredentialChanges(clear_expiry=True), ORIGIN)
    assert cleared.expires_at is None
    assert load_for_run(db_session, workspace_id=me.workspace.id, credential_id=str(info.id)).data == {
        "token": CANARY
    }


def test_delete_removes_it_for_runs_and_audits(db_session) -> None:
    me = member(db_session)
    info = _create(me.principal)
    delete_credential(me.principal, str(info.id), ORIGIN)

    with pytest.raises(NotFound):
        get_credential(me.principal, str(info.id))
    with pytest.raises(NotFound, match="credential not found, inactive, or not shared"):
        load_for_run(db_session, workspace_id=me.workspace.id, credential_id=str(info.id))
    assert [e.action for e in _audit_rows(db_session, info.id)] == ["credential.create", "credential.delete"]


def test_another_workspace_sees_404_on_every_id_route(db_session) -> None:
    owner, stranger = member(db_session), member(db_session)
    info = _create(owner.principal)
    for attempt in (
        lambda: get_credential(stranger.principal, str(info.id)),
        lambda: update_credential(stranger.principal, str(info.id), CredentialChanges(name="x"), ORIGIN),
        lambda: delete_credential(stranger.principal, str(info.id), ORIGIN),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert get_credential(owner.principal, str(info.id)).name == "stripe"
    assert list_credentials(stranger.principal, PageRequest()).items == []


@pytest.mark.parametrize("bad_id", ["nope", str(uuid.uuid4()), "1' OR '1'='1"])
def test_unknown_or_malformed_ids_are_404(db_session, bad_id) -> None:
    me = member(db_session)
    with pytest.raises(NotFound):
        get_credential(me.principal, bad_id)


def test_viewers_read_but_do_not_write_and_api_keys_need_their_scope(db_session) -> None:
    owner = member(db_session)
    info = _create(owner.principal)
    viewer = member(db_session, WorkspaceRole.VIEWER, workspace=owner.workspace)
    assert get_credential(viewer.principal, str(info.id)).id == info.id
    with pytest.raises(Forbidden):
        _create(viewer.principal, name="v")
    with pytest.raises(Forbidden):
        delete_credential(viewer.principal, str(info.id), ORIGIN)

    read_only_key = api_key_of(owner, "credentials:read")
    assert list_credentials(read_only_key, PageRequest()).items
    with pytest.raises(Forbidden):
        _create(read_only_key, name="k")
    assert _create(api_key_of(owner, "credentials:write"), name="k").name == "k"
