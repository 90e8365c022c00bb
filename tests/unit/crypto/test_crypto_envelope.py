"""Credential envelopes (SECURITY.md cases 21-22): round trip, AAD binding, nonces, wrong keys."""

from __future__ import annotations

import dataclasses
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from a2n.crypto.envelope import (
    CredentialDecryptError,
    decrypt_credential,
    decrypt_secret,
    encrypt_credential,
    encrypt_secret,
)
from a2n.crypto.keyfiles import write_new_key_file
from a2n.crypto.providers import LocalKeyProvider, get_key_provider
from a2n.settings import reset_settings

CANARY = "canary-s3cr3t-7f1d"
DATA = {"username": "ada", "password": CANARY}


@pytest.fixture(autouse=True)
def local_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    key_dir = tmp_path / "keys"
    monkeypatch.setenv("A2N_LOCAL_KEY_DIR", str(key_dir))
    monkeypatch.delenv("A2N_KMS_KEY_ID", raising=False)
    reset_settings()
    yield key_dir
    reset_settings()


def test_credential_round_trips_under_the_local_master_key() -> None:
    blob = encrypt_credential(DATA, credential_id="c1", workspace_id="w1")

    assert decrypt_credential(blob, credential_id="c1", workspace_id="w1") == DATA
    assert (blob.key_id, blob.key_version) == ("local", 1)
    assert CANARY.encode() not in blob.ciphertext


def test_local_master_key_file_is_created_private(local_keys: Path) -> None:
    encrypt_credential(DATA, credential_id="c1", workspace_id="w1")

    mode = stat.S_IMODE((local_keys / "master-v1.key").stat().st_mode)
    assert mode == 0o600


@pytest.mark.parametrize(
    ("credential_id", "workspace_id"), [("c2", "w1"), ("c1", "w2"), ("c2", "w2")]
)
def test_ciphertext_copied_to_another_credential_or_workspace_fails(
    credential_id: str, workspace_id: str
) -> None:
    blob = encrypt_credential(DATA, credential_id="c1", workspace_id="w1")

    with pytest.raises(CredentialDecryptError):
        decrypt_credential(blob, credential_id=credential_id, workspace_id=workspace_id)


def test_data_key_of_one_credential_does_not_open_another() -> None:
    # Move only the sealed data across: the other row's wrapped key is bound to its own owner.
    mine = encrypt_credential(DATA, credential_id="c1", workspace_id="w1")
    theirs = encrypt_credential({"x": "y"}, credential_id="c2", workspace_id="w1")
    swapped = dataclasses.replace(theirs, ciphertext=mine.ciphertext)

    with pytest.raises(CredentialDecryptError):
        decrypt_credential(swapped, credential_id="c2", workspace_id="w1")


@pytest.mark.parametrize("field", ["ciphertext", "data_key_ciphertext"])
def test_tampered_envelope_fails(field: str) -> None:
    blob = encrypt_credential(DATA, credential_id="c1", workspace_id="w1")
    raw = bytearray(getattr(blob, field))
    raw[-1] ^= 0x01

    with pytest.raises(CredentialDecryptError):
        tampered = dataclasses.replace(blob, **{field: bytes(raw)})
        decrypt_credential(tampered, credential_id="c1", workspace_id="w1")


def test_other_master_key_fails(local_keys: Path) -> None:
    blob = encrypt_credential(DATA, credential_id="c1", workspace_id="w1")
    (local_keys / "master-v1.key").unlink()
    write_new_key_file(local_keys / "master-v1.key")

    with pytest.raises(CredentialDecryptError):
        decrypt_credential(blob, credential_id="c1", workspace_id="w1")


def test_missing_master_key_version_fails() -> None:
    blob = encrypt_credential(DATA, credential_id="c1", workspace_id="w1")

    with pytest.raises(CredentialDecryptError):
        decrypt_credential(dataclasses.replace(blob, key_version=9), credential_id="c1", workspace_id="w1")


def test_nonces_and_data_keys_are_never_reused() -> None:
    blobs = [encrypt_credential(DATA, credential_id="c1", workspace_id="w1") for _ in range(1000)]

    nonces = {b.ciphertext[1:13] for b in blobs}
    data_keys = {b.data_key_ciphertext for b in blobs}
    assert len(nonces) == len(data_keys) == 1000


def test_decrypt_error_never_contains_the_data() -> None:
    blob = encrypt_credential(DATA, credential_id="c1", workspace_id="w1")

    with pytest.raises(CredentialDecryptError) as caught:
        decrypt_credential(blob, credential_id="c1", workspace_id="w2")

    exc = caught.value
    texts = [str(exc), repr(exc), str(exc.__cause__), repr(exc.problem())]
    assert all(CANARY not in t for t in texts)
    assert exc.status == 500


def test_blob_repr_does_not_show_plaintext() -> None:
    blob = encrypt_credential(DATA, credential_id="c1", workspace_id="w1")

    assert CANARY not in repr(blob)


def test_unknown_envelope_format_is_refused() -> None:
    blob = encrypt_credential(DATA, credential_id="c1", workspace_id="w1")
    other = dataclasses.replace(blob, ciphertext=b"\x02" + blob.ciphertext[1:])

    with pytest.raises(CredentialDecryptError):
        decrypt_credential(other, credential_id="c1", workspace_id="w1")


def test_ids_with_the_aad_separator_are_refused() -> None:
    # "w:a"/"b" and "w"/"a:b" would otherwise share the AAD "a2n:credential:w:a:b".
    with pytest.raises(ValueError, match="':'"):
        encrypt_credential(DATA, credential_id="b", workspace_id="w:a")


def test_secret_round_trips_and_is_bound_to_purpose_and_owner() -> None:
    blob = encrypt_secret(b"whsec_" + CANARY.encode(), purpose="webhook", owner_id="t1")

    assert decrypt_secret(blob, purpose="webhook", owner_id="t1") == b"whsec_" + CANARY.encode()
    with pytest.raises(CredentialDecryptError):
        decrypt_secret(blob, purpose="webhook", owner_id="t2")
    with pytest.raises(CredentialDecryptError):
        decrypt_secret(blob, purpose="oauth", owner_id="t1")


def test_secret_cannot_pose_as_a_credential() -> None:
    with pytest.raises(ValueError, match="purpose"):
        encrypt_secret(b"x", purpose="credential", owner_id="w1")


def test_new_master_version_becomes_current_and_old_rows_still_open(local_keys: Path) -> None:
    old = encrypt_credential(DATA, credential_id="c1", workspace_id="w1")
    LocalKeyProvider(local_keys).add_version()

    new = encrypt_credential(DATA, credential_id="c1", workspace_id="w1")

    assert (old.key_version, new.key_version) == (1, 2)
    assert decrypt_credential(old, credential_id="c1", workspace_id="w1") == DATA


def test_provider_is_local_without_kms_key_id(local_keys: Path) -> None:
    provider = get_key_provider()

    assert isinstance(provider, LocalKeyProvider)
    assert provider.key_dir == local_keys
