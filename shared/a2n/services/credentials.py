"""Credentials: the CRUD use cases behind /credentials, the engine's decrypting loader, and the
master-key rotation run. Data is encrypted before it reaches a row and never leaves a use case
except as ``DecryptedCredential`` to the engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from a2n.errors import Forbidden, NotFound, Problem, ValidationFailed

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.crypto.envelope import EncryptedBlob
    from a2n.crypto.providers import KeyProvider, KeyRef
    from a2n.db.models import Credential
    from a2n.db.repositories.credentials import CredentialRepository, RunCredential, UseSite
    from a2n.pagination import Page, PageRequest
    from a2n.services.audit import Origin

_UNUSABLE = "credential not found, inactive, or not shared with whoever attached it to the workflow"
_MISSING = "Credential not found"
_NAME_TAKEN = "A credential with this name already exists in this workspace"
ENTITY = "credential"


@dataclass(frozen=True)
class DecryptedCredential:
    """A credential opened for one node run. ``data`` is secret: never log, store or return it."""

    id: str
    type: str
    data: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class CredentialInfo:
    """What the API may show of a credential: metadata, and on request the names of its fields."""

    id: uuid.UUID
    name: str
    type: str
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    is_active: bool
    fields: list[str] | None = None
    # Whether the caller may use it (attach it to a workflow); how often steps used it (detail only).
    can_use: bool | None = None
    usage_count: int | None = None


@dataclass(frozen=True)
class CredentialDraft:
    name: str
    type: str
    data: Any = field(repr=False)
    expires_at: datetime | None = None


@dataclass(frozen=True)
class CredentialChanges:
    """A PUT: ``None`` keeps the current value; ``clear_expiry`` sets expiresAt back to none."""

    name: str | None = None
    type: str | None = None
    data: Any = field(default=None, repr=False)
    expires_at: datetime | None = None
    clear_expiry: bool = False


# --- use cases behind /credentials ---------------------------------------------------------


def create_credential(principal: Principal, draft: CredentialDraft, origin: Origin) -> CredentialInfo:
    """Validate the data for its type, seal it under a fresh data key, store and audit it."""
    from a2n.auth.policy import Action
    from a2n.db.base import new_id
    from a2n.db.models import Credential
    from a2n.db.repositories.credentials import CredentialRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.credential_data import field_names

    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.CREDENTIAL_WRITE)
        data = _checked_data(uow.session, principal, draft.type, draft.data)
        _check_future(draft.expires_at)
        workspace_id, row_id = uuid.UUID(principal.workspace_id), new_id()
        row = Credential(
            id=row_id,
            workspace_id=workspace_id,
            created_by=uuid.UUID(principal.user_id),
            name=draft.name,
            type=draft.type,
            expires_at=draft.expires_at,
        )
        _apply_blob(row, _seal(row_id, workspace_id, data))
        CredentialRepository(uow.session).add(row, conflict=_NAME_TAKEN)
        changes = {"name": row.name, "type": row.type, "fields": field_names(row.type, data)}
        _audit(uow.session, principal, origin, "credential.create", row, changes={**changes, **_expiry(row)})
        uow.commit()
        return _info(row, can_use=True)  # its creator, or an ADMIN: both may use it


def list_credentials(principal: Principal, page: PageRequest) -> Page[CredentialInfo]:
    """The workspace's credentials, newest first, metadata only."""
    from a2n.auth.policy import Action
    from a2n.db.repositories.base import Keyset
    from a2n.db.repositories.credentials import CredentialRepository
    from a2n.db.uow import UnitOfWork
    from a2n.pagination import Page, encode_cursor
    from a2n.services.credential_sharing import usable_ids

    after = None
    if page.cursor is not None:
        after = Keyset(page.cursor.sort_key_datetime(), page.cursor.id_uuid())
    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.CREDENTIAL_READ)
        found = CredentialRepository(uow.session).list_in_workspace(
            uuid.UUID(principal.workspace_id), limit=page.limit, after=after
        )
        keyset = found.next_keyset()
        usable = usable_ids(uow.session, principal, {row.id for row in found.items})
        return Page(
            items=[_info(row, can_use=row.id in usable) for row in found.items],
            next_cursor=encode_cursor(keyset.created_at, keyset.id) if keyset else None,
        )


