"""`a2n credentials rotate-key` also moves the platform's own sealed secrets (webhook secrets, current
and previous; TOTP secrets; notification-channel secrets) onto the current master key: after a move
to another KMS key the functions may decrypt only under the new one, so a secret left behind would
refuse every delivery or sign-in."""

from __future__ import annotations

import uuid

import pytest
from credential_support import local_keys, member
from sqlalchemy.orm import Session

from a2n.cli import main as a2n_main
from a2n.crypto.envelope import decrypt_secret, encrypt_secret, pack_blob, unpack_blob
from a2n.crypto.providers import LocalKeyProvider
from a2n.db.enums import TriggerType
from a2n.db.models import NotificationChannel, User, Workflow, WorkflowTrigger
from a2n.services import two_factor
from a2n.services.notification_delivery import open_channel_secret, seal_channel_secret
from a2n.services.secret_rotation import rotate_platform_secrets

pytestmark = pytest.mark.usefixtures("local_keys")
__all__ = ["local_keys"]


def _sealed_rows(db_session: Session) -> tuple[WorkflowTrigger, User, NotificationChannel]:
    me = member(db_session)
    workflow = Workflow(workspace_id=me.workspace.id, name="wf", definition={"nodes": []})
    db_session.add(workflow)
    db_session.flush()
    trigger = WorkflowTrigger(
        workflow_id=workflow.id, workspace_id=me.workspace.id, node_id="hook", type=TriggerType.WEBHOOK
    )
    channel = NotificationChannel(workspace_id=me.workspace.id, kind="webhook", name="ops", target="h")
    db_session.add_all([trigger, channel])
    db_session.flush()
    trigger.webhook_secret_encrypted = pack_blob(
        encrypt_secret(b"now", purpose="webhook", owner_id=str(trigger.id))
    )
    trigger.webhook_secret_previous_encrypted = pack_blob(
        encrypt_secret(b"before", purpose="webhook", owner_id=str(trigger.id))
    )
    me.user.totp_secret_encrypted = two_factor._seal("JBSWY3DPEHPK3PXP", me.user.id)
    channel.secret = seal_channel_secret(channel.id, {"url": "https://hooks.example.org/x"})
    db_session.commit()
    return trigger, me.user, channel


def _versions(
    db_session: Session, trigger_id: uuid.UUID, user_id: uuid.UUID, channel_id: uuid.UUID
) -> list[int]:
    db_session.expire_all()
    trigger = db_session.get(WorkflowTrigger, trigger_id)
    user = db_session.get(User, user_id)
    channel = db_session.get(NotificationChannel, channel_id)
    assert trigger and user and channel
    packed = [trigger.webhook_secret_encrypted, trigger.webhook_secret_previous_encrypted,
              user.totp_secret_encrypted, channel.secret]  # fmt: skip
    return [unpack_blob(value).key_version for value in packed if value is not None]


def test_rotate_key_moves_webhook_totp_and_channel_secrets_and_they_still_open(
    db_session: Session, local_keys, capsys: pytest.CaptureFixture[str]
) -> None:
    trigger, user, channel = _sealed_rows(db_session)
    LocalKeyProvider(local_keys).add_version()

    assert rotate_platform_secrets(dry_run=True).stale >= 4
    assert set(_versions(db_session, trigger.id, user.id, channel.id)) == {1}  # a dry run writes nothing

    # Rows other tests committed, sealed under their own temporary keys, cannot open here and would
    # make the exit status 1: what this test owns is checked row by row instead.
    a2n_main(["credentials", "rotate-key"])
    assert "platform secret(s)" in capsys.readouterr().out

    assert _versions(db_session, trigger.id, user.id, channel.id) == [2, 2, 2, 2]
    row = db_session.get(WorkflowTrigger, trigger.id)
    assert row is not None and row.webhook_secret_encrypted and row.webhook_secret_previous_encrypted
    assert (
        decrypt_secret(unpack_blob(row.webhook_secret_encrypted), purpose="webhook", owner_id=str(trigger.id))
        == b"now"
    )
    assert (
        decrypt_secret(
            unpack_blob(row.webhook_secret_previous_encrypted), purpose="webhook", owner_id=str(trigger.id)
        )
        == b"before"
    )
    owner = db_session.get(User, user.id)
    assert owner is not None and owner.totp_secret_encrypted is not None
    assert two_factor._open(owner.totp_secret_encrypted, user.id) == "JBSWY3DPEHPK3PXP"
    kept = db_session.get(NotificationChannel, channel.id)
    assert kept is not None
    assert open_channel_secret(channel.id, kept.secret) == {"url": "https://hooks.example.org/x"}
    assert rotate_platform_secrets().rotated == 0  # a rerun has nothing left to move


def test_a_secret_edited_during_the_run_is_left_to_the_edit_and_reported_busy(
    db_session: Session, local_keys
) -> None:
    from a2n.db.repositories import sealed_secrets

    _trigger, _user, channel = _sealed_rows(db_session)
    LocalKeyProvider(local_keys).add_version()
    real_replace = sealed_secrets.SealedSecretRepository.replace

    def edited_first(self, kind, row_id, old, new):  # type: ignore[no-untyped-def]
        if row_id == channel.id:  # someone saved a new URL between the read and the write
            old = b"not what is stored any more"
        return real_replace(self, kind, row_id, old, new)

    sealed_secrets.SealedSecretRepository.replace = edited_first  # type: ignore[method-assign]
    try:
        report = rotate_platform_secrets()
    finally:
        sealed_secrets.SealedSecretRepository.replace = real_replace  # type: ignore[method-assign]

    assert f"notification_channel:{channel.id}" in report.busy and not report.complete
    assert rotate_platform_secrets().busy == []  # the rerun finishes it
