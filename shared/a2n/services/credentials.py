"""Credentials: the CRUD use cases behind /credentials, the engine's decrypting loader, and the
master-key rotation run. Data is encrypted before it reaches a row and never leaves a use case
except as ``DecryptedCredential`` to the engine.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from a2n.errors import NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.crypto.envelope import EncryptedBlob
    from a2n.db.models import Credential
    from a2n.db.repositories.credentials import CredentialRepository

# last_used_at is informative; writing it once a minute at most keeps busy credentials off the
# write path of every step.
_LAST_USED_RESOLUTION = timedelta(minutes=1)
_UNUSABLE = "credential not found or inactive"


@dataclass(frozen=True)
class DecryptedCredential:
    """A credential opened for one node run. ``data`` is secret: never log, store or return it."""

    id: str
    type: str
    data: dict[str, Any] = field(repr=False)


# --- for the engine ------------------------------------------------------------------------


def load_for_node(session: Session, *, workspace_id: uuid.UUID, credential_id: str) -> DecryptedCredential:
    """Decrypt the credential a node references; NotFound if it is missing, inactive, expired or
    in another workspace (one message for all, so a run cannot probe other tenants).

    Marks it used in the caller's transaction without waiting for any row lock; commit soon after.
    """
    from a2n.crypto.envelope import decrypt_credential
    from a2n.db.base import utcnow
    from a2n.db.repositories.credentials import CredentialRepository

    repo = CredentialRepository(session)
    now = utcnow()
    row = repo.usable(workspace_id, _parse_id(credential_id, _UNUSABLE), now)
    if row is None:
        raise NotFound(_UNUSABLE)
    data = decrypt_credential(_blob_of(row), credential_id=str(row.id), workspace_id=str(row.workspace_id))
    if row.last_used_at is None or now - row.last_used_at >= _LAST_USED_RESOLUTION:
        repo.mark_used(row.id, now)
    return DecryptedCredential(id=str(row.id), type=row.type, data=data)


def save_refreshed_data(
    session: Session, *, workspace_id: uuid.UUID, credential_id: str, data: dict[str, Any]
) -> None:
    """Replace the data of a credential with refreshed tokens (OAuth2), under a fresh data key.

    The caller commits. Not audited: a token refresh is the system keeping a grant alive, not an
    edit, and it would flood the trail.
    """
    from a2n.db.repositories.credentials import CredentialRepository

    if not isinstance(data, dict):
        raise TypeError("refreshed credential data must be a JSON object")
    repo = CredentialRepository(session)
    row = repo.get_in_workspace(workspace_id, _parse_id(credential_id, _UNUSABLE))
    if row is None:
        raise NotFound(_UNUSABLE)
    _store_data(repo, row, data, edited=False)


# --- shared pieces -------------------------------------------------------------------------


def _parse_id(text: str, not_found: str) -> uuid.UUID:
    # A malformed id names nothing: the same 404 as an unknown one, never a 500 or a 422.
    try:
        return uuid.UUID(str(text))
    except ValueError:
        raise NotFound(not_found) from None


def _blob_of(row: Credential) -> EncryptedBlob:
    from a2n.crypto.envelope import EncryptedBlob

    return EncryptedBlob(
        ciphertext=row.encrypted_data,
        data_key_ciphertext=row.data_key_ciphertext,
        key_id=row.key_id,
        key_version=row.key_version,
    )


def _seal(row_id: uuid.UUID, workspace_id: uuid.UUID, data: dict[str, Any]) -> EncryptedBlob:
    from a2n.crypto.envelope import encrypt_credential

    return encrypt_credential(data, credential_id=str(row_id), workspace_id=str(workspace_id))


def _store_data(repo: CredentialRepository, row: Credential, data: dict[str, Any], *, edited: bool) -> None:
    blob = _seal(row.id, row.workspace_id, data)
    repo.write_envelope(
        row.id,
        encrypted_data=blob.ciphertext,
        data_key_ciphertext=blob.data_key_ciphertext,
        key_id=blob.key_id,
        key_version=blob.key_version,
        edited=edited,
    )
