"""Loads a function's ``app.py`` the way Lambda does (by path: every handler file is ``app.py``)
and builds the context and sample events the handlers are invoked with."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def load_function(code_uri: str) -> ModuleType:
    """Import ``<code_uri>/app.py`` under a module name of its own, fresh on every call."""
    path = ROOT / code_uri / "app.py"
    name = "handler_" + code_uri.strip("/").replace("/", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sample_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((ROOT / "events" / name).read_text())
    return event


@dataclass
class FakeLambdaContext:
    function_name: str = "a2n-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:a2n-test"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000
