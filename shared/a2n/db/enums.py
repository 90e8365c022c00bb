"""Status and kind vocabularies stored in the database (as text with CHECK constraints).

StrEnums, so any other module's enum with the same values binds and compares as plain text.
"""

from __future__ import annotations

from enum import StrEnum

# The engine owns the status vocabularies (and their transition table); the database stores them.
from a2n.engine.statuses import ExecutionStatus, NodeStatus

__all__ = [
    "ACTIVE_EXECUTION_STATUSES",
    "ActorType",
    "ExecutionMode",
    "ExecutionStatus",
    "LogLevel",
    "NodeStatus",
    "ShareLevel",
    "TriggerType",
    "WorkspaceRole",
]


class WorkspaceRole(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    VIEWER = "VIEWER"


class ShareLevel(StrEnum):
    """What a share of one workflow lets its holder do (a2n.auth.policy decides from it)."""

    VIEW = "view"
    RUN = "run"
    EDIT = "edit"

    @property
    def rank(self) -> int:
        return {"view": 1, "run": 2, "edit": 3}[self.value]


class TriggerType(StrEnum):
    MANUAL = "MANUAL"
    WEBHOOK = "WEBHOOK"
    SCHEDULE = "SCHEDULE"
    POLL = "POLL"


# The partial index on executions(status) covers exactly these; keep them in sync with it.
ACTIVE_EXECUTION_STATUSES = (ExecutionStatus.QUEUED, ExecutionStatus.RUNNING, ExecutionStatus.WAITING)


class ExecutionMode(StrEnum):
    MANUAL = "manual"
    WEBHOOK = "webhook"
    SCHEDULE = "schedule"
    POLL = "poll"
    RETRY = "retry"
    SUB = "sub"
    ERROR = "error"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


class ActorType(StrEnum):
    USER = "user"
    API_KEY = "api_key"
    SYSTEM = "system"
