"""Webhook runs over HTTP through the local runtime: HMAC-signed POSTs to an activated 10-node
``trigger.webhook`` workflow. Async measures request → 202 (and when the runs end); sync measures
request → respond_webhook's answer, counting 200s, 202s (the sync wait timed out) and errors."""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from a2n.bench.stack import BenchUser, Client
from a2n.bench.workflows import POLL_FIRST_S, POLL_MAX_S, RUN_TIMEOUT_S, TERMINAL, fan_out

SECRET = "bench-webhook-secret-not-secret"  # noqa: S105 - a throwaway local trigger
Mode = Literal["async", "sync"]
MODES: tuple[Mode, ...] = ("async", "sync")


def webhook_workflow(mode: Mode, nodes: int = 10) -> dict[str, Any]:
    """hook → shape → noops; in sync mode the last of the ``nodes`` is respond_webhook echoing ``seq``,
    so each answer can be matched to its request."""
    auth = {"type": "hmac", "preset": "generic", "secret": SECRET}
    chain: list[dict[str, Any]] = [
        {"id": "hook", "type": "trigger.webhook", "config": {"method": "POST", "mode": mode, "auth": auth}},
        {"id": "shape", "type": "transform", "config": {"value": {"seq": "{{ trigger.body.seq }}"}}},
    ]
    noops = nodes - len(chain) - (1 if mode == "sync" else 0)
    chain += [{"id": f"n{i}", "type": "noop", "config": {}} for i in range(1, noops + 1)]
    if mode == "sync":
        reply = {"status": 200, "body": {"seq": "{{ input.seq }}"}}
        chain.append({"id": "reply", "type": "respond_webhook", "config": reply})
    return {
        "nodes": chain,
        "connections": [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(chain)],
    }


def pure10_workflow(*, inline: bool) -> dict[str, Any]:
    """Issue 10's comparison workflow: sync webhook → 8 transforms → condition (its output, the last
    node's, is the answer), with pure nodes inline or one queued step per node."""
    auth = {"type": "hmac", "preset": "generic", "secret": SECRET}
    chain: list[dict[str, Any]] = [
        {"id": "hook", "type": "trigger.webhook", "config": {"method": "POST", "mode": "sync", "auth": auth}},
        {"id": "t1", "type": "transform", "config": {"value": {"seq": "{{ trigger.body.seq }}"}}},
        *({"id": f"t{i}", "type": "transform", "config": {"value": {"seq": "{{ input.seq }}", "step": i}}}
          for i in range(2, 9)),
        {"id": "check", "type": "condition", "config": {"expression": "input.seq > `0`"}},
    ]  # fmt: skip
    return {
        "nodes": chain,
        "connections": [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(chain)],
        "settings": {"inlinePureNodes": inline},
    }


def activate(user: BenchUser, name: str, definition: dict[str, Any]) -> str:
    """Create and activate the workflow; the path of its webhook URL."""
    created = user.client.call("POST", "/workflows", {"name": name, "definition": definition})
    if created.status != 201:
        raise RuntimeError(f"POST /workflows answered {created.status}: {created.body}")
    activation = user.client.call("POST", f"/workflows/{created.body['id']}/activate")
    if activation.status != 200 or not activation.body.get("isActive"):
        raise RuntimeError(f"activate answered {activation.status}: {activation.body}")
    return str(urlsplit(activation.body["triggers"][0]["webhookUrl"]).path)


@dataclass(frozen=True)
class Delivery:
    ms: float
    outcome: str  # "202", "200", "202 timeout", "error <status>" …
    began_wall: float
    execution_id: str | None = None


@dataclass
class WebhookRun:
    deliveries: list[Delivery] = field(default_factory=list)
    wall_s: float = 0.0

    def outcomes(self) -> dict[str, int]:
        return _counts(d.outcome for d in self.deliveries)

    def latencies(self, outcome: str) -> list[float]:
        return [d.ms for d in self.deliveries if d.outcome == outcome]


_sequence = itertools.count(1)
_sequence_lock = threading.Lock()


def deliver(client: Client, path: str, mode: Mode) -> Delivery:
    """One signed POST with a body never sent before (a repeated signature is refused as a replay)."""
    with _sequence_lock:
        seq = next(_sequence)
    body = json.dumps({"seq": seq, "nonce": uuid.uuid4().hex}).encode()
    began_wall, began = time.time(), time.perf_counter()
    headers = {"Content-Type": "application/json", **_signature(body)}
    answer = client.send("POST", path, body, headers)
    ms = (time.perf_counter() - began) * 1000
    outcome = _outcome(mode, answer.status, answer.body, seq)
    return Delivery(ms, outcome, began_wall, _execution_id(answer.body))


