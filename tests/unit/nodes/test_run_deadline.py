"""The step's deadline around a node's run: a run past it fails the attempt as retryable, and the
next run on the same thread starts at once instead of queueing behind the abandoned one."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from a2n.execution import steps
from a2n.nodes.context import NodeFailed, NodeResult


def run(monkeypatch: pytest.MonkeyPatch, runner: Any, timeout_s: float) -> Any:
    monkeypatch.setattr("a2n.execution.steps.get_runner", lambda node_type: runner)
    node = SimpleNamespace(id="n1", type="noop")
    return steps._run_with_timeout(node, SimpleNamespace(timeout_s=timeout_s))  # type: ignore[arg-type]


def test_a_run_past_its_deadline_fails_as_retryable_and_the_next_run_is_not_held_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()
    with pytest.raises(NodeFailed) as failure:
        run(monkeypatch, lambda ctx: release.wait(10), timeout_s=0.05)
    assert "timed out after 0.05 s" in str(failure.value)
    assert failure.value.retryable
    try:
        assert run(monkeypatch, lambda ctx: NodeResult(output="second"), timeout_s=2).output == "second"
    finally:
        release.set()


def test_runs_on_one_thread_reuse_one_worker_and_parallel_callers_get_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def worker_name(ctx: Any) -> NodeResult:
        return NodeResult(output=threading.get_ident())

    first = run(monkeypatch, worker_name, timeout_s=2).output
    assert run(monkeypatch, worker_name, timeout_s=2).output == first
    elsewhere: list[int] = []
    caller = threading.Thread(
        target=lambda: elsewhere.append(run(monkeypatch, worker_name, timeout_s=2).output)
    )
    caller.start()
    caller.join()
    assert elsewhere and elsewhere[0] != first


def test_case_29_measuring_the_output_counts_against_the_deadline_not_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GIVEN a node whose output is slow to serialise (a stand-in for a huge one) WHEN it returns at
    once THEN the size check still runs inside the deadline, so the attempt times out."""
    release = threading.Event()

    class SlowToSerialise:
        def __str__(self) -> str:  # the size check's json.dumps(default=str) calls this
            release.wait(10)
            return "x"

    try:
        with pytest.raises(NodeFailed, match=r"timed out after 0\.05 s"):
            run(monkeypatch, lambda ctx: NodeResult(output={"v": SlowToSerialise()}), timeout_s=0.05)
    finally:
        release.set()


def test_an_output_over_the_limit_fails_on_the_worker_as_not_retryable(
    monkeypatch: pytest.MonkeyPatch, app_env: Any
) -> None:
    app_env.setenv("A2N_NODE_OUTPUT_LIMIT_BYTES", "10")
    app_env.apply()
    with pytest.raises(NodeFailed, match="output is 14 bytes, over the limit of 10") as failure:
        run(monkeypatch, lambda ctx: NodeResult(output="x" * 12), timeout_s=2)
    assert not failure.value.retryable
