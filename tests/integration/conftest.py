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
    # mock_aws intercepts botocore only: the lean SendMessageBatch path would go past it to the queue
    # URL's host (real AWS) and fall back to boto3 on every send. The moto-server tests cover it.
    monkeypatch.setenv("A2N_SQS_FAST_PATH", "false")
    reset_settings()
    clear_secret_cache()
    with mock_aws():
        yield
    clear_secret_cache()
    reset_settings()
