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
    "TriggerType",
    "WorkspaceRole",
]


class WorkspaceRole(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    VIEWER = "VIEWER"


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
