"""The schedule-expression value type and its error, shared by the cron, rate and at evaluators.

Kept apart from the parsers so each evaluator module can import it without an import cycle.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Literal

ScheduleKind = Literal["cron", "rate", "at"]


class ScheduleExpressionError(ValueError):
    """A schedule expression or time zone a user wrote is not valid; the message says how to fix it."""


class ScheduleExpression(ABC):
    """A parsed EventBridge Scheduler expression that can compute its next fire time."""

    expression: str
    kind: ScheduleKind

    @abstractmethod
    def next_fire(self, after: datetime, timezone: str, *, start: datetime | None = None) -> datetime | None:
        """First fire strictly after `after` (aware), as aware UTC; None when it never fires again."""

    def __str__(self) -> str:
        return self.expression


def require_aware(moment: datetime, name: str) -> None:
    # A naive datetime would silently be read in the host's zone; refuse it instead of guessing.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
