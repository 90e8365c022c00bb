"""Key rotation (SECURITY.md case 22): every row moves to the current key, and an interrupted run
resumes on rerun without double-wrapping anything. The row store is an in-memory fake of the table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from a2n.crypto.envelope import Binding, EncryptedBlob, decrypt_credential, encrypt_credential
from a2n.crypto.providers import KeyRef, LocalKeyProvider
from a2n.crypto.rotation import RotationItem, current_key_ref, rewrap, rotate_all
from a2n.settings import reset_settings


@dataclass
class CredentialTable:
    """Stands in for the credentials table: row id → (workspace id, blob)."""

    rows: dict[str, tuple[str, EncryptedBlob]] = field(default_factory=dict)
    saves: int = 0
    fail_on_save: int | None = None  # 1-based save number that raises, to simulate a crash

    def fetch_stale(self, current: KeyRef) -> list[RotationItem]:
        return [
            RotationItem(cid, blob, Binding.for_credential(credential_id=cid, workspace_id=ws))
            for cid, (ws, blob) in sorted(self.rows.items())
            if blob.key_ref != current
        ]

    def save(self, item: RotationItem, blob: EncryptedBlob) -> None:
        self.saves += 1
        if self.saves == self.fail_on_save:
            raise RuntimeError("Lambda killed mid-run")
        ws, _ = self.rows[item.row_id]
        self.rows[item.row_id] = (ws, blob)


@pytest.fixture
def provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalKeyProvider]:
    monkeypatch.setenv("A2N_LOCAL_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv("A2N_KMS_KEY_ID", raising=False)
    reset_settings()
    yield LocalKeyProvider(tmp_path / "keys")
    reset_settings()


def filled_table(count: int) -> CredentialTable:
    table = CredentialTable()
    for n in range(count):
        cid, ws = f"cred-{n}", f"ws-{n % 3}"
        table.rows[cid] = (ws, encrypt_credential({"token": f"t-{n}"}, credential_id=cid, workspace_id=ws))
    return table


def assert_all_current_and_readable(table: CredentialTable, current: KeyRef) -> None:
    for n in range(len(table.rows)):
        ws, blob = table.rows[f"cred-{n}"]
        assert blob.key_ref == current
        assert decrypt_credential(blob, credential_id=f"cred-{n}", workspace_id=ws) == {"token": f"t-{n}"}


def test_rewrap_moves_a_blob_to_the_new_master_key(provider: LocalKeyProvider) -> None:
    blob = encrypt_credential({"k": "v"}, credential_id="c1", workspace_id="w1")
    provider.add_version()

    fresh = rewrap(blob, credential_id="c1", workspace_id="w1", target_provider=provider)

    assert fresh.key_ref == KeyRef("local", 2) == current_key_ref()
    assert fresh.data_key_ciphertext != blob.data_key_ciphertext
    assert decrypt_credential(fresh, credential_id="c1", workspace_id="w1") == {"k": "v"}


def test_rotate_all_rewraps_every_stale_row(provider: LocalKeyProvider) -> None:
    table = filled_table(5)
    current = provider.add_version()

    report = rotate_all(lambda: table.fetch_stale(current), table.save, target_provider=provider)

    assert (report.rotated, report.failed) == (5, [])
    assert_all_current_and_readable(table, current)


def test_interrupted_rotation_resumes_and_completes(provider: LocalKeyProvider) -> None:
    table = filled_table(6)
    table.fail_on_save = 3
    current = provider.add_version()

    with pytest.raises(RuntimeError, match="killed"):
        rotate_all(lambda: table.fetch_stale(current), table.save, target_provider=provider)
    assert len(table.fetch_stale(current)) == 4  # two rows moved before the crash

    report = rotate_all(lambda: table.fetch_stale(current), table.save, target_provider=provider)

    assert report.rotated == 4
    assert_all_current_and_readable(table, current)  # each opens in one step: nothing double-wrapped


def test_rerun_after_completion_does_nothing(provider: LocalKeyProvider) -> None:
    table = filled_table(3)
    current = provider.add_version()
    rotate_all(lambda: table.fetch_stale(current), table.save, target_provider=provider)
    saves = table.saves

    report = rotate_all(lambda: table.fetch_stale(current), table.save, target_provider=provider)

    assert (report.rotated, table.saves) == (0, saves)


def test_row_already_current_in_a_page_is_not_rewrapped(provider: LocalKeyProvider) -> None:
    current = provider.add_version()
    blob = encrypt_credential({"k": "v"}, credential_id="c1", workspace_id="w1")
    item = RotationItem("c1", blob, Binding.for_credential(credential_id="c1", workspace_id="w1"))
    saved: list[EncryptedBlob] = []

    report = rotate_all(lambda: [item], lambda _item, new: saved.append(new), target_provider=provider)

    assert (report.already_current, saved) == (1, [])
    assert blob.key_ref == current


def test_unreadable_row_is_reported_and_left_alone(provider: LocalKeyProvider) -> None:
    table = filled_table(3)
    _, blob = table.rows["cred-1"]
    table.rows["cred-1"] = ("other-ws", blob)  # AAD no longer matches: this row cannot open
    current = provider.add_version()

    report = rotate_all(lambda: table.fetch_stale(current), table.save, target_provider=provider)

    assert (report.rotated, report.failed) == (2, ["cred-1"])
    assert table.rows["cred-1"] == ("other-ws", blob)
