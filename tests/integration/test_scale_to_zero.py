"""Scale to zero through the real template.yaml on the local runtime's ManualClock: an idle day
touches the database only in the daily run, and a two-hour wait, a retry delayed thirty minutes and
a step killed after its claim all finish with no per-minute sweeper — only the schedules the engine
created fire, and after the work nothing fires at all."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scripted_http import HitServer
from waiting import wait_until

from a2n.bench.idle import idle_day
from a2n.bench.stack import BenchStack, BenchUser, bench_stack
from a2n.execution import steps
from a2n.local.clock import ManualClock

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
pytestmark = pytest.mark.slow


@pytest.fixture
def clock() -> ManualClock:
    # The engine runs on this clock (the runtime installs it); the database keeps the wall clock.
    return ManualClock(datetime.now(UTC).replace(second=0, microsecond=0))


@pytest.fixture
def stack(clean_db: str, clock: ManualClock) -> Iterator[BenchStack]:
    env = {"A2N_HTTP_ALLOW_NETWORKS": '["127.0.0.0/8"]'}
    with bench_stack(TEMPLATE, clean_db, clock=clock, env=env) as found:
        yield found


def test_an_idle_day_opens_no_database_connection_but_the_daily_run(
    stack: BenchStack, clock: ManualClock
) -> None:
    report = idle_day(stack, clock, progress=lambda message: None)

    assert (report["connectionsOpened"], report["checkouts"]) == (0, 0)
    assert report["sweeperRuns"] == {"daily": 1}  # no tick, no timer: nothing was in flight
    assert report["dailyRun"]["connectionsOpened"] >= 1 and report["dailyRun"]["checkouts"] >= 1
    assert report["settleMinutes"] <= 25  # the 20-minute wait, then a tick or two


class Killed(Exception):
    """The step's Lambda dies right after its claim."""


def test_a_long_wait_a_long_retry_and_a_killed_step_finish_on_the_manual_clock(
    stack: BenchStack, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = stack.register_user()
    flaky, steady = HitServer([503]), HitServer()
    half_hour = 1_800_000
    retry = {"maxAttempts": 2, "backoff": "fixed", "initialDelayMs": half_hour, "maxDelayMs": half_hour,
             "jitter": False}  # fmt: skip
    two_hours = node("pause", "wait", {"mode": "duration", "seconds": 7200})
    waits = execute(user, [two_hours], timeoutMs=86_400_000)
    retries = execute(user, [node("call", "http_request", {"method": "GET", "url": flaky.url}, retry=retry)])
    doomed = kill_once_after_claim(monkeypatch, "doomed")
    killed = execute(user, [node("doomed", "http_request", {"method": "GET", "url": steady.url})])
    sweeps_before = len(stack.runtime.scheduler.fired)
    try:
        wait_until(lambda: status_of(user, waits, "pause") == ("WAITING", 1), "the wait to park")
        wait_until(lambda: status_of(user, retries, "call") == ("QUEUED", 2), "the retry to be delayed")
        wait_until(lambda: doomed and status_of(user, killed, "doomed") == ("RUNNING", 1), "the kill")

        advance(stack, minutes=4)  # the lease (25 s + 120 s) expires; a tick re-queues the step
        assert finished(user, killed) == "SUCCEEDED" and steady.hits == 1
        advance(stack, minutes=27)
        assert finished(user, retries) == "SUCCEEDED" and flaky.hits == 2
        advance(stack, minutes=90)
        assert finished(user, waits) == "SUCCEEDED"

        advance(stack, minutes=3)  # the tick the last wake asked for finds nothing in flight
        fired = stack.runtime.scheduler.fired[sweeps_before:]
        ticks = [f for f in fired if f.function == "SweeperFunction" and f.event.get("kind") == "sweep"]
        assert 0 < len(ticks) < 20, "ticks only while work was in flight, not one a minute for two hours"
        assert all(f.error is None for f in fired)
        quiet = stack.runtime.scheduler.advance(timedelta(hours=6))
        assert quiet == [], "nothing in flight, nothing waiting: no schedule fires at all"
    finally:
        flaky.close()
        steady.close()


def node(node_id: str, node_type: str, config: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "config": config, **fields}


def execute(user: BenchUser, nodes: list[dict[str, Any]], **settings: Any) -> str:
    first = nodes[0]["id"]
    definition = {"nodes": [node("start", "trigger.manual", {}), *nodes],
                  "connections": [{"source": "start", "target": first}], "settings": settings}  # fmt: skip
    body = {"name": f"z-{uuid.uuid4().hex[:6]}", "definition": definition}
    created = user.client.call("POST", "/workflows", body)
    assert created.status == 201, created.body
    started = user.client.call("POST", f"/workflows/{created.body['id']}/execute", {"input": {}})
    assert started.status == 202, started.body
    return str(started.body["executionId"])


def kill_once_after_claim(monkeypatch: pytest.MonkeyPatch, node_id: str) -> list[str]:
    """The first run of `node_id` dies after its claim (its SQS message comes back only after the
    queue's 180 s visibility timeout, in real time: by then the lease path has finished it)."""
    real, killed = steps.run_claimed, []

    def run_claimed(message: steps.StepMessage, *args: Any, **kwargs: Any) -> Any:
        if message.nodeId == node_id and not killed:
            killed.append(node_id)
            raise Killed(node_id)
        return real(message, *args, **kwargs)

    monkeypatch.setattr(steps, "run_claimed", run_claimed)
    return killed


def status_of(user: BenchUser, execution_id: str, node_id: str) -> tuple[str, int]:
    run = user.client.call("GET", f"/executions/{execution_id}").body
    state = next(n for n in run["nodes"] if n["nodeId"] == node_id)
    return state["status"], state["attempt"]


def finished(user: BenchUser, execution_id: str) -> str:
    """Its status once it has ended (the SQS pollers run in real time)."""
    ended = ("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT")
    wait_until(lambda: user.client.call("GET", f"/executions/{execution_id}").body["status"] in ended,
               f"execution {execution_id} to end")  # fmt: skip
    return str(user.client.call("GET", f"/executions/{execution_id}").body["status"])


def advance(stack: BenchStack, *, minutes: int) -> None:
    for _ in range(minutes):
        stack.runtime.scheduler.advance(timedelta(minutes=1))
