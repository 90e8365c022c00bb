"""`a2n credentials rotate-key [--dry-run]` and `a2n credentials new-key`: move every credential, and
the platform's own sealed secrets, onto the current master key (after `new-key` locally, or after
changing A2N_KMS_KEY_ID)."""

from __future__ import annotations

import argparse
import sys


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="credentials_command", required=True)
    rotate = sub.add_parser(
        "rotate-key", help="re-encrypt every credential not on the current master key (resumable)"
    )
    rotate.add_argument("--dry-run", action="store_true", help="only count the credentials to re-encrypt")
    sub.add_parser("new-key", help="add the next local master key version (no KMS key configured)")


def run(args: argparse.Namespace) -> int:
    from a2n.errors import A2NError

    try:
        if args.credentials_command == "new-key":
            return _new_key()
        return _rotate(dry_run=args.dry_run)
    except A2NError as error:
        print(f"a2n credentials: {error.detail}", file=sys.stderr)
        return 2


def _new_key() -> int:
    from a2n.crypto.providers import LocalKeyProvider
    from a2n.settings import get_settings

    settings = get_settings()
    if settings.kms_key_id:
        print("a2n credentials: a KMS key is configured; point A2N_KMS_KEY_ID at the new key "
              "and run rotate-key", file=sys.stderr)
        return 2
    ref = LocalKeyProvider(settings.local_key_dir).add_version()
    print(f"created local master key v{ref.key_version} in {settings.local_key_dir}; "
          "now run: a2n credentials rotate-key")
    return 0


def _rotate(*, dry_run: bool) -> int:
    from a2n.services.credentials import rotate_credential_keys
    from a2n.services.secret_rotation import rotate_platform_secrets

    def progress(done: int, total: int) -> None:
        print(f"  re-encrypted {done}/{total}", flush=True)

    summary = rotate_credential_keys(dry_run=dry_run, on_progress=None if dry_run else progress)
    target = f"{summary.target.key_id} v{summary.target.key_version}"
    if dry_run:
        print(f"{summary.stale} credential(s) to re-encrypt onto {target}")
    else:
        print(f"re-encrypted {summary.rotated} of {summary.stale} credential(s) onto {target}")
    # Webhook, TOTP and notification-channel secrets are sealed with the same master key.
    platform = rotate_platform_secrets(dry_run=dry_run)
    if dry_run:
        print(f"{platform.stale} platform secret(s) (webhook, two-factor, channel) to re-encrypt")
        return 0
    print(f"re-encrypted {platform.rotated} of {platform.stale} platform secret(s) onto {target}")
    busy = len(summary.locked) + len(platform.busy)
    if busy:
        print(f"{busy} busy (another run or an edit held them); run again", file=sys.stderr)
    failed = summary.failed + platform.failed
    if failed:
        # Ids only: a row that does not open is for a human to look at, never printed as data.
        print(f"{len(failed)} could not be opened with any key: {', '.join(failed)}", file=sys.stderr)
    return 0 if summary.complete and platform.complete else 1
