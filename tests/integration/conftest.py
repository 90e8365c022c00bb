"""Integration fixtures: moto for AWS APIs. Database fixtures live in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from a2n.adapters.secrets import clear_secret_cache
from a2n.settings import reset_settings


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's in-process AWS with fake credentials; cached clients and secrets are forgotten."""
    from moto import mock_aws

    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    # Engine timers as a deployed stack has them, in moto's built-in group (on AWS the stack makes its own).
    monkeypatch.setenv("A2N_SCHEDULE_GROUP", "default")
    monkeypatch.setenv("A2N_TIMER_TARGET_ARN", TIMER_TARGET_ARN)
    monkeypatch.setenv("A2N_TIMER_ROLE_ARN", TIMER_ROLE_ARN)
    reset_settings()
    clear_secret_cache()
    _forget_scheduler()
    with mock_aws():
        yield
    _forget_scheduler()
    clear_secret_cache()
    reset_settings()


TIMER_TARGET_ARN = "arn:aws:lambda:us-east-1:123456789012:function:a2n-sweeper"
TIMER_ROLE_ARN = "arn:aws:iam::123456789012:role/a2n-timer-invoke"


def _forget_scheduler() -> None:
    """Each test's moto starts without schedules: forget the ticks this process made sure of."""
    from a2n.adapters import scheduler
    from a2n.execution.timers import forget_ensured_sweeps

    scheduler.reset_client()
    forget_ensured_sweeps()


MAIL_SENDER = "A2N <no-reply@mail.a2n.test>"


@pytest.fixture
def ses(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's SES with the sender's domain verified; mail jobs are delivered in-process (no queue)."""
    import boto3

    from a2n.adapters import mailer

    monkeypatch.setenv("A2N_MAIL_FROM", MAIL_SENDER)
    monkeypatch.delenv("A2N_MAIL_QUEUE_URL", raising=False)
    reset_settings()
    mailer.reset_client()
    boto3.client("sesv2", region_name="us-east-1").create_email_identity(EmailIdentity="mail.a2n.test")
    yield
    mailer.reset_client()
