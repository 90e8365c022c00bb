"""The code sandbox function as tests drive it: its handler module, one run, the processes it left.

The sandbox is self-contained (functions/sandbox, no ``a2n`` import), so tests load it by path like
Lambda (and the local runtime) do.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SANDBOX_DIR = ROOT / "functions" / "sandbox" / "runner"
CHILD = SANDBOX_DIR / "child.py"

# The allow-list of imports is a convenience, not the boundary: tests step around it on purpose
# (an import made on behalf of another module passes) to prove the process boundary holds anyway.
BYPASS = "def grab(name):\n    return __import__(name, {'__name__': 'not-the-user'}, None, ['_'])\n"


def load_sandbox() -> ModuleType:
    spec = importlib.util.spec_from_file_location("a2n_test_code_sandbox", SANDBOX_DIR / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_SANDBOX = load_sandbox()


def run(code: str, input: Any = None, context: Any = None, **options: Any) -> dict[str, Any]:
    """One sandbox run of ``code``; ``options`` go to ``run_sandboxed`` (limits, temp_root …)."""
    limits = options.pop("limits", None)
    request: dict[str, Any] = {"code": code, "input": input, "context": context or {}}
    if limits is not None:
        request["limits"] = limits
    result: dict[str, Any] = _SANDBOX.run_sandboxed(request, **options)
    return result


def output_of(code: str, **options: Any) -> Any:
    """The output of a run that must succeed."""
    result = run(code, **options)
    assert result["status"] == "ok", result
    return result["output"]


def sandbox_processes() -> list[int]:
    """Pids of live processes running this checkout's sandbox child."""
    found = []
    needle = str(CHILD).encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                if needle in cmdline.read():
                    found.append(int(entry))
        except OSError:
            continue  # gone meanwhile
    return found


def landlock_abi() -> int:
    """The Landlock ABI this kernel offers (0: none)."""
    if not sys.platform.startswith("linux"):
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return max(0, int(libc.syscall(444, None, 0, 1)))
