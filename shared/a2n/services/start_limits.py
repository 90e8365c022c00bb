"""Per-workspace rate limit on execution starts, so one tenant cannot starve the others.

A token bucket per workspace in Postgres (`workspace_start_buckets`), taken from by one statement in
the start's own transaction: correct across Lambda containers, and a refused start rolls back with
everything else. HTTP starts (manual, retry, webhook) answer 429 + Retry-After; schedule and poll
fires have no caller to tell, so they are skipped (polls keep the items for the next fire) and
recorded in the workspace's audit log, where the owner sees them.
"""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING, Any

from a2n.errors import RateLimited

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.db.repositories.start_buckets import Taken

RATE_LIMITED_ACTION = "trigger.fire_rate_limited"


class StartsRateLimited(RateLimited):
    def __init__(self, rate: float, burst: int, retry_after_s: int) -> None:
        super().__init__(
            f"This workspace starts at most {rate:g} executions per second (bursts of {burst});"
            f" retry after {retry_after_s} s"
        )
        self.retry_after_s = retry_after_s


def admit_start(session: Session, workspace_id: uuid.UUID | str) -> None:
    """Take one start from the workspace's bucket, or raise StartsRateLimited (429 + Retry-After)."""
    from a2n.settings import get_settings

    settings = get_settings()
    taken = _take(session, workspace_id, 1)
    if taken is not None and taken.granted == 0:
        rate = settings.execution_starts_per_s
        retry_after_s = max(1, math.ceil((1 - taken.tokens) / rate))  # until one whole token is back
        raise StartsRateLimited(rate, settings.execution_starts_burst, retry_after_s)


def admit_starts(session: Session, workspace_id: uuid.UUID | str, wanted: int) -> int:
    """How many of ``wanted`` starts may go ahead now (0 … wanted); those are taken."""
    taken = _take(session, workspace_id, wanted)
    return wanted if taken is None else taken.granted


def _take(session: Session, workspace_id: uuid.UUID | str, wanted: int) -> Taken | None:
    """None when nothing is limited (the rate is 0, or nothing is wanted)."""
    from a2n.db.repositories.start_buckets import StartBucketRepository
    from a2n.settings import get_settings

    settings = get_settings()
    if settings.execution_starts_per_s <= 0 or wanted <= 0:
        return None
    return StartBucketRepository(session).take(
        uuid.UUID(str(workspace_id)), want=wanted, rate=settings.execution_starts_per_s,
        burst=settings.execution_starts_burst,
    )  # fmt: skip


def record_skipped_fire(
    session: Session, workspace_id: uuid.UUID, *, workflow_id: uuid.UUID, details: dict[str, Any]
) -> None:
    """A schedule or poll fire skipped for the rate limit, where the workspace's owner can see it."""
    from a2n.observability import get_logger
    from a2n.services.audit import Actor, record_audit

    record_audit(session, workspace_id=workspace_id, actor=Actor("system", None), action=RATE_LIMITED_ACTION,
                 entity_type="workflow", entity_id=workflow_id, changes=details)  # fmt: skip
    get_logger().warning("execution start rate-limited", extra={"workspace_id": str(workspace_id), **details})