def get_credential(principal: Principal, credential_id: str) -> CredentialInfo:
    """Metadata plus the names of the data's fields (decrypted here, only to read its keys)."""
    from a2n.auth.policy import Action
    from a2n.db.repositories.credential_sharing import UsageRepository
    from a2n.db.repositories.credentials import CredentialRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.credential_data import field_names
    from a2n.services.credential_sharing import usable_ids

    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.CREDENTIAL_READ)
        row = _in_workspace(CredentialRepository(uow.session), principal, credential_id)
        return _info(
            row, fields=field_names(row.type, _open(row)),
            can_use=row.id in usable_ids(uow.session, principal, {row.id}),
            usage_count=UsageRepository(uow.session).count(row.id),
        )  # fmt: skip


def update_credential(
    principal: Principal, credential_id: str, changes: CredentialChanges, origin: Origin
) -> CredentialInfo:
    """Rename, re-type (only with new data), replace data (fresh data key) or change expiry."""
    from a2n.auth.policy import Action
    from a2n.db.repositories.credentials import CredentialRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.credential_data import field_names

    if changes.type is not None and changes.data is None:
        raise ValidationFailed([Problem("/data", "Changing the type requires the new data")])
    with UnitOfWork() as uow:
        role = _require(uow.session, principal, Action.CREDENTIAL_WRITE)
        repo = CredentialRepository(uow.session)
        row = _in_workspace(repo, principal, credential_id)
        _check_manager(principal, role, row)
        recorded: dict[str, Any] = {}
        if changes.name is not None and changes.name != row.name:
            recorded["name"] = {"from": row.name, "to": changes.name}
            row.name = changes.name
        if changes.data is not None:
            new_type = changes.type or row.type
            data = _checked_data(uow.session, principal, new_type, changes.data)
            if new_type != row.type:
                recorded["type"] = {"from": row.type, "to": new_type}
                row.type = new_type
            _apply_blob(row, _seal(row.id, row.workspace_id, data))
            recorded["fields"] = field_names(new_type, data)
        if changes.expires_at is not None or changes.clear_expiry:
            _check_future(changes.expires_at)
            row.expires_at, row.expiry_warned_at = changes.expires_at, None
            recorded.update(_expiry(row))
        repo.save(conflict=_NAME_TAKEN)
        _audit(uow.session, principal, origin, "credential.update", row, changes=recorded)
        uow.commit()
        return _info(row, can_use=True)  # its creator, or an ADMIN: both may use it


def delete_credential(
    principal: Principal, credential_id: str, origin: Origin, *, force: bool = False
) -> None:
    """Delete for good, by its owner or a workspace ADMIN: a 409 lists the active workflows using it
    unless ``force``; nodes that reference it then fail at run time with "credential not found"."""
    from a2n.auth.policy import Action
    from a2n.db.repositories.credentials import CredentialRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.credential_sharing import check_delete

    with UnitOfWork() as uow:
        role = _require(uow.session, principal, Action.CREDENTIAL_DELETE)
        repo = CredentialRepository(uow.session)
        row = _in_workspace(repo, principal, credential_id)
        _check_manager(principal, role, row)
        dependents = check_delete(uow.session, row, force=force)
        deleted: dict[str, Any] = {"name": row.name, "type": row.type}
        if dependents:
            deleted.update(forced=True, workflows=dependents)
        _audit(uow.session, principal, origin, "credential.delete", row, changes=deleted)
        repo.delete(row)
        uow.commit()


# --- master key rotation -------------------------------------------------------------------


@dataclass
class RotationSummary:
    """A rotation run: ``locked`` rows were busy (another run or an edit); rerun to finish them.
    ``failed`` rows no longer open with any key and are left untouched for a human."""

    target: KeyRef
    stale: int
    rotated: int = 0
    locked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.locked and not self.failed


def rotate_credential_keys(
    *,
    dry_run: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    batch_size: int = 100,
    provider: KeyProvider | None = None,
) -> RotationSummary:
    """Rewrap every credential not on the current master key, one row per transaction.

    Each row is locked with SKIP LOCKED, so concurrent runs share the work instead of waiting,
    and a run interrupted anywhere leaves every row either old or new, never half: rerun it.
    """
    from a2n.crypto.providers import get_key_provider
    from a2n.db.repositories.credentials import CredentialRepository
    from a2n.db.uow import UnitOfWork

    provider = provider or get_key_provider()
    target = provider.current_ref()
    with UnitOfWork() as uow:
        summary = RotationSummary(target, CredentialRepository(uow.session).count_stale(*_ref(target)))
    if dry_run:
        return summary
    while ids := _next_stale(target, summary, batch_size):
        for row_id in ids:
            outcome = _rotate_row(row_id, provider, target)
            if outcome == "rotated":
                summary.rotated += 1
            elif outcome != "current":
                getattr(summary, outcome).append(str(row_id))
            if on_progress is not None:
                on_progress(summary.rotated, summary.stale)
    return summary


