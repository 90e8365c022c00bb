"""Re-seal the platform's own secrets onto the current master key: webhook secrets (current and
previous), TOTP secrets and notification-channel secrets. `a2n credentials rotate-key` runs it after
the credentials, so moving to another KMS key leaves nothing sealed under the old one (the functions'
roles name only the current key: a webhook secret left behind would refuse every delivery).

Each row is its own short transaction and is replaced only if unchanged meanwhile, so a run can be
interrupted and rerun; rows that do not open are listed by id for a human, never printed as data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from a2n.crypto.providers import KeyProvider, KeyRef

# kind → the envelope binding's purpose (the owner is always the row's own id).
PURPOSES = {
    "webhook": "webhook",
    "webhook_previous": "webhook",
    "totp": "totp",
    "notification_channel": "notification_channel",
}
PAGE = 200


@dataclass
class SecretsRotation:
    stale: int = 0
    rotated: int = 0
    busy: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.busy and not self.failed


def rotate_platform_secrets(*, dry_run: bool = False, provider: KeyProvider | None = None) -> SecretsRotation:
    from a2n.crypto.envelope import Binding, CredentialDecryptError, pack_blob, unpack_blob
    from a2n.crypto.providers import get_key_provider
    from a2n.crypto.rotation import rewrap_bound
    from a2n.db.repositories.sealed_secrets import SealedSecretRepository
    from a2n.db.uow import UnitOfWork

    provider = provider or get_key_provider()
    target: KeyRef = provider.current_ref()
    report = SecretsRotation()
    for kind, purpose in PURPOSES.items():
        after: uuid.UUID | None = None
        while True:
            with UnitOfWork() as uow:
                rows = SealedSecretRepository(uow.session).page(kind, after=after, limit=PAGE)
            for row_id, packed in rows:
                blob = unpack_blob(packed)
                if blob.key_ref == target:
                    continue
                report.stale += 1
                if dry_run:
                    continue
                binding = Binding.for_secret(purpose=purpose, owner_id=str(row_id))
                try:
                    fresh = pack_blob(rewrap_bound(blob, binding, provider))
                except CredentialDecryptError:
                    report.failed.append(f"{kind}:{row_id}")
                    continue
                with UnitOfWork() as uow:
                    swapped = SealedSecretRepository(uow.session).replace(kind, row_id, packed, fresh)
                    uow.commit()
                if swapped:
                    report.rotated += 1
                else:
                    report.busy.append(f"{kind}:{row_id}")
            if len(rows) < PAGE:
                break
            after = rows[-1][0]
    return report
