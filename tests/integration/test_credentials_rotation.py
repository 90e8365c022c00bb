"""SECURITY 22 on real Postgres: envelopes are bound to their row and workspace, nonces never
repeat, and `a2n credentials rotate-key` moves every row, survives a crash and shares rows
with a concurrent run (SKIP LOCKED) instead of fighting over them."""

from __future__ import annotations

import uuid

import pytest
from credential_support import CANARY, ORIGIN, SAMPLE_DATA, load_for_run, local_keys, member
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from a2n.cli import main as a2n_main
from a2n.crypto.envelope import CredentialDecryptError
from a2n.crypto.providers import LocalKeyProvider
from a2n.db.models import Credential
from a2n.db.repositories.credentials import CredentialRepository
from a2n.db.url import connect_args_for, to_pg8000_url
from a2n.services.credentials import (
    CredentialDraft,
    create_credential,
    rotate_credential_keys,
)
from a2n.settings import get_settings, reset_settings

pytestmark = pytest.mark.usefixtures("local_keys")
__all__ = ["local_keys"]


def _seed(principal, count: int) -> dict[uuid.UUID, dict]:
    made = {}
    for i in range(count):
        data = {"token": f"{CANARY}-{i}"}
        made[create_credential(principal, CredentialDraft(f"c{i}", "bearer", data), ORIGIN).id] = data
    return made


def _assert_all_current_and_intact(session: Session, expected: dict[uuid.UUID, dict], version: int) -> None:
    session.expire_all()
    for row_id, data in expected.items():
        row = session.get(Credential, row_id)
        assert (row.key_id, row.key_version) == ("local", version)
        # One layer: the stored envelope opens straight to the original JSON object.
        assert load_for_run(session, workspace_id=row.workspace_id, credential_id=str(row_id)).data == data


def test_ciphertext_copied_onto_another_row_or_workspace_does_not_open(db_session) -> None:
    me, other = member(db_session), member(db_session)
    victim = create_credential(me.principal, CredentialDraft("v", "bearer", {"token": CANARY}), ORIGIN)
    mine = create_credential(me.principal, CredentialDraft("m", "bearer", {"token": "x"}), ORIGIN)
    theirs = create_credential(other.principal, CredentialDraft("t", "bearer", {"token": "y"}), ORIGIN)
    source = db_session.get(Credential, victim.id)
    for target_id, workspace in ((mine.id, me.workspace), (theirs.id, other.workspace)):
        target = db_session.get(Credential, target_id)
        target.encrypted_data, target.data_key_ciphertext = source.encrypted_data, source.data_key_ciphertext
        db_session.flush()
        with pytest.raises(CredentialDecryptError) as caught:
            load_for_run(db_session, workspace_id=workspace.id, credential_id=str(target_id))
        assert CANARY not in str(caught.value)
    # Moving the row itself to another workspace breaks the binding too.
    source.workspace_id = other.workspace.id
    db_session.flush()
    with pytest.raises(CredentialDecryptError):
        load_for_run(db_session, workspace_id=other.workspace.id, credential_id=str(victim.id))


def test_nonces_and_data_keys_never_repeat(db_session) -> None:
    me = member(db_session)
    _seed(me.principal, 30)
    rows = db_session.scalars(select(Credential)).all()
    nonces = {row.encrypted_data[1:13] for row in rows}
    assert len(nonces) == len({row.data_key_ciphertext for row in rows}) == len(rows) == 30


def test_rotate_moves_every_row_to_the_new_master_key(db_session, local_keys) -> None:
    me = member(db_session)
    seeded = _seed(me.principal, 5)
    LocalKeyProvider(local_keys).add_version()

    assert rotate_credential_keys(dry_run=True).stale == 5
    assert {r.key_version for r in db_session.scalars(select(Credential))} == {1}  # dry run wrote nothing
    progress: list[tuple[int, int]] = []
    summary = rotate_credential_keys(on_progress=lambda done, total: progress.append((done, total)))

    assert (summary.stale, summary.rotated, summary.complete) == (5, 5, True)
    assert progress[-1] == (5, 5)
    _assert_all_current_and_intact(db_session, seeded, version=2)
    assert rotate_credential_keys().stale == 0  # rerun is a no-op