def _signature(body: bytes) -> dict[str, str]:
    from a2n.webhooks.signatures import sign_request

    return sign_request("generic", SECRET.encode(), body, datetime.now(UTC))


def _outcome(mode: Mode, status: int, body: Any, seq: int) -> str:
    if mode == "async":
        return "202" if status == 202 else f"error {status}"
    if status == 202:
        return "202 timeout"  # the sync wait ran out before respond_webhook answered
    if status == 200 and isinstance(body, dict) and str(body.get("seq")) == str(seq):
        return "200"
    return f"error {status}" if status != 200 else "error 200 wrong answer"


def _execution_id(body: Any) -> str | None:
    return str(body["executionId"]) if isinstance(body, dict) and "executionId" in body else None


def run_deliveries(client: Client, path: str, mode: Mode, count: int, concurrency: int) -> WebhookRun:
    run = WebhookRun()
    run.deliveries, run.wall_s = fan_out(count, concurrency, lambda: _safe_deliver(client, path, mode))
    return run


def _safe_deliver(client: Client, path: str, mode: Mode) -> Delivery:
    began_wall, began = time.time(), time.perf_counter()
    try:
        return deliver(client, path, mode)
    except Exception as error:  # counted, so one refused connection does not end the run
        return Delivery((time.perf_counter() - began) * 1000, f"error {type(error).__name__}", began_wall)


@dataclass(frozen=True)
class RunEnd:
    delivery: Delivery
    status: str
    ended_wall: float | None  # the execution's recorded endedAt, unix seconds (same host clock)

    @property
    def completion_ms(self) -> float | None:
        """Request sent → execution ended, including any wait behind earlier deliveries' steps."""
        if self.ended_wall is None:
            return None
        return max(0.0, (self.ended_wall - self.delivery.began_wall) * 1000)


def wait_for_runs(user: BenchUser, deliveries: list[Delivery]) -> list[RunEnd]:
    """How each started execution ended. Waiting also keeps one phase's runs from still executing
    during the next phase's measurement."""
    return [RunEnd(d, *_final(user, d.execution_id)) for d in deliveries if d.execution_id is not None]


def _final(user: BenchUser, execution_id: str) -> tuple[str, float | None]:
    began, pause = time.perf_counter(), POLL_FIRST_S
    while time.perf_counter() - began < RUN_TIMEOUT_S:
        body = user.client.call("GET", f"/executions/{execution_id}").body or {}
        if body.get("status") in TERMINAL:
            ended = body.get("endedAt")
            stamp = datetime.fromisoformat(str(ended).replace("Z", "+00:00")).timestamp() if ended else None
            return str(body["status"]), stamp
        time.sleep(pause)
        pause = min(pause * 2, POLL_MAX_S)
    return "STUCK", None


def measure(
    user: BenchUser, caller: Client, path: str, mode: Mode, *, count: int, concurrency: int
) -> dict[str, Any]:
    """One phase as a JSON row. Async latency is over the 202s; sync latency is over every request,
    since a sync caller waits as long for a timeout as for an answer."""
    from a2n.bench.stats import summary

    run = run_deliveries(caller, path, mode, count, concurrency)
    outcomes = run.outcomes()
    row: dict[str, Any] = {"requests": len(run.deliveries), "outcomes": outcomes}
    if mode == "async":
        row["latencyMs"] = summary(run.latencies("202"))
        row["acceptedPerSecond"] = _rate(outcomes.get("202", 0), run.wall_s)
    else:
        row["latencyMs"] = summary([d.ms for d in run.deliveries])
        row["completedPerSecond"] = _rate(outcomes.get("200", 0), run.wall_s)
    ends = wait_for_runs(user, run.deliveries)
    if ends:
        row["runStatuses"] = _counts(end.status for end in ends)
    if mode == "async" and ends:
        completions = [end.completion_ms for end in ends if end.completion_ms is not None]
        row["completionMs"] = summary(completions)
        # Throughput to completion: the first request until the last recorded endedAt.
        last_end = max((end.ended_wall for end in ends if end.ended_wall is not None), default=None)
        first = min(d.began_wall for d in run.deliveries)
        succeeded = sum(end.status == "SUCCEEDED" for end in ends)
        row["completedPerSecond"] = _rate(succeeded, last_end - first) if last_end else 0.0
    return row


def _counts(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _rate(done: int, seconds: float) -> float:
    return round(done / seconds, 2) if seconds > 0 else 0.0
