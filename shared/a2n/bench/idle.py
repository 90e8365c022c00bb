"""Idle: what the stack does to its database while nothing runs (scale to zero, §11).

One simulated day on the local runtime's ManualClock. First a little work (a run that ends at once,
one that waits 20 minutes on an engine timer), then the clock moves a minute at a time until the
engine has asked for its last sweep tick; then 24 hours, a minute at a time. The pool is emptied
before the day (on AWS the containers froze and the server closed their idle sessions), so every
database use opens a connection: SQLAlchemy's pool `connect` (connections opened) and `checkout`
(transactions begun) are counted per minute, and the minute of the daily rule (retention) is
reported apart. A per-minute sweeper would show up as 1,440 openings.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from a2n.bench.stack import BenchStack, BenchUser
    from a2n.local.clock import ManualClock

DAY_MINUTES = 24 * 60
SETTLE_LIMIT_MINUTES = 60
ENGINE_SCHEDULES = ("timer-", "sweep-")


@dataclass
class DatabaseUse:
    """Connections opened and checked out of the process's pool since `watch`."""

    opened: int = 0
    checkouts: int = 0

    def watch(self) -> Callable[[], None]:
        """Count from now on; returns what stops counting."""
        from sqlalchemy import event

        from a2n.db.session import get_engine

        pool = get_engine().pool

        def opened(*_: Any) -> None:
            self.opened += 1

        def checked_out(*_: Any) -> None:
            self.checkouts += 1

        event.listen(pool, "connect", opened)
        event.listen(pool, "checkout", checked_out)

        def stop() -> None:
            event.remove(pool, "connect", opened)
            event.remove(pool, "checkout", checked_out)

        return stop

    def since(self, before: DatabaseUse) -> DatabaseUse:
        return DatabaseUse(self.opened - before.opened, self.checkouts - before.checkouts)


def idle_day(
    stack: BenchStack,
    clock: ManualClock,
    *,
    minutes: int = DAY_MINUTES,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run a little, settle, then `minutes` idle minutes; what touched the database, and when."""
    from a2n.db.session import get_engine

    user = stack.register_user()
    _some_work(user)
    settled = _settle(stack, clock, user)
    progress(f"idle day: settled {settled} simulated minutes after the work; now {minutes} idle minutes")
    get_engine().dispose()  # frozen containers: their idle connections were closed by the server
    use, during, daily = DatabaseUse(), DatabaseUse(), DatabaseUse()
    runs: Counter[str] = Counter()
    stop = use.watch()
    try:
        for minute in range(minutes):
            before = DatabaseUse(use.opened, use.checkouts)
            fired = stack.runtime.scheduler.advance(timedelta(minutes=1))
            kinds = {_kind(f.event) for f in fired if f.function == "SweeperFunction"}
            runs.update(_kind(f.event) for f in fired if f.function == "SweeperFunction")
            spent = use.since(before)
            target = daily if "daily" in kinds else during
            target.opened += spent.opened
            target.checkouts += spent.checkouts
            if minute % 240 == 239:
                progress(f"idle day: {minute + 1} min, {during.opened} connections opened (daily run apart)")
    finally:
        stop()
    return {
        "idleMinutes": minutes,
        "connectionsOpened": during.opened,
        "checkouts": during.checkouts,
        "dailyRun": {"connectionsOpened": daily.opened, "checkouts": daily.checkouts},
        "sweeperRuns": dict(runs),
        "settleMinutes": settled,
    }


def _kind(event: Any) -> str:
    return str(event.get("kind", "other")) if isinstance(event, dict) else "other"


def _some_work(user: BenchUser) -> None:
    """A run that ends in its start transaction and one parked for 20 minutes on an engine timer."""
    pure = {"nodes": [{"id": "t", "type": "trigger.manual", "config": {}},
                      {"id": "n", "type": "noop", "config": {}}],
            "connections": [{"source": "t", "target": "n"}]}  # fmt: skip
    waits = {"nodes": [{"id": "t", "type": "trigger.manual", "config": {}},
                       {"id": "w", "type": "wait", "config": {"mode": "duration", "seconds": 1200}},
                       {"id": "n", "type": "noop", "config": {}}],
             "connections": [{"source": "t", "target": "w"}, {"source": "w", "target": "n"}]}  # fmt: skip
    for name, definition in (("idle-pure", pure), ("idle-wait", waits)):
        created = user.client.call("POST", "/workflows", {"name": name, "definition": definition})
        if created.status != 201:
            raise RuntimeError(f"POST /workflows answered {created.status}: {created.body}")
        started = user.client.call("POST", f"/workflows/{created.body['id']}/execute", {"input": {}})
        if started.status not in (200, 201, 202):
            raise RuntimeError(f"execute answered {started.status}: {started.body}")


def _settle(stack: BenchStack, clock: ManualClock, user: BenchUser) -> int:
    """Minutes until every execution has ended and no engine schedule is left."""
    scheduler = stack.runtime.aws_client("scheduler")
    for minute in range(SETTLE_LIMIT_MINUTES):
        ended = _all_ended(user)
        names = [s["Name"] for s in scheduler.list_schedules()["Schedules"]]
        pending = [name for name in names if name.startswith(ENGINE_SCHEDULES)]
        if ended and not pending:
            return minute
        stack.runtime.scheduler.advance(timedelta(minutes=1))
        time.sleep(0.2)  # the SQS pollers run in real time
    raise RuntimeError(f"the engine still had work or schedules {SETTLE_LIMIT_MINUTES} simulated minutes on")


def _all_ended(user: BenchUser) -> bool:
    listed = user.client.call("GET", "/executions").body
    active = ("QUEUED", "RUNNING", "WAITING")
    return bool(listed["items"]) and all(e["status"] not in active for e in listed["items"])
