"""The step's deadline around a node's run: a run past it fails the attempt as retryable, and the
next run on the same thread starts at once instead of queueing behind the abandoned one."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from a2n.execution import steps
from a2n.nodes.context import NodeFailed


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
        assert run(monkeypatch, lambda ctx: "second", timeout_s=2) == "second"
    finally:
        release.set()


def test_runs_on_one_thread_reuse_one_worker_and_parallel_callers_get_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def worker_name(ctx: Any) -> int:
        return threading.get_ident()

    first = run(monkeypatch, worker_name, timeout_s=2)
    assert run(monkeypatch, worker_name, timeout_s=2) == first
    elsewhere: list[int] = []
    caller = threading.Thread(target=lambda: elsewhere.append(run(monkeypatch, worker_name, timeout_s=2)))
    caller.start()
    caller.join()
    assert elsewhere and elsewhere[0] != first
