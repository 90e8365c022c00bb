"""Key rotation core: rewrap envelopes onto the current master key, one row at a time.

SQL stays in ``a2n.db``: the caller passes ``fetch_stale`` (rows whose key ref is not current) and
``save`` (one transaction per row), so a run interrupted anywhere resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from a2n.crypto.envelope import Binding, CredentialDecryptError, EncryptedBlob, open_blob, seal
from a2n.crypto.providers import KeyProvider, KeyRef, get_key_provider


@dataclass(frozen=True)
class RotationItem:
    """One stored envelope to move: the row's id, its blob, and whom it belongs to."""

    row_id: str
    blob: EncryptedBlob
    binding: Binding


@dataclass
class RotationReport:
    """What a run did; ``failed`` lists rows that no longer open (left untouched for a human)."""

    rotated: int = 0
    already_current: int = 0
    failed: list[str] = field(default_factory=list)


def current_key_ref(provider: KeyProvider | None = None) -> KeyRef:
    """The (key_id, key_version) new envelopes get; rows with any other ref are stale."""
    return (provider or get_key_provider()).current_ref()


def rewrap(
    blob: EncryptedBlob, *, credential_id: str, workspace_id: str, target_provider: KeyProvider
) -> EncryptedBlob:
    """Re-encrypt a credential envelope under a fresh data key from ``target_provider``."""
    binding = Binding.for_credential(credential_id=credential_id, workspace_id=workspace_id)
    return rewrap_bound(blob, binding, target_provider)


def rewrap_bound(blob: EncryptedBlob, binding: Binding, target_provider: KeyProvider) -> EncryptedBlob:
    """Open and re-seal: the result holds the original plaintext once, never a wrapped envelope."""
    return seal(open_blob(blob, binding), binding, target_provider)


def rotate_all(
    fetch_stale: Callable[[], Iterable[RotationItem]],
    save: Callable[[RotationItem, EncryptedBlob], None],
    *,
    target_provider: KeyProvider | None = None,
) -> RotationReport:
    """Rewrap every stale row. ``fetch_stale`` is called until it yields nothing new, so it may
    return one page at a time; an error from ``save`` stops the run and a rerun picks up the rest."""
    provider = target_provider or get_key_provider()
    current = provider.current_ref()
    report = RotationReport()
    seen: set[str] = set()
    while batch := [item for item in fetch_stale() if item.row_id not in seen]:
        for item in batch:
            seen.add(item.row_id)
            _rotate_one(item, provider, current, save, report)
    return report


def _rotate_one(
    item: RotationItem,
    provider: KeyProvider,
    current: KeyRef,
    save: Callable[[RotationItem, EncryptedBlob], None],
    report: RotationReport,
) -> None:
    # A row may already be current when a page overlaps a previous run's work; skipping it keeps
    # reruns idempotent rather than churning data keys.
    if item.blob.key_ref == current:
        report.already_current += 1
        return
    try:
        fresh = rewrap_bound(item.blob, item.binding, provider)
    except CredentialDecryptError:
        report.failed.append(item.row_id)
        return
    save(item, fresh)
    report.rotated += 1
