"""The two measured workflows and their runs over HTTP: end-to-end latency per execution from the
execute call to the execution's recorded end, and executions per second at a given concurrency."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from a2n.bench.stack import BenchUser

T = TypeVar("T")

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"})
# The latency comes from the execution's recorded endedAt, so polling only has to notice the end.
# Each GET costs the one-process runtime ~5 ms of CPU (HTTP, authorizer, handler): 16 threads polling
# every 5 ms, or even every 50 ms, spent its CPU and GIL on GETs instead of on the steps they wait for.
# So each run backs off from 50 ms to at most 1 s between polls.
POLL_FIRST_S = 0.05
POLL_MAX_S = 1.0
RUN_TIMEOUT_S = 60.0


def linear_workflow(nodes: int = 10) -> dict[str, Any]:
    """trigger → n1 → … → n9: every step waits for the one before."""
    ids = ["start"] + [f"n{i}" for i in range(1, nodes)]
    return {
        "nodes": [{"id": "start", "type": "trigger.manual", "config": {}}]
        + [{"id": i, "type": "noop", "config": {}} for i in ids[1:]],
        "connections": [{"source": a, "target": b} for a, b in itertools.pairwise(ids)],
        "settings": {"inlinePureNodes": False},  # measures the queued step (pure nodes would run inline)
    }


def fan_out_in_workflow(nodes: int = 10) -> dict[str, Any]:
    """trigger → 8 parallel branches → join (merge): one fan-out, one join."""
    branches = [f"b{i}" for i in range(1, nodes - 1)]
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual", "config": {}},
            *({"id": b, "type": "noop", "config": {}} for b in branches),
            {"id": "join", "type": "merge", "config": {"mode": "object"}},
        ],
        "connections": [{"source": "start", "target": b} for b in branches]
        + [{"source": b, "target": "join"} for b in branches],
        "settings": {"inlinePureNodes": False},  # measures the queued step (pure nodes would run inline)
    }


@dataclass
class RunResult:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0

    @property
    def per_second(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s else 0.0


def create_workflow(user: BenchUser, name: str, definition: dict[str, Any]) -> str:
    answer = user.client.call("POST", "/workflows", {"name": name, "definition": definition})
    if answer.status != 201:
        raise RuntimeError(f"POST /workflows answered {answer.status}: {answer.body}")
    return str(answer.body["id"])


def run_one(user: BenchUser, workflow_id: str) -> tuple[float, str]:
    """(ms from the execute call until the execution ended, that status). The end is the server's
    recorded endedAt (same host clock), so the poll interval adds nothing to the latency."""
    began_wall, began = time.time(), time.perf_counter()
    answer = user.client.call("POST", f"/workflows/{workflow_id}/execute", {"input": {}})
    if answer.status != 202:
        raise RuntimeError(f"execute answered {answer.status}: {answer.body}")
    path = f"/executions/{answer.body['executionId']}"
    pause = POLL_FIRST_S
    while time.perf_counter() - began < RUN_TIMEOUT_S:
        body = user.client.call("GET", path).body
        status = str(body["status"])
        if status in TERMINAL:
            return _ended_ms(body, began_wall) or (time.perf_counter() - began) * 1000, status
        time.sleep(pause)
        pause = min(pause * 2, POLL_MAX_S)
    return (time.perf_counter() - began) * 1000, "STUCK"


def _ended_ms(body: dict[str, Any], began_wall: float) -> float | None:
    ended = body.get("endedAt")
    if not ended:
        return None
    ended_at = datetime.fromisoformat(str(ended).replace("Z", "+00:00")).timestamp()
    return max(0.0, (ended_at - began_wall) * 1000)


def run_many(user: BenchUser, workflow_id: str, executions: int, concurrency: int) -> RunResult:
    def one() -> tuple[float, str]:
        try:
            return run_one(user, workflow_id)
        except Exception as error:  # counted, so one refused call does not end the run
            return -1.0, f"error: {error}"[:120]

    outcomes, wall_s = fan_out(executions, concurrency, one)
    result = RunResult(wall_s=wall_s)
    for ms, status in outcomes:
        result.statuses[status] = result.statuses.get(status, 0) + 1
        if ms >= 0:
            result.latencies_ms.append(ms)
    return result


def fan_out(count: int, concurrency: int, work: Callable[[], T]) -> tuple[list[T], float]:
    """``work`` called ``count`` times by ``concurrency`` threads; the results and the wall seconds."""
    results: list[T] = []
    lock = threading.Lock()
    remaining = iter(range(count))

    def worker() -> None:
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            result = work()
            with lock:
                results.append(result)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - began
