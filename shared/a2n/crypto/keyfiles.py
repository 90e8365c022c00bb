"""Local key files for development: 32 random bytes, base64, mode 0600, created on first use.

Used when no KMS key or Secrets Manager secret is configured (``a2n dev``, tests). Never in the cloud.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

KEY_BYTES = 32


def read_or_create_key_file(path: Path) -> bytes:
    """The key stored at ``path``; a fresh random one is written there first if none exists."""
    if not path.exists():
        _create_key_file(path, secrets.token_bytes(KEY_BYTES))
    return read_key_file(path)


def read_key_file(path: Path) -> bytes:
    """Decode a key file; a file that is not base64 of exactly 32 bytes is a configuration error."""
    from a2n.errors import ConfigurationError

    try:
        key = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"key file {path} is not valid base64; delete it to regenerate") from exc
    if len(key) != KEY_BYTES:
        raise ConfigurationError(f"key file {path} must hold {KEY_BYTES} bytes; delete it to regenerate")
    return key


def write_new_key_file(path: Path) -> bool:
    """Write a fresh random key at ``path`` unless one exists; True if this call created it."""
    return _create_key_file(path, secrets.token_bytes(KEY_BYTES))


def _create_key_file(path: Path, key: bytes) -> bool:
    # Write a private temp file, then hard-link it into place: the link fails if another process
    # won the race, and readers never see a half-written key.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(base64.b64encode(key).decode("ascii") + "\n")
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True
