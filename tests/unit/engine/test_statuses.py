"""The one transition table per status kind."""

from __future__ import annotations

import pytest

from a2n.engine.statuses import (
    EXECUTION_TERMINAL,
    NODE_TERMINAL,
    ExecutionStatus,
    IllegalTransition,
    NodeStatus,
    can_transition,
    check_transition,
)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (NodeStatus.PENDING, NodeStatus.QUEUED),
        (NodeStatus.QUEUED, NodeStatus.RUNNING),
        (NodeStatus.RUNNING, NodeStatus.QUEUED),  # retry
        (NodeStatus.RUNNING, NodeStatus.WAITING),
        (NodeStatus.WAITING, NodeStatus.QUEUED),  # resume
        (NodeStatus.WAITING, NodeStatus.RUNNING),
        (NodeStatus.PENDING, NodeStatus.SKIPPED),
        (NodeStatus.QUEUED, NodeStatus.CANCELLED),
        (ExecutionStatus.QUEUED, ExecutionStatus.RUNNING),
        (ExecutionStatus.RUNNING, ExecutionStatus.TIMED_OUT),
        (ExecutionStatus.WAITING, ExecutionStatus.RUNNING),
    ],
)
def test_documented_transitions_are_allowed(old: NodeStatus, new: NodeStatus) -> None:
    check_transition(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (NodeStatus.RUNNING, NodeStatus.CANCELLED),  # running nodes always finish
        (NodeStatus.PENDING, NodeStatus.RUNNING),
        (NodeStatus.SUCCEEDED, NodeStatus.QUEUED),
        (NodeStatus.SKIPPED, NodeStatus.QUEUED),
        (ExecutionStatus.SUCCEEDED, ExecutionStatus.RUNNING),
        (ExecutionStatus.QUEUED, ExecutionStatus.SUCCEEDED),
    ],
)
def test_undocumented_transitions_raise(old: NodeStatus, new: NodeStatus) -> None:
    with pytest.raises(IllegalTransition):
        check_transition(old, new)


def test_terminal_statuses_have_no_way_out_and_kinds_do_not_mix() -> None:
    for node_status in NODE_TERMINAL:
        assert not any(can_transition(node_status, new) for new in NodeStatus)
    for execution_status in EXECUTION_TERMINAL:
        assert not any(can_transition(execution_status, new) for new in ExecutionStatus)
    assert not can_transition(NodeStatus.PENDING, ExecutionStatus.RUNNING)
