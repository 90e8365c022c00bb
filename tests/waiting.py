"""Waiting on a condition instead of sleeping a guessed time: tests poll what they need to see
and give up, naming it, after a generous limit (a limit is not an assertion about speed)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], what: str, *, limit_s: float = 30, every_s: float = 0.05) -> T:
    """The first truthy value of ``condition()``; AssertionError naming ``what`` after ``limit_s``."""
    deadline = time.monotonic() + limit_s
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {limit_s:g} s waiting for {what}")
        time.sleep(every_s)
