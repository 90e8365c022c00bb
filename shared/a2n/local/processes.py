"""Is a pid read from a file (postmaster.pid, .a2n/dev.json) still the process that wrote it?"""

from __future__ import annotations

import os
from pathlib import Path


def runs_as(pid: int, marker: bytes) -> bool:
    """Alive and its command line mentions ``marker``: a recycled pid belonging to something else
    does not count."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by another user
    try:
        return marker in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS): trust the liveness check
