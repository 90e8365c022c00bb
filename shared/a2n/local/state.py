"""What a running ``a2n dev`` tells other commands: a small JSON file beside its data directory
(``.a2n/dev.json``) with its pid and the URLs of its API, database and moto.

``a2n invoke`` reads it so a one-off invocation runs against the same stack (its database, its
queues) instead of an empty one; the file counts only while that pid is alive and an ``a2n``
process, so one left by a killed run is ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from a2n.local.processes import runs_as

STATE_FILE = "dev.json"


def state_path(data_dir: Path) -> Path:
    """The state file of the ``a2n dev`` whose embedded Postgres data is (or would be) ``data_dir``."""
    return Path(data_dir).parent / STATE_FILE


@dataclass(frozen=True)
class DevState:
    pid: int
    api_url: str
    database_url: str
    moto_endpoint: str

    def write(self, path: Path) -> None:
        """Atomically, readable by this user only (the database URL may carry a password)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.{os.getpid()}")
        with os.fdopen(os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
            json.dump(asdict(self), out, indent=2)
        os.replace(scratch, path)


def running_dev(path: Path) -> DevState | None:
    """The state of the ``a2n dev`` that wrote ``path``, if it still runs."""
    try:
        state = DevState(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return state if runs_as(state.pid, b"a2n") else None


def forget(path: Path) -> None:
    """Remove the state file if this process wrote it (another ``a2n dev`` may have taken over)."""
    try:
        writer = json.loads(path.read_text()).get("pid")
    except (OSError, ValueError, AttributeError):
        return
    if writer == os.getpid():
        path.unlink(missing_ok=True)


def without_password(url: str) -> str:
    """A URL fit to print: its password, if any, replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()

