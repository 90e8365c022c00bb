"""Every status change the execution core writes goes through the transition table."""

from __future__ import annotations

import pytest

from a2n.engine.planner import NodeChange
from a2n.engine.statuses import ExecutionStatus, IllegalTransition, NodeStatus
from a2n.execution.rows import KEEP, execution_transition, fold_changes


def test_a_node_change_the_table_forbids_raises() -> None:
    with pytest.raises(IllegalTransition, match="SUCCEEDED -> QUEUED"):
        fold_changes([NodeChange("a", NodeStatus.QUEUED, attempt=2)], {"a": "SUCCEEDED"})


def test_chained_changes_are_checked_step_by_step_and_fold_into_one_typed_update() -> None:
    rows = fold_changes(
        [NodeChange("a", NodeStatus.QUEUED, attempt=1), NodeChange("a", NodeStatus.CANCELLED)],
        {"a": "PENDING"},
    )
    assert rows["a"].status is NodeStatus.CANCELLED and rows["a"].attempt == 1
    assert rows["a"].output is KEEP and rows["a"].as_param()["set_output"] is False
    with pytest.raises(IllegalTransition):  # CANCELLED is terminal
        fold_changes(
            [NodeChange("a", NodeStatus.CANCELLED), NodeChange("a", NodeStatus.QUEUED)], {"a": "PENDING"}
        )


def test_a_json_null_output_is_written_not_kept() -> None:
    change = NodeChange("a", NodeStatus.SUCCEEDED, output={"x": None})
    param = fold_changes([change], {"a": "RUNNING"})["a"].as_param()
    assert (param["set_output"], param["output"], param["set_error"], param["error"]) == (
        True,
        {"x": None},
        True,
        None,
    )


def test_an_execution_change_the_table_forbids_raises() -> None:
    execution_transition("RUNNING", ExecutionStatus.SUCCEEDED)
    execution_transition("WAITING", ExecutionStatus.WAITING)  # unchanged: nothing to check
    with pytest.raises(IllegalTransition, match="SUCCEEDED -> RUNNING"):
        execution_transition("SUCCEEDED", ExecutionStatus.RUNNING)
