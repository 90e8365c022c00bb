"""Built-in workflow templates: one JSON file each (id, name, description, category, definition).

Read from the package on first use; no template carries a secret (auth secrets are set before activation).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def builtin_templates() -> tuple[dict[str, Any], ...]:
    """Every template, sorted by id."""
    files = [f for f in resources.files(__name__).iterdir() if f.name.endswith(".json")]
    return tuple(sorted((json.loads(f.read_text(encoding="utf-8")) for f in files), key=lambda t: t["id"]))
