"""Envelopes under KMS (moto): data keys from GenerateDataKey bound by encryption context, rotation
from the local master key onto KMS, and the JWT signing key read from Secrets Manager."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import jwt
import pytest
from moto import mock_aws

from a2n.adapters import kms
from a2n.adapters.secrets import clear_secret_cache
from a2n.auth.tokens import issue_access_token, verify_access_token
from a2n.crypto.envelope import (
    Binding,
    CredentialDecryptError,
    EncryptedBlob,
    decrypt_credential,
    encrypt_credential,
)
from a2n.crypto.providers import KeyRef, KmsKeyProvider, LocalKeyProvider
from a2n.crypto.rotation import RotationItem, current_key_ref, rewrap, rotate_all
from a2n.errors import ServiceUnavailable
from a2n.settings import reset_settings

DATA = {"clientSecret": "canary-kms-5ec2e7"}
SID = "5e55104e-0000-4000-8000-000000000002"


@pytest.fixture
def aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "A2N_LOCAL_KEY_DIR": str(tmp_path / "keys"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        reset_settings()
        kms.reset_client()
        yield boto3.client("kms", region_name="us-east-1")
    kms.reset_client()
    clear_secret_cache()
    reset_settings()


@pytest.fixture
def kms_key(aws: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    key_id = aws.create_key(Description="a2n credentials")["KeyMetadata"]["KeyId"]
    aws.create_alias(AliasName="alias/a2n-test", TargetKeyId=key_id)
    monkeypatch.setenv("A2N_KMS_KEY_ID", "alias/a2n-test")
    reset_settings()
    return str(aws.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"])


def test_credential_round_trips_through_kms(kms_key: str) -> None:
    blob = encrypt_credential(DATA, credential_id="c1", workspace_id="w1")

    assert (blob.key_id, blob.key_version) == (kms_key, 1)
    assert current_key_ref() == KeyRef(kms_key, 1)  # alias resolved, so rows compare as current
    assert decrypt_credential(blob, credential_id="c1", workspace_id="w1") == DATA


def test_kms_data_key_is_bound_to_its_encryption_context(kms_key: str, aws: Any) -> None:
    blob = encrypt_credential(DATA, credential_id="c1", workspace_id="w1")

    # KMS itself refuses the wrapped data key under another credential's context ...
    with pytest.raises(aws.exceptions.InvalidCiphertextException):
        aws.decrypt(
            CiphertextBlob=blob.data_key_ciphertext,
            EncryptionContext={"workspaceId": "w1", "credentialId": "c2"},
        )
    # ... so the envelope does not open for another credential or workspace.
    for cid, ws in [("c2", "w1"), ("c1", "w2")]:
        with pytest.raises(CredentialDecryptError) as caught:
            decrypt_credential(blob, credential_id=cid, workspace_id=ws)
        assert "canary" not in str(caught.value)


def test_tampered_kms_data_key_fails(kms_key: str) -> None:
    blob = encrypt_credential(DATA, credential_id="c1", workspace_id="w1")
    raw = bytearray(blob.data_key_ciphertext)
    raw[-1] ^= 0x01

    with pytest.raises(CredentialDecryptError):
        decrypt_credential(
            dataclasses.replace(blob, data_key_ciphertext=bytes(raw)), credential_id="c1", workspace_id="w1"
        )


def test_data_key_claimed_for_another_kms_key_fails(kms_key: str, aws: Any) -> None:
    blob = encrypt_credential(DATA, credential_id="c1", workspace_id="w1")
    other = aws.create_key()["KeyMetadata"]["Arn"]

    # Real KMS answers IncorrectKeyException (→ CredentialDecryptError); moto answers
    # AccessDeniedException, which A2N treats as a permissions problem (→ 503). Either way: no data.
    with pytest.raises((CredentialDecryptError, ServiceUnavailable)) as caught:
        decrypt_credential(dataclasses.replace(blob, key_id=other), credential_id="c1", workspace_id="w1")
    assert "canary" not in str(caught.value)


def test_rows_under_the_local_master_key_rotate_onto_kms(aws: Any, tmp_path: Path) -> None:
    local_blobs = {
        f"c{n}": encrypt_credential({"n": n}, credential_id=f"c{n}", workspace_id="w1") for n in range(3)
    }
    assert {b.key_id for b in local_blobs.values()} == {"local"}
    arn = aws.create_key()["KeyMetadata"]["Arn"]
    target = KmsKeyProvider(arn)
    current = current_key_ref(target)
    table = dict(local_blobs)

    def fetch_stale() -> list[RotationItem]:
        return [
            RotationItem(cid, blob, Binding.for_credential(credential_id=cid, workspace_id="w1"))
            for cid, blob in table.items()
            if blob.key_ref != current
        ]

    def save(item: RotationItem, blob: EncryptedBlob) -> None:
        table[item.row_id] = blob

    report = rotate_all(fetch_stale, save, target_provider=target)

    assert report.rotated == 3
    for cid, blob in table.items():
        assert blob.key_ref == KeyRef(arn, 1)
        assert decrypt_credential(blob, credential_id=cid, workspace_id="w1") == {"n": int(cid[1:])}


def test_rewrap_from_kms_back_to_a_local_key(kms_key: str, tmp_path: Path) -> None:
    blob = encrypt_credential(DATA, credential_id="c1", workspace_id="w1")

    local = LocalKeyProvider(tmp_path / "keys")
    fresh = rewrap(blob, credential_id="c1", workspace_id="w1", target_provider=local)

    assert fresh.key_id == "local"
    assert decrypt_credential(fresh, credential_id="c1", workspace_id="w1") == DATA


def test_jwt_keys_come_from_secrets_manager_with_rotation(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    arn = secrets.create_secret(Name="a2n/jwt", SecretString="p" * 48)["ARN"]
    monkeypatch.setenv("A2N_JWT_SECRET_ARN", arn)
    reset_settings()
    old_token, _ = issue_access_token(user_id="u1", session_id=SID)
    old_kid = jwt.get_unverified_header(old_token)["kid"]

    secrets.put_secret_value(
        SecretId=arn,
        SecretString=json.dumps(
            {"current": {"kid": "k2", "key": "q" * 48}, "previous": {"kid": old_kid, "key": "p" * 48}}
        ),
    )
    clear_secret_cache()
    new_token, _ = issue_access_token(user_id="u2", session_id=SID)

    assert verify_access_token(old_token).user_id == "u1"
    assert verify_access_token(new_token).user_id == "u2"
