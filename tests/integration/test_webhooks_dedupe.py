"""SECURITY case 32 (first half): a provider's retry of an accepted delivery — same Stripe event, GitHub
delivery, Slack event or Standard Webhooks message — answers with the first delivery's execution and
starts nothing; a replayed or stale signature stays refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook
from test_webhooks_delivery import active_hook, delivery
from trigger_support import SECRET, trigger_env

from a2n.db.models import Execution
from a2n.errors import Unauthorized
from a2n.services.webhooks import WebhookAnswer, receive_webhook
from a2n.webhooks.signatures import sign_request

__all__ = ["trigger_env"]
pytestmark = pytest.mark.usefixtures("trigger_env")
JSON = {"content-type": "application/json; charset=utf-8"}
STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def event(**fields: Any) -> bytes:
    return json.dumps({"type": "invoice.paid", **fields}).encode()


def hmac_hook(session: Session, preset: str, secret: str = SECRET) -> str:
    token, _ = active_hook(session, {"type": "hmac", "preset": preset, "secret": secret})
    return token


def executions(session: Session) -> int:
    return session.query(Execution).count()


def send(token: str, preset: Any, body: bytes, at: datetime | None = None, secret: bytes = SECRET.encode(),
         **headers: str) -> WebhookAnswer:  # fmt: skip
    """A delivery signed as ``preset`` signs at ``at`` (default now) and received at that moment;
    ``headers`` are extra (underscores become dashes)."""
    at = at or datetime.now(UTC)
    extra = {name.replace("_", "-"): value for name, value in headers.items()}
    signed = JSON | extra | sign_request(preset, secret, body, at)
    return receive_webhook(delivery(token, signed, body, now=at))


def standard(token: str, body: bytes, at: datetime, message_id: str) -> WebhookAnswer:
    signature = Webhook(STANDARD_SECRET).sign(message_id, at, body.decode())
    headers = JSON | {"webhook-id": message_id, "webhook-timestamp": str(int(at.timestamp())),
                      "webhook-signature": signature}  # fmt: skip
    return receive_webhook(delivery(token, headers, body, now=at))


def test_a_stripe_retry_of_the_same_event_answers_with_the_first_execution(db_session: Session) -> None:
    token = hmac_hook(db_session, "stripe")
    body = event(id="evt_1NG8Du2eZvKYlo2C")
    first_at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=90)
    retry_at = first_at + timedelta(seconds=60)  # Stripe re-signs each attempt with a new timestamp

    first = send(token, "stripe", body, first_at)
    retry = send(token, "stripe", body, retry_at)

    assert (first.status, retry.status) == (202, 202)
    assert retry.body == first.body
    assert executions(db_session) == 1


def test_another_stripe_event_starts_another_execution(db_session: Session) -> None:
    token = hmac_hook(db_session, "stripe")
    answers = [
        send(token, "stripe", body)
        for body in (event(id="evt_a"), event(id="evt_b"), event(note="no id: nothing to dedupe on"))
    ]
    assert len({a.body["executionId"] for a in answers}) == 3
    assert executions(db_session) == 3


def test_a_github_redeliver_of_an_accepted_delivery_gets_its_answer_not_401(db_session: Session) -> None:
    token = hmac_hook(db_session, "github")
    body = event(action="opened")
    headers = JSON | {"X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958", "X-GitHub-Event": "push"}
    headers |= sign_request("github", SECRET.encode(), body, datetime.now(UTC))

    first = receive_webhook(delivery(token, headers, body))
    redelivered = receive_webhook(delivery(token, headers, body))  # "Redeliver": same id, body, signature

    assert redelivered.status == 202 and redelivered.body == first.body
    assert executions(db_session) == 1


def test_a_github_signature_replayed_under_another_delivery_id_stays_refused(db_session: Session) -> None:
    token = hmac_hook(db_session, "github")
    body = event(action="opened")
    signed = JSON | sign_request("github", SECRET.encode(), body, datetime.now(UTC))
    receive_webhook(delivery(token, signed | {"X-GitHub-Delivery": "d-1"}, body))

    with pytest.raises(Unauthorized):  # the delivery id is not signed: the signature decides
        receive_webhook(delivery(token, signed | {"X-GitHub-Delivery": "d-2"}, body))
    with pytest.raises(Unauthorized):
        receive_webhook(delivery(token, signed, body))
    assert executions(db_session) == 1
    # ... and the refused attempt left no claim on d-2: its real delivery still starts a run.
    real = event(action="closed")
    send(token, "github", real, X_GitHub_Delivery="d-2")
    assert executions(db_session) == 2


def test_a_slack_retry_of_an_event_answers_with_the_first_execution(db_session: Session) -> None:
    token = hmac_hook(db_session, "slack")
    body = json.dumps({"type": "event_callback", "event_id": "Ev08MFMKH6", "event": {"type": "x"}}).encode()
    first = send(token, "slack", body, datetime.now(UTC) - timedelta(seconds=30))
    retry = send(token, "slack", body, X_Slack_Retry_Num="1", X_Slack_Retry_Reason="http_timeout")

    assert retry.body == first.body
    assert executions(db_session) == 1


def test_a_standard_webhooks_resend_of_a_message_answers_with_the_first_execution(
    db_session: Session,
) -> None:
    token = hmac_hook(db_session, "standard-webhooks", STANDARD_SECRET)
    body = event(id="in_1")
    now = datetime.now(UTC).replace(microsecond=0)
    # Resent two minutes later, re-signed, with the same webhook-id.
    answers = [standard(token, body, now - timedelta(seconds=ago), "msg_2KWPBgLlAf") for ago in (120, 0)]

    assert answers[0].body == answers[1].body
    assert executions(db_session) == 1


def test_a_stale_retry_of_an_accepted_event_stays_refused(db_session: Session) -> None:
    token = hmac_hook(db_session, "stripe")
    body = event(id="evt_stale")
    now = datetime.now(UTC)
    send(token, "stripe", body, now)
    stale = JSON | sign_request("stripe", SECRET.encode(), body, now - timedelta(seconds=301))

    with pytest.raises(Unauthorized):  # verified before any dedupe: a stale signature proves nothing
        receive_webhook(delivery(token, stale, body, now=now))
    with pytest.raises(Unauthorized):  # nor does a retry signed with the wrong secret
        send(token, "stripe", body, now, secret=b"other")
    assert executions(db_session) == 1


def test_the_generic_preset_has_no_delivery_identity_so_a_replay_stays_401(db_session: Session) -> None:
    token = hmac_hook(db_session, "generic")
    body = event(id="evt_generic")
    headers = JSON | sign_request("generic", SECRET.encode(), body, datetime.now(UTC))
    receive_webhook(delivery(token, headers, body))
    with pytest.raises(Unauthorized):
        receive_webhook(delivery(token, headers, body))
    assert executions(db_session) == 1


def test_a_sync_retry_waits_for_and_gets_the_first_runs_answer(db_session: Session) -> None:
    token, _ = active_hook(db_session, {"type": "hmac", "preset": "stripe", "secret": SECRET}, mode="sync")
    body = event(id="evt_sync")
    now = datetime.now(UTC)
    first = send(token, "stripe", body, now)
    retry = send(token, "stripe", body, now + timedelta(seconds=5))
    assert (retry.status, retry.body) == (first.status, first.body)
    assert executions(db_session) == 1
