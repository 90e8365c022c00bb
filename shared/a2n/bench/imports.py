"""Cold import time of every handler module, each in a fresh interpreter (§11: ≤ 300 ms).

Measures what a Lambda cold start pays before the first event: importing ``app.py`` with the
``a2n`` package and the dependencies it pulls in at module level.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BUDGET_MS = 300.0

# Loads app.py by path as Lambda does and prints the milliseconds the import took.
_PROBE = (
    "import importlib.util, time, sys; t = time.perf_counter();"
    "spec = importlib.util.spec_from_file_location('app', sys.argv[1]);"
    "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m);"
    "print((time.perf_counter() - t) * 1000)"
)


@dataclass(frozen=True)
class ColdImport:
    function: str
    handler_file: str
    ms: float | None  # None: the import failed
    error: str | None = None

    @property
    def over_budget(self) -> bool:
        return self.ms is not None and self.ms > BUDGET_MS


def handler_files(template_path: Path) -> dict[str, Path]:
    """Function logical id → its handler file, from the template."""
    from a2n.local.template import load_template

    template = load_template(template_path)
    return {
        lid: fn.code_uri / (fn.handler.split(".", 1)[0] + ".py")
        for lid, fn in sorted(template.functions.items())
    }


def measure_cold_import(function: str, path: Path, env: dict[str, str] | None = None) -> ColdImport:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return ColdImport(function, str(path), None, lines[-1] if lines else "import failed")
    return ColdImport(function, str(path), round(float(done.stdout.strip().splitlines()[-1]), 1))
