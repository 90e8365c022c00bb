"""Envelope encryption of credential data and webhook secrets: AES-256-GCM, one data key each.

The AAD and the key provider's encryption context bind a ciphertext to its owner, so a blob copied
onto another credential or workspace fails to open. Errors never carry the data.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from a2n.crypto.providers import DataKeyUnavailable, KeyProvider, KeyRef, get_key_provider, provider_for
from a2n.errors import A2NError

_FORMAT_V1 = b"\x01"  # leading byte of ``ciphertext``: lets the layout change without a migration
_NONCE_BYTES = 12
_CREDENTIAL = "credential"


class CredentialDecryptError(A2NError):
    """A stored envelope could not be opened. The message names the owner, never the data."""

    status, title, type_slug = 500, "Credential could not be decrypted", "credential-decrypt"


@dataclass(frozen=True)
class EncryptedBlob:
    """What is stored: ``ciphertext`` = format byte + 96-bit nonce + AES-GCM output (with tag)."""

    ciphertext: bytes
    data_key_ciphertext: bytes
    key_id: str
    key_version: int

    @property
    def key_ref(self) -> KeyRef:
        return KeyRef(self.key_id, self.key_version)


@dataclass(frozen=True)
class Binding:
    """Who an envelope belongs to: the GCM AAD and the key provider's encryption context."""

    aad: bytes
    context: Mapping[str, str]
    owner: str  # safe to put in error messages

    @classmethod
    def for_credential(cls, *, credential_id: str, workspace_id: str) -> Binding:
        _check_ids(credential_id, workspace_id)
        return cls(
            aad=f"a2n:credential:{workspace_id}:{credential_id}".encode(),
            context={"workspaceId": workspace_id, "credentialId": credential_id},
            owner=f"credential {credential_id}",
        )

    @classmethod
    def for_secret(cls, *, purpose: str, owner_id: str) -> Binding:
        if not purpose.isidentifier() or purpose == _CREDENTIAL:
            raise ValueError("purpose must be an identifier other than 'credential'")
        _check_ids(owner_id)
        return cls(
            aad=f"a2n:{purpose}:{owner_id}".encode(),
            context={"purpose": purpose, "ownerId": owner_id},
            owner=f"{purpose} secret of {owner_id}",
        )


def encrypt_credential(
    data: Mapping[str, Any], *, credential_id: str, workspace_id: str, provider: KeyProvider | None = None
) -> EncryptedBlob:
    """Seal credential ``data`` (a JSON object) for one credential of one workspace."""
    binding = Binding.for_credential(credential_id=credential_id, workspace_id=workspace_id)
    return seal(_to_json(data), binding, provider or get_key_provider())


def decrypt_credential(blob: EncryptedBlob, *, credential_id: str, workspace_id: str) -> dict[str, Any]:
    """Open a credential envelope; raises CredentialDecryptError if it is not this credential's."""
    binding = Binding.for_credential(credential_id=credential_id, workspace_id=workspace_id)
    data = json.loads(open_blob(blob, binding))
    if not isinstance(data, dict):
        raise CredentialDecryptError(f"{binding.owner}: stored data is not an object")
    return data


def encrypt_secret(
    value: bytes, *, purpose: str, owner_id: str, provider: KeyProvider | None = None
) -> EncryptedBlob:
    """Seal a platform secret (e.g. ``purpose="webhook"``, ``owner_id`` = trigger id)."""
    return seal(value, Binding.for_secret(purpose=purpose, owner_id=owner_id), provider or get_key_provider())


def decrypt_secret(blob: EncryptedBlob, *, purpose: str, owner_id: str) -> bytes:
    """Open a platform secret sealed by ``encrypt_secret`` for the same purpose and owner."""
    return open_blob(blob, Binding.for_secret(purpose=purpose, owner_id=owner_id))


def seal(plaintext: bytes, binding: Binding, provider: KeyProvider) -> EncryptedBlob:
    """Encrypt under a fresh data key; a random 96-bit nonce per call (keys are never reused anyway)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    data_key = provider.generate_data_key(binding.context)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(data_key.plaintext).encrypt(nonce, plaintext, binding.aad)
    return EncryptedBlob(
        ciphertext=_FORMAT_V1 + nonce + sealed,
        data_key_ciphertext=data_key.ciphertext,
        key_id=data_key.ref.key_id,
        key_version=data_key.ref.key_version,
    )


def open_blob(blob: EncryptedBlob, binding: Binding) -> bytes:
    """Decrypt with the provider that wrapped the data key; every failure is CredentialDecryptError."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if blob.ciphertext[:1] != _FORMAT_V1:
        raise CredentialDecryptError(f"{binding.owner}: unknown envelope format")
    nonce = blob.ciphertext[1 : 1 + _NONCE_BYTES]
    sealed = blob.ciphertext[1 + _NONCE_BYTES :]
    try:
        provider = provider_for(blob.key_ref)
        key = provider.decrypt_data_key(blob.data_key_ciphertext, blob.key_ref, binding.context)
        return AESGCM(key).decrypt(nonce, sealed, binding.aad)
    except (DataKeyUnavailable, InvalidTag, ValueError) as exc:
        # The causes chained here are ours or cryptography's and never hold key or data bytes.
        raise CredentialDecryptError(f"{binding.owner}: envelope does not open") from exc


def pack_blob(blob: EncryptedBlob) -> bytes:
    """An EncryptedBlob as one bytea value, for rows with one column per secret (webhook secrets,
    TOTP secrets)."""
    import base64

    fields = {
        "c": base64.b64encode(blob.ciphertext).decode(),
        "k": base64.b64encode(blob.data_key_ciphertext).decode(),
        "i": blob.key_id,
        "v": blob.key_version,
    }
    return json.dumps(fields, separators=(",", ":")).encode()


def unpack_blob(packed: bytes) -> EncryptedBlob:
    """The EncryptedBlob of ``pack_blob``'s output."""
    import base64

    fields = json.loads(packed)
    return EncryptedBlob(
        ciphertext=base64.b64decode(fields["c"]),
        data_key_ciphertext=base64.b64decode(fields["k"]),
        key_id=str(fields["i"]),
        key_version=int(fields["v"]),
    )


def _to_json(data: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(data), separators=(",", ":"), ensure_ascii=False).encode()


def _check_ids(*ids: str) -> None:
    # ':' separates the AAD fields; allowing it would let two different owners share one AAD.
    if any(not i or ":" in i for i in ids):
        raise ValueError("ids must be non-empty and must not contain ':'")
