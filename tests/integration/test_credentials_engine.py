"""What the engine gets from a credential: decrypted data for usable ones only, refreshed data
re-encrypted under a fresh data key, and last_used_at stamped."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from credential_support import load_for_run

from a2n.crypto.envelope import encrypt_credential
from a2n.db.models import Credential, Workspace
from a2n.errors import NotFound
from a2n.services.credentials import refresh_data
from a2n.settings import reset_settings


@pytest.fixture(autouse=True)
def local_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("A2N_KMS_KEY_ID", raising=False)
    monkeypatch.setenv("A2N_LOCAL_KEY_DIR", str(tmp_path / "keys"))
    reset_settings()
    yield tmp_path / "keys"
    reset_settings()


def _workspace(db_session) -> Workspace:
    ws = Workspace(name="W", slug=f"w-{uuid.uuid4().hex[:8]}")
    db_session.add(ws)
    db_session.flush()
    return ws


def _credential(db_session, ws: Workspace, data: dict, **fields) -> Credential:
    cred_id = uuid.uuid4()
    blob = encrypt_credential(data, credential_id=str(cred_id), workspace_id=str(ws.id))
    row = Credential(
        id=cred_id, workspace_id=ws.id, name=f"c-{cred_id.hex[:6]}", type=fields.pop("type", "bearer"),
        encrypted_data=blob.ciphertext, data_key_ciphertext=blob.data_key_ciphertext,
        key_id=blob.key_id, key_version=blob.key_version, **fields,
    )
    db_session.add(row)
    db_session.flush()
    return row


def test_load_for_node_returns_the_decrypted_data_and_marks_it_used(db_session) -> None:
    ws = _workspace(db_session)
    row = _credential(db_session, ws, {"token": "canary-bearer"})

    loaded = load_for_run(db_session, workspace_id=ws.id, credential_id=str(row.id))

    assert (loaded.id, loaded.type, loaded.data) == (str(row.id), "bearer", {"token": "canary-bearer"})
    assert "canary-bearer" not in repr(loaded)
    db_session.expire_all()
    assert db_session.get(Credential, row.id).last_used_at is not None


@pytest.mark.parametrize(
    "fields",
    [{"is_active": False}, {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}],
    ids=["inactive", "expired"],
)
def test_load_for_node_refuses_unusable_credentials(db_session, fields) -> None:
    ws = _workspace(db_session)
    row = _credential(db_session, ws, {"token": "t"}, **fields)
    with pytest.raises(NotFound, match="credential not found, inactive, or not shared"):
        load_for_run(db_session, workspace_id=ws.id, credential_id=str(row.id))


@pytest.mark.parametrize("credential_id", [str(uuid.uuid4()), "not-a-uuid", ""])
def test_load_for_node_answers_not_found_for_unknown_or_malformed_ids(db_session, credential_id) -> None:
    ws = _workspace(db_session)
    with pytest.raises(NotFound, match="credential not found, inactive, or not shared"):
        load_for_run(db_session, workspace_id=ws.id, credential_id=credential_id)


def test_load_for_node_does_not_open_another_workspaces_credential(db_session) -> None:
    mine, theirs = _workspace(db_session), _workspace(db_session)
    row = _credential(db_session, theirs, {"token": "t"})
    with pytest.raises(NotFound):
        load_for_run(db_session, workspace_id=mine.id, credential_id=str(row.id))


def test_refreshed_data_is_reencrypted_under_a_new_data_key(db_session) -> None:
    ws = _workspace(db_session)
    row = _credential(db_session, ws, {"accessToken": "old"}, type="oauth2")
    before_data_key, before_updated = row.data_key_ciphertext, row.updated_at

    seen: list[Any] = []
    renewed = refresh_data(
        db_session, workspace_id=ws.id, credential_id=str(row.id),
        renew=lambda current: seen.append(dict(current)) or {"accessToken": "new"},
    )  # fmt: skip
    assert seen == [{"accessToken": "old"}] and renewed == {"accessToken": "new"}

    db_session.expire_all()
    stored = db_session.get(Credential, row.id)
    assert stored.data_key_ciphertext != before_data_key
    assert b"new" not in stored.encrypted_data
    assert stored.updated_at == before_updated  # a refresh is not a user edit
    loaded = load_for_run(db_session, workspace_id=ws.id, credential_id=str(row.id))
    assert loaded.data == {"accessToken": "new"}


def test_refresh_cannot_read_or_write_another_workspace(db_session) -> None:
    mine, theirs = _workspace(db_session), _workspace(db_session)
    row = _credential(db_session, theirs, {"accessToken": "x"}, type="oauth2")
    with pytest.raises(NotFound):
        refresh_data(db_session, workspace_id=mine.id, credential_id=str(row.id), renew=lambda c: {"a": "b"})


def test_data_renew_returns_unchanged_is_not_rewritten(db_session) -> None:
    ws = _workspace(db_session)
    row = _credential(db_session, ws, {"accessToken": "fresh"}, type="oauth2")
    before_data_key = row.data_key_ciphertext
    assert refresh_data(db_session, workspace_id=ws.id, credential_id=str(row.id), renew=dict) == {
        "accessToken": "fresh"
    }
    db_session.expire_all()
    assert db_session.get(Credential, row.id).data_key_ciphertext == before_data_key
