"""What leaves for a channel, pure: every ending run asks the notification rules (with its duration),
a Slack message is the title and a link with Slack's control characters escaped, and the webhook
signature is the Standard Webhooks one the reference library accepts."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from a2n.engine.planner import ExecutionEnd
from a2n.engine.statuses import ExecutionStatus
from a2n.execution.compiled import CompiledWorkflow
from a2n.execution.rows import NotifyEnded, StartErrorWorkflow
from a2n.execution.settle import ending_follow_ups
from a2n.services.notification_delivery import signature_headers, slack_message

DEFINITION = {"nodes": [{"id": "start", "type": "trigger.manual", "config": {}}], "connections": [],
              "settings": {"errorWorkflowId": "00000000-0000-4000-8000-000000000001"}}  # fmt: skip


@dataclass(frozen=True)
class Run:
    workflow_id: uuid.UUID
    workspace_id: uuid.UUID
    mode: str = "manual"
    parent_execution_id: uuid.UUID | None = None
    parent_node_id: str | None = None


def test_every_ending_run_asks_the_notification_rules_with_its_duration() -> None:
    # GIVEN a run that started 90 s ago and failed
    run, execution_id = Run(uuid.uuid4(), uuid.uuid4()), uuid.uuid4()
    started = datetime.now(UTC) - timedelta(seconds=90)
    # WHEN its end is planned
    follow_ups = ending_follow_ups(
        execution_id,
        run,
        CompiledWorkflow.of(DEFINITION),
        ExecutionEnd(ExecutionStatus.FAILED),
        started_at=started,
    )
    # THEN the rules are asked (besides the error workflow), with the run's duration
    notify = [f for f in follow_ups if isinstance(f, NotifyEnded)]
    assert len(notify) == 1 and any(isinstance(f, StartErrorWorkflow) for f in follow_ups)
    assert (notify[0].execution_id, notify[0].status) == (execution_id, "FAILED")
    assert 90_000 <= notify[0].duration_ms < 120_000


def test_a_slack_message_is_the_title_and_a_link_with_control_characters_escaped() -> None:
    payload = {
        "title": "Orders <@here> & co: run failed",
        "data": {"link": "https://a2n.example/executions/1"},
    }
    assert slack_message(payload) == {
        "text": "Orders &lt;@here&gt; &amp; co: run failed\n<https://a2n.example/executions/1|Open in A2N>"
    }


def test_the_webhook_signature_is_what_the_reference_library_verifies() -> None:
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = json.dumps({"id": "d1", "type": "execution.failed"}).encode()
    headers = signature_headers(secret, "d1", body)
    assert headers["webhook-id"] == "d1"
    assert Webhook(secret).verify(body, headers) == {"id": "d1", "type": "execution.failed"}
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB").verify(body, headers)