def _next_stale(target: KeyRef, summary: RotationSummary, batch_size: int) -> list[uuid.UUID]:
    from a2n.db.repositories.credentials import CredentialRepository
    from a2n.db.uow import UnitOfWork

    skip = {uuid.UUID(i) for i in summary.locked + summary.failed}
    with UnitOfWork() as uow:
        return list(CredentialRepository(uow.session).stale_ids(*_ref(target), limit=batch_size, skip=skip))


def _rotate_row(row_id: uuid.UUID, provider: KeyProvider, target: KeyRef) -> str:
    """ "rotated" | "current" (another run did it) | "locked" | "failed" (does not open)."""
    from a2n.crypto.envelope import CredentialDecryptError
    from a2n.crypto.rotation import rewrap
    from a2n.db.repositories.credentials import CredentialRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        repo = CredentialRepository(uow.session)
        row = repo.claim_for_rotation(row_id)
        if row is None:
            return "locked"
        if (row.key_id, row.key_version) == _ref(target):
            return "current"
        try:
            fresh = rewrap(
                _blob_of(row),
                credential_id=str(row.id),
                workspace_id=str(row.workspace_id),
                target_provider=provider,
            )
        except CredentialDecryptError:
            return "failed"
        repo.write_envelope(
            row.id,
            encrypted_data=fresh.ciphertext,
            data_key_ciphertext=fresh.data_key_ciphertext,
            key_id=fresh.key_id,
            key_version=fresh.key_version,
            edited=False,
        )
        uow.commit()
        return "rotated"


def _ref(ref: KeyRef) -> tuple[str, int]:
    return ref.key_id, ref.key_version


# --- for the engine ------------------------------------------------------------------------


def load_for_node(
    session: Session, *, workspace_id: uuid.UUID, credential_id: str, site: UseSite
) -> DecryptedCredential:
    """Decrypt the credential a node references; NotFound if it is missing, inactive, expired, in
    another workspace, or no longer usable by whoever attached it to the workflow (unshared, share
    expired): one message for all, so a run cannot probe other tenants. The use is logged (credential,
    workflow, execution, node, attempt, time) by the statement that loads it; commit soon after."""
    from a2n.db.repositories.credentials import CredentialRepository

    repo = CredentialRepository(session)
    row = repo.for_run(workspace_id, _parse_id(credential_id, _UNUSABLE), site)
    if row is None or not row.allowed:
        raise NotFound(_UNUSABLE)
    return DecryptedCredential(id=str(row.id), type=row.type, data=_open(row))


def open_in_workspace(
    session: Session, *, workspace_id: uuid.UUID, credential_id: str
) -> DecryptedCredential:
    """Decrypt an active, unexpired credential of the workspace outside any run (OAuth2 connect):
    no step uses it, so no use is logged; NotFound for anything else, with the run's message."""
    from a2n.db.base import utcnow
    from a2n.db.repositories.credentials import CredentialRepository

    row = CredentialRepository(session).usable(workspace_id, _parse_id(credential_id, _UNUSABLE), utcnow())
    if row is None:
        raise NotFound(_UNUSABLE)
    return DecryptedCredential(id=str(row.id), type=row.type, data=_open(row))


def refresh_data(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    credential_id: str,
    renew: Callable[[Mapping[str, Any]], Mapping[str, Any]],
) -> dict[str, Any]:
    """Run ``renew`` on the credential's current data under its row lock and store what it returns
    (under a fresh data key) when that differs. Concurrent refreshes of one credential wait for each
    other, so a provider that rotates refresh tokens never sees a spent one (some revoke the whole
    grant when they do); ``renew`` may return the data unchanged when another run already refreshed.

    The caller commits. Not audited: a token refresh is the system keeping a grant alive, not an
    edit, and it would flood the trail.
    """
    from a2n.db.repositories.credentials import CredentialRepository

    repo = CredentialRepository(session)
    row = repo.lock_in_workspace(workspace_id, _parse_id(credential_id, _UNUSABLE))
    if row is None or not row.is_active:
        raise NotFound(_UNUSABLE)
    current = _open(row)
    renewed = renew(current)
    if not isinstance(renewed, Mapping):
        raise TypeError("refreshed credential data must be a JSON object")
    if renewed != current:
        _store_data(repo, row, dict(renewed), edited=False)
    return dict(renewed)


