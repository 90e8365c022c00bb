"""Key providers: where per-envelope data keys come from and how they are unwrapped.

KMS in the cloud (GenerateDataKey/Decrypt with an encryption context); locally a versioned master
key file (``master-v<N>.key``) that wraps data keys with AES-256-GCM under the same context.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from a2n.crypto.keyfiles import KEY_BYTES, read_key_file, read_or_create_key_file, write_new_key_file

LOCAL_KEY_ID = "local"
_MASTER_FILE = re.compile(r"^master-v(\d+)\.key$")
_NONCE_BYTES = 12


class DataKeyUnavailable(Exception):
    """A stored data key could not be unwrapped (wrong master key, context, or tampered blob)."""


@dataclass(frozen=True, order=True)
class KeyRef:
    """Which master key wrapped a data key; rows whose ref differs from the current one are stale."""

    key_id: str
    key_version: int


@dataclass(frozen=True)
class DataKey:
    """A fresh data key: plaintext for one encryption, ciphertext and ref to store beside the data."""

    plaintext: bytes = field(repr=False)
    ciphertext: bytes
    ref: KeyRef


class KeyProvider(Protocol):
    """Issues data keys under the current master key and unwraps stored ones."""

    def current_ref(self) -> KeyRef: ...

    def generate_data_key(self, context: Mapping[str, str]) -> DataKey: ...

    def decrypt_data_key(self, ciphertext: bytes, ref: KeyRef, context: Mapping[str, str]) -> bytes: ...


class LocalKeyProvider:
    """Development master keys in files; the highest ``master-v<N>.key`` is current."""

    def __init__(self, key_dir: Path) -> None:
        self.key_dir = key_dir

    def current_ref(self) -> KeyRef:
        versions = self._versions()
        if not versions:
            read_or_create_key_file(self._path(1))
            versions = self._versions()
        return KeyRef(LOCAL_KEY_ID, max(versions))

    def generate_data_key(self, context: Mapping[str, str]) -> DataKey:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        ref = self.current_ref()
        plaintext = secrets.token_bytes(KEY_BYTES)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        wrapped = AESGCM(self._master(ref)).encrypt(nonce, plaintext, _context_aad(context))
        return DataKey(plaintext=plaintext, ciphertext=nonce + wrapped, ref=ref)

    def decrypt_data_key(self, ciphertext: bytes, ref: KeyRef, context: Mapping[str, str]) -> bytes:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if ref.key_id != LOCAL_KEY_ID or not self._path(ref.key_version).exists():
            raise DataKeyUnavailable(f"no local master key {ref.key_id} v{ref.key_version}")
        nonce, wrapped = ciphertext[:_NONCE_BYTES], ciphertext[_NONCE_BYTES:]
        try:
            return AESGCM(self._master(ref)).decrypt(nonce, wrapped, _context_aad(context))
        except (InvalidTag, ValueError) as exc:
            raise DataKeyUnavailable("local master key refused the data key") from exc

    def add_version(self) -> KeyRef:
        """Create the next master key version (then rewrap rows to move them onto it)."""
        version = max(self._versions(), default=0) + 1
        while not write_new_key_file(self._path(version)):
            version += 1  # another process created this version concurrently
        return KeyRef(LOCAL_KEY_ID, version)

    def _versions(self) -> list[int]:
        if not self.key_dir.is_dir():
            return []
        found = (_MASTER_FILE.match(p.name) for p in self.key_dir.iterdir())
        return [int(m.group(1)) for m in found if m]

    def _path(self, version: int) -> Path:
        return self.key_dir / f"master-v{version}.key"

    def _master(self, ref: KeyRef) -> bytes:
        return read_key_file(self._path(ref.key_version))


class KmsKeyProvider:
    """Data keys from AWS KMS. KMS rotates its backing keys itself, so the version is always 1;
    moving to another KMS key (a new id) is what makes rows stale."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id

    def current_ref(self) -> KeyRef:
        from a2n.adapters import kms

        return KeyRef(kms.describe_key_arn(self.key_id), 1)

    def generate_data_key(self, context: Mapping[str, str]) -> DataKey:
        from a2n.adapters import kms

        answer = kms.generate_data_key(self.key_id, context=context)
        ref = KeyRef(answer.key_arn, 1)
        return DataKey(plaintext=answer.plaintext, ciphertext=answer.ciphertext, ref=ref)

    def decrypt_data_key(self, ciphertext: bytes, ref: KeyRef, context: Mapping[str, str]) -> bytes:
        from a2n.adapters import kms

        try:
            return kms.decrypt_data_key(ciphertext, key_id=ref.key_id, context=context)
        except kms.DataKeyRejected as exc:
            raise DataKeyUnavailable("KMS refused the data key") from exc


def get_key_provider() -> KeyProvider:
    """The provider new envelopes use: KMS when ``kms_key_id`` is set, else the local master key."""
    from a2n.settings import get_settings

    settings = get_settings()
    if settings.kms_key_id:
        return KmsKeyProvider(settings.kms_key_id)
    return LocalKeyProvider(settings.local_key_dir)


def provider_for(ref: KeyRef) -> KeyProvider:
    """The provider able to unwrap a stored data key, whatever the current configuration is."""
    if ref.key_id == LOCAL_KEY_ID:
        from a2n.settings import get_settings

        return LocalKeyProvider(get_settings().local_key_dir)
    return KmsKeyProvider(ref.key_id)


def _context_aad(context: Mapping[str, str]) -> bytes:
    # Canonical JSON so the same context always yields the same bytes, like KMS's own binding.
    return b"a2n:datakey:" + json.dumps(dict(context), sort_keys=True, separators=(",", ":")).encode()
