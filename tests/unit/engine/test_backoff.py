"""Retry policy parsing and full-jitter backoff bounds."""

from __future__ import annotations

import random

from a2n.engine.backoff import RetryPolicy, retry_delay_ms


class FixedDraw:
    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


def test_node_retry_overrides_the_workflow_default_field_by_field() -> None:
    policy = RetryPolicy.from_definition({"maxAttempts": 4}, {"initialDelayMs": 200, "maxAttempts": 2})
    assert policy == RetryPolicy(max_attempts=4, initial_delay_ms=200)
    assert RetryPolicy.from_definition(None).max_attempts == 1
    assert RetryPolicy.from_definition({"backoff": "bogus"}).backoff == "exponential"


def test_exponential_ceiling_doubles_per_attempt_up_to_the_cap() -> None:
    policy = RetryPolicy(max_attempts=10, initial_delay_ms=100, max_delay_ms=1000, jitter=False)
    assert [retry_delay_ms(attempt, policy) for attempt in range(1, 7)] == [100, 200, 400, 800, 1000, 1000]
    assert retry_delay_ms(10_000, policy) == 1000  # no overflow on absurd attempt numbers


def test_fixed_backoff_keeps_the_initial_delay() -> None:
    policy = RetryPolicy(backoff="fixed", initial_delay_ms=250, jitter=False)
    assert {retry_delay_ms(attempt, policy) for attempt in range(1, 5)} == {250}


def test_full_jitter_draws_between_zero_and_the_ceiling() -> None:
    policy = RetryPolicy(initial_delay_ms=1000, max_delay_ms=60_000)
    assert retry_delay_ms(3, policy, FixedDraw(0.0)) == 0
    assert retry_delay_ms(3, policy, FixedDraw(0.5)) == 2000
    rng = random.Random(7)
    delays = [retry_delay_ms(3, policy, rng) for _ in range(500)]
    assert all(0 <= delay < 4000 for delay in delays)
    assert len(set(delays)) > 100  # actually jittered, not a constant
