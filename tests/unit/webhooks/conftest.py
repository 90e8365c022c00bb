"""SECURITY case 26 without a stopwatch: a constant-time check runs the same Python lines whatever
the presented secret is, so the lines a verification executes are compared, not its duration."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest

from a2n.webhooks import signatures

Lines = list[tuple[str, int]]


def executed_lines(check: Callable[[], Any]) -> Lines:
    """The (function, line) steps `check` runs inside a2n.webhooks.signatures, in order; an
    exception it raises ends the trace like a return would."""
    steps: Lines = []
    source = signatures.__file__

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename != source:
            return None
        if event == "line":
            steps.append((frame.f_code.co_name, frame.f_lineno))
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        check()
    except signatures.SignatureInvalid:
        pass
    finally:
        sys.settrace(previous)
    return steps


@pytest.fixture
def lines_run() -> Callable[[Callable[[], Any]], Lines]:
    return executed_lines