def test_rotation_interrupted_midway_resumes_and_nothing_is_double_wrapped(
    db_session, local_keys, monkeypatch
) -> None:
    me = member(db_session)
    seeded = _seed(me.principal, 6)
    LocalKeyProvider(local_keys).add_version()
    real_write = CredentialRepository.write_envelope
    calls = {"n": 0}

    def crash_on_fourth(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("killed mid-rotation")
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(CredentialRepository, "write_envelope", crash_on_fourth)
    with pytest.raises(RuntimeError):
        rotate_credential_keys(batch_size=2)
    db_session.expire_all()
    versions = sorted(r.key_version for r in db_session.scalars(select(Credential)))
    assert versions == [1, 1, 1, 2, 2, 2]  # three committed; the fourth rolled back whole

    monkeypatch.setattr(CredentialRepository, "write_envelope", real_write)
    summary = rotate_credential_keys(batch_size=2)
    assert (summary.stale, summary.rotated) == (3, 3)
    _assert_all_current_and_intact(db_session, seeded, version=2)


def test_unreadable_rows_are_reported_and_left_alone(db_session, local_keys) -> None:
    me = member(db_session)
    seeded = _seed(me.principal, 2)
    broken_id, good_id = list(seeded)
    broken = db_session.get(Credential, broken_id)
    broken.data_key_ciphertext = b"\x00" * len(broken.data_key_ciphertext)
    db_session.flush()
    LocalKeyProvider(local_keys).add_version()

    summary = rotate_credential_keys()

    assert (summary.rotated, summary.failed, summary.complete) == (1, [str(broken_id)], False)
    assert db_session.get(Credential, broken_id).key_version == 1
    _assert_all_current_and_intact(db_session, {good_id: seeded[good_id]}, version=2)


def test_a_row_locked_by_another_transaction_is_skipped_then_done_on_rerun(clean_db, local_keys) -> None:
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        me = member(uow.session)
        uow.commit()
    seeded = _seed(me.principal, 3)
    LocalKeyProvider(local_keys).add_version()
    held = next(iter(seeded))

    # Another process's connection (the app's pool holds a single one).
    url = to_pg8000_url(clean_db)
    other_engine = create_engine(url, connect_args=connect_args_for(url, get_settings()))
    with other_engine.connect() as other_run:
        other_run.execute(text("SELECT id FROM credentials WHERE id = :id FOR UPDATE"), {"id": held})
        first = rotate_credential_keys()
        other_run.rollback()
    other_engine.dispose()
    assert (first.rotated, first.locked) == (2, [str(held)])

    second = rotate_credential_keys()
    assert (second.rotated, second.complete) == (1, True)
    with UnitOfWork() as uow:
        _assert_all_current_and_intact(uow.session, seeded, version=2)


def test_cli_rotate_key_prints_progress_and_summary(db_session, local_keys, capsys) -> None:
    me = member(db_session)
    create_credential(me.principal, CredentialDraft("k", "api_key", SAMPLE_DATA["api_key"]), ORIGIN)

    assert a2n_main(["credentials", "new-key"]) == 0
    assert a2n_main(["credentials", "rotate-key", "--dry-run"]) == 0
    assert a2n_main(["credentials", "rotate-key"]) == 0

    out = capsys.readouterr().out
    assert "created local master key v2" in out
    assert "1 credential(s) to re-encrypt onto local v2" in out
    assert "re-encrypted 1/1" in out
    assert "re-encrypted 1 of 1 credential(s) onto local v2" in out
    assert CANARY not in out


def test_rotation_from_the_local_key_to_kms_after_a_key_id_change(db_session, aws, monkeypatch) -> None:
    import boto3

    from a2n.adapters import kms

    me = member(db_session)
    seeded = _seed(me.principal, 2)
    key = boto3.client("kms", region_name="us-east-1").create_key(Description="a2n")["KeyMetadata"]
    monkeypatch.setenv("A2N_KMS_KEY_ID", key["KeyId"])
    reset_settings()
    kms.reset_client()

    summary = rotate_credential_keys()

    assert (summary.rotated, summary.target.key_id) == (2, key["Arn"])
    db_session.expire_all()
    for row_id, data in seeded.items():
        row = db_session.get(Credential, row_id)
        assert row.key_id == key["Arn"]
        loaded = load_for_run(db_session, workspace_id=row.workspace_id, credential_id=str(row_id))
        assert loaded.data == data
    kms.reset_client()
