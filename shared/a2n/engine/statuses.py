"""Execution and node statuses, and the one transition table each goes through.

Cancel and fail never interrupt a RUNNING node (a Lambda cannot be stopped): it runs to its end and
its result is recorded, while everything that has not started becomes CANCELLED.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class ExecutionStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    WAITING = "WAITING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMED_OUT = "TIMED_OUT"


class NodeStatus(StrEnum):
    PENDING = "PENDING"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    WAITING = "WAITING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    CANCELLED = "CANCELLED"


class IllegalTransition(RuntimeError):
    """A status change the table forbids: always a bug in the caller, never user input."""


_E, _N = ExecutionStatus, NodeStatus

EXECUTION_TERMINAL = frozenset({_E.SUCCEEDED, _E.FAILED, _E.CANCELLED, _E.TIMED_OUT})
NODE_TERMINAL = frozenset({_N.SUCCEEDED, _N.FAILED, _N.SKIPPED, _N.CANCELLED})
NODE_ACTIVE = frozenset({_N.PENDING, _N.QUEUED, _N.RUNNING, _N.WAITING})

EXECUTION_TRANSITIONS: Mapping[ExecutionStatus, frozenset[ExecutionStatus]] = {
    _E.QUEUED: frozenset({_E.RUNNING, _E.FAILED, _E.CANCELLED}),
    _E.RUNNING: frozenset({_E.WAITING, _E.SUCCEEDED, _E.FAILED, _E.CANCELLED, _E.TIMED_OUT}),
    _E.WAITING: frozenset({_E.RUNNING, _E.SUCCEEDED, _E.FAILED, _E.CANCELLED, _E.TIMED_OUT}),
    **{status: frozenset() for status in EXECUTION_TERMINAL},
}

NODE_TRANSITIONS: Mapping[NodeStatus, frozenset[NodeStatus]] = {
    # PENDING -> SUCCEEDED: a trigger completes inline at start.
    _N.PENDING: frozenset({_N.QUEUED, _N.SKIPPED, _N.CANCELLED, _N.SUCCEEDED}),
    _N.QUEUED: frozenset({_N.RUNNING, _N.CANCELLED}),
    # RUNNING -> QUEUED: a retry (or an expired lease); no RUNNING -> CANCELLED, see module doc.
    _N.RUNNING: frozenset({_N.SUCCEEDED, _N.FAILED, _N.WAITING, _N.QUEUED}),
    # WAITING resumes by re-queueing or by completing with the resume data.
    _N.WAITING: frozenset({_N.QUEUED, _N.RUNNING, _N.SUCCEEDED, _N.FAILED, _N.CANCELLED}),
    **{status: frozenset() for status in NODE_TERMINAL},
}


def can_transition(old: ExecutionStatus | NodeStatus, new: ExecutionStatus | NodeStatus) -> bool:
    if isinstance(old, ExecutionStatus) and isinstance(new, ExecutionStatus):
        return new in EXECUTION_TRANSITIONS[old]
    if isinstance(old, NodeStatus) and isinstance(new, NodeStatus):
        return new in NODE_TRANSITIONS[old]
    return False


def check_transition(old: ExecutionStatus | NodeStatus, new: ExecutionStatus | NodeStatus) -> None:
    """Raise IllegalTransition unless the table allows `old -> new` (same-kind statuses only)."""
    if not can_transition(old, new):
        raise IllegalTransition(f"{type(old).__name__} {old} -> {new} is not allowed")