# --- shared pieces -------------------------------------------------------------------------


def _checked_data(session: Session, principal: Principal, credential_type: str, data: Any) -> dict[str, Any]:
    """API.md's types by their fixed shapes; a package's types (``slack:bot_token``) by the fields
    the package installed in this workspace declares."""
    from a2n.services.credential_data import normalize_data
    from a2n.services.integrations.installs import is_package_credential_type, package_credential_data

    if is_package_credential_type(credential_type):
        return package_credential_data(session, uuid.UUID(principal.workspace_id), credential_type, data)
    return normalize_data(credential_type, data)


def _require(session: Session, principal: Principal, action: Any) -> Any:
    from a2n.services.access import require

    return require(session, principal, action)


def _check_manager(principal: Principal, role: Any, row: Credential) -> None:
    """Changing or deleting a credential is its owner's, or a workspace ADMIN's: a share only lends
    it for use (README "Credential sharing")."""
    from a2n.auth.policy import Role

    own = row.created_by is not None and str(row.created_by) == principal.user_id
    if not own and not (role is not None and role.at_least(Role.ADMIN)):
        raise Forbidden("Only the credential's owner or a workspace ADMIN changes or deletes it")


def _in_workspace(repo: CredentialRepository, principal: Principal, credential_id: str) -> Credential:
    row = repo.get_in_workspace(uuid.UUID(principal.workspace_id), _parse_id(credential_id, _MISSING))
    if row is None:
        raise NotFound(_MISSING)
    return row


def _check_future(expires_at: datetime | None) -> None:
    from a2n.db.base import utcnow

    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed([Problem("/expiresAt", "Must be in the future")])


def _expiry(row: Credential) -> dict[str, Any]:
    return {"expiresAt": row.expires_at.isoformat() if row.expires_at else None}


def _audit(
    session: Session,
    principal: Principal,
    origin: Origin,
    action: str,
    row: Credential,
    *,
    changes: dict[str, Any],
) -> None:
    # Field names and metadata only: the data's values never reach the trail.
    from a2n.services.audit import Actor, record_audit

    record_audit(
        session,
        workspace_id=row.workspace_id,
        actor=Actor.of(principal),
        action=action,
        entity_type=ENTITY,
        entity_id=row.id,
        changes=changes or None,
        origin=origin,
    )


def _info(
    row: Credential,
    *,
    fields: list[str] | None = None,
    can_use: bool | None = None,
    usage_count: int | None = None,
) -> CredentialInfo:
    return CredentialInfo(
        id=row.id,
        name=row.name,
        type=row.type,
        created_at=row.created_at,
        updated_at=row.updated_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        is_active=row.is_active,
        fields=fields,
        can_use=can_use,
        usage_count=usage_count,
    )


def _apply_blob(row: Credential, blob: EncryptedBlob) -> None:
    row.encrypted_data = blob.ciphertext
    row.data_key_ciphertext = blob.data_key_ciphertext
    row.key_id = blob.key_id
    row.key_version = blob.key_version


def _parse_id(text: str, not_found: str) -> uuid.UUID:
    # A malformed id names nothing: the same 404 as an unknown one, never a 500 or a 422.
    try:
        return uuid.UUID(str(text))
    except ValueError:
        raise NotFound(not_found) from None


def _blob_of(row: Credential | RunCredential) -> EncryptedBlob:
    from a2n.crypto.envelope import EncryptedBlob

    return EncryptedBlob(
        ciphertext=row.encrypted_data,
        data_key_ciphertext=row.data_key_ciphertext,
        key_id=row.key_id,
        key_version=row.key_version,
    )


def _open(row: Credential | RunCredential) -> dict[str, Any]:
    from a2n.crypto.envelope import decrypt_credential

    return decrypt_credential(_blob_of(row), credential_id=str(row.id), workspace_id=str(row.workspace_id))


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
