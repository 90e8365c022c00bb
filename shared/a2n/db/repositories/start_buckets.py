"""The per-workspace token bucket of execution starts: one upsert takes tokens and reports what it
granted, in the caller's transaction (no extra transaction, one round trip)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Float, Integer, bindparam, text
from sqlalchemy.orm import Session

# `available` is what was left, refilled at :rate per second since then, capped at :burst. now() is
# the transaction's start; GREATEST keeps a transaction that began before the previous taker
# committed from moving the clock back (it refills nothing instead). A first take finds a full
# bucket. On a conflict the row stays locked until the caller's transaction ends, so concurrent
# starts of one workspace — from any container — take one after the other, each seeing what the
# previous one left.
_TAKE = text("""
INSERT INTO workspace_start_buckets AS b (workspace_id, tokens, refilled_at, granted)
VALUES (:workspace_id, :burst - LEAST(:want, FLOOR(:burst)), now(), LEAST(:want, FLOOR(:burst)))
ON CONFLICT (workspace_id) DO UPDATE SET
    granted = LEAST(:want, FLOOR(LEAST(:burst,
        b.tokens + GREATEST(0.0, EXTRACT(EPOCH FROM now() - b.refilled_at)::float8) * :rate))),
    tokens = LEAST(:burst,
        b.tokens + GREATEST(0.0, EXTRACT(EPOCH FROM now() - b.refilled_at)::float8) * :rate)
        - LEAST(:want, FLOOR(LEAST(:burst,
        b.tokens + GREATEST(0.0, EXTRACT(EPOCH FROM now() - b.refilled_at)::float8) * :rate))),
    refilled_at = GREATEST(b.refilled_at, now())
RETURNING granted, tokens
""").bindparams(
    bindparam("want", type_=Integer), bindparam("burst", type_=Float), bindparam("rate", type_=Float)
)


@dataclass(frozen=True)
class Taken:
    granted: int  # how many of the wanted starts may go ahead (0 … want)
    tokens: float  # what is left in the bucket afterwards


class StartBucketRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def take(self, workspace_id: uuid.UUID, *, want: int, rate: float, burst: int) -> Taken:
        """Take up to ``want`` whole tokens; what is not available is not taken (and not queued)."""
        row = self.session.execute(
            _TAKE, {"workspace_id": workspace_id, "want": want, "rate": float(rate), "burst": float(burst)}
        ).one()
        return Taken(granted=int(row.granted), tokens=float(row.tokens))
