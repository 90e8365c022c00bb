"""Retry policy of a node and the delay before its next attempt.

Exponential or fixed backoff with "full jitter" (AWS Architecture Blog): the delay is drawn
uniformly from [0, min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1))).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Backoff = Literal["exponential", "fixed"]

# Above this the ceiling is already astronomically past any maxDelayMs; it also bounds 2 ** n.
_MAX_EXPONENT = 32


class RandomSource(Protocol):
    def random(self) -> float: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`maxAttempts` counts the first try, so the default of 1 means "never retry"."""

    max_attempts: int = 1
    backoff: Backoff = "exponential"
    initial_delay_ms: int = 1000
    max_delay_ms: int = 60_000
    jitter: bool = True

    @classmethod
    def from_definition(
        cls, node_retry: Mapping[str, Any] | None, workflow_retry: Mapping[str, Any] | None = None
    ) -> RetryPolicy:
        """The node's `retry` field by field over the workflow default `settings.retry`."""
        merged = {**(workflow_retry or {}), **(node_retry or {})}
        backoff = merged.get("backoff", "exponential")
        return cls(
            max_attempts=max(1, int(merged.get("maxAttempts", 1))),
            backoff="fixed" if backoff == "fixed" else "exponential",
            initial_delay_ms=max(0, int(merged.get("initialDelayMs", 1000))),
            max_delay_ms=max(0, int(merged.get("maxDelayMs", 60_000))),
            jitter=bool(merged.get("jitter", True)),
        )

    def allows_another_attempt(self, failed_attempt: int) -> bool:
        return failed_attempt < self.max_attempts


def retry_delay_ms(failed_attempt: int, policy: RetryPolicy, rng: RandomSource | None = None) -> int:
    """Delay before the attempt after `failed_attempt` (1-based); `rng` is injectable for tests."""
    ceiling = policy.initial_delay_ms
    if policy.backoff == "exponential":
        ceiling *= 2 ** min(max(failed_attempt - 1, 0), _MAX_EXPONENT)
    ceiling = min(ceiling, policy.max_delay_ms)
    if not policy.jitter:
        return ceiling
    draw = rng.random() if rng is not None else random.random()  # noqa: S311 - jitter, not crypto
    return int(draw * ceiling)
