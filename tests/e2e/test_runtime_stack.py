"""The real template.yaml runs in the local runtime: GET /health answers through API Gateway emulation
against real (migrated) Postgres, and protected routes go through the template's authorizer."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from a2n.local.runtime import LocalRuntime


@pytest.fixture
def runtime(stack: LocalRuntime) -> LocalRuntime:
    """The package's stack (tests/e2e/conftest.py): one runtime per process, as moto's state is."""
    return stack


def test_health_is_ok_with_the_database_through_the_http_api(runtime: LocalRuntime) -> None:
    with urllib.request.urlopen(f"{runtime.url}/health", timeout=30) as response:
        assert response.status == 200
        assert json.loads(response.read())["database"] == "ok"


def test_every_queue_of_the_template_exists_in_moto(runtime: LocalRuntime) -> None:
    sqs = runtime.aws_client("sqs")
    urls = set(sqs.list_queues().get("QueueUrls", []))
    assert {runtime.queue_url(q) for q in runtime.template.queues} <= urls
    assert runtime.template.queues  # the real stack has step queues


def test_unknown_route_is_the_gateway_404(runtime: LocalRuntime) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{runtime.url}/no-such-route", timeout=30)
    assert caught.value.code == 404
    assert json.loads(caught.value.read()) == {"message": "Not Found"}
