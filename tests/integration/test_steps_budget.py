"""The §11 budget of engine overhead per node step: statements and transactions counted by a
SQLAlchemy listener around one noop step (its own work is nil), with a warm graph cache."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import engine_harness
from engine_harness import Engine, node, trigger
from sqlalchemy import event

from a2n.db.session import get_engine
from a2n.execution.steps import StepMessage, handle_step_message

engine = engine_harness.engine


@dataclass
class Counts:
    statements: int = 0
    commits: int = 0


@contextmanager
def counting() -> Iterator[Counts]:
    counts = Counts()
    db = get_engine()

    def on_statement(*_: Any) -> None:
        counts.statements += 1

    def on_commit(*_: Any) -> None:
        counts.commits += 1

    event.listen(db, "before_cursor_execute", on_statement)
    event.listen(db, "commit", on_commit)
    try:
        yield counts
    finally:
        event.remove(db, "before_cursor_execute", on_statement)
        event.remove(db, "commit", on_commit)


def test_a_middle_step_costs_at_most_two_transactions_and_ten_statements(engine: Engine) -> None:
    workflow_id = engine.workflow(
        [trigger(), node("a", "noop"), node("b", "noop"), node("c", "noop")],
        [("start", "a"), ("a", "b"), ("b", "c")],
    )
    execution_id = engine.start(workflow_id)
    first = StepMessage.model_validate_json(engine.receive("noop")[0]["Body"])
    handle_step_message(first)  # warms the per-container graph cache, as a warm Lambda has it
    second = StepMessage.model_validate_json(engine.receive("noop")[0]["Body"])
    with counting() as counts:
        assert handle_step_message(second) == "completed"
    print(f"step overhead: {counts.statements} statements, {counts.commits} transactions")
    assert counts.commits <= 2
    assert counts.statements <= 10
    engine.pump()
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"


def test_the_overhead_of_a_step_does_not_grow_along_a_long_chain(engine: Engine) -> None:
    """Every step of a 20-node chain costs the same statements and transactions as the first one:
    nothing on the step path reads or writes per node already run (CPU is measured by `a2n bench`)."""
    steps = 20
    ids = [f"n{i}" for i in range(steps + 1)]
    workflow_id = engine.workflow(
        [trigger(), *(node(i, "noop") for i in ids)], [("start", ids[0]), *itertools.pairwise(ids)]
    )
    execution_id = engine.start(workflow_id)
    handle_step_message(StepMessage.model_validate_json(engine.receive("noop")[0]["Body"]))  # warm
    costs: list[tuple[int, int]] = []
    for _ in range(steps - 1):  # every step but the last, which also finishes the execution
        message = StepMessage.model_validate_json(engine.receive("noop")[0]["Body"])
        with counting() as counts:
            assert handle_step_message(message) == "completed"
        costs.append((counts.statements, counts.commits))

    assert len(set(costs)) == 1, costs
    assert costs[0][0] <= 10 and costs[0][1] <= 2
    engine.pump()
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"
