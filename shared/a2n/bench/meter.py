"""Counts what one node step costs the engine: transactions, SQL statements, CPU and wall time.

SQLAlchemy engine events feed a per-thread meter, so steps running on several threads of the
local runtime are measured apart; the node's own work is a noop, so what remains is overhead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_local = threading.local()


@dataclass
class StepSample:
    transactions: int = 0
    statements: int = 0
    cpu_ms: float = 0.0
    wall_ms: float = 0.0


@dataclass
class StepMeter:
    """Collects one sample per metered call; install() once per process."""

    samples: list[StepSample] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "before_cursor_execute", _on_statement)
        event.listen(Engine, "begin", _on_begin)

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def metered(*args: Any, **kwargs: Any) -> Any:
            sample = StepSample()
            _local.sample = sample
            cpu, wall = time.thread_time(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                sample.cpu_ms = (time.thread_time() - cpu) * 1000
                sample.wall_ms = (time.perf_counter() - wall) * 1000
                _local.sample = None
                with self._lock:
                    self.samples.append(sample)

        return metered


def _current() -> StepSample | None:
    return getattr(_local, "sample", None)


def _on_statement(*_: Any) -> None:
    sample = _current()
    if sample is not None:
        sample.statements += 1


def _on_begin(*_: Any) -> None:
    sample = _current()
    if sample is not None:
        sample.transactions += 1
