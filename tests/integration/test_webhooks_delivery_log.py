"""SECURITY case 32 (second half): every delivery to a webhook trigger, accepted or refused, is in its
owner's delivery log with the reason the sender never sees; nothing of the body or the secret is kept;
refusals are capped per trigger per minute so a flood of bad signatures writes a bounded number of rows.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from credential_support import member
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from test_webhooks_delivery import active_hook, delivery
from trigger_support import SECRET, trigger_env

from a2n.api.pagination import PageRequest, decode_cursor
from a2n.auth.principal import Principal
from a2n.db.enums import WorkspaceRole
from a2n.db.models import WebhookDeliveryRecord, WorkflowTrigger, WorkspaceMember
from a2n.errors import A2NError, Forbidden, NotFound
from a2n.services.activation import deactivate_workflow
from a2n.services.delivery_log import list_deliveries
from a2n.services.webhooks import receive_webhook
from a2n.settings import reset_settings
from a2n.webhooks.signatures import sign_request

__all__ = ["trigger_env"]
pytestmark = pytest.mark.usefixtures("trigger_env")
JSON = {"content-type": "application/json"}
CANARY = "body-canary-3f9a"


def body(**fields: Any) -> bytes:
    return json.dumps({"canary": CANARY, **fields}).encode()


def signed(payload: bytes, at: datetime, secret: bytes = SECRET.encode()) -> dict[str, str]:
    return JSON | sign_request("stripe", secret, payload, at)


def attempt(
    token: str, headers: dict[str, str], payload: bytes, oversize: int | None = None, **kw: Any
) -> int:
    """The status the sender gets."""
    try:
        return receive_webhook(replace(delivery(token, headers, payload, **kw), oversize=oversize)).status
    except A2NError as refused:
        return refused.status


def trigger_of(session: Session, token: str) -> WorkflowTrigger:
    return session.scalars(select(WorkflowTrigger).where(WorkflowTrigger.webhook_token == token)).one()


def log_of(session: Session, token: str, principal: Principal) -> list[Any]:
    trigger = trigger_of(session, token)
    return list(list_deliveries(principal, str(trigger.workflow_id), trigger.node_id, PageRequest()).items)


def test_every_delivery_accepted_or_refused_is_logged_with_its_reason(db_session: Session) -> None:
    token, owner = active_hook(db_session, {"type": "hmac", "preset": "stripe", "secret": SECRET})
    now = datetime.now(UTC).replace(microsecond=0)
    first = body(id="evt_log_1")
    no_id = body(note="nothing to dedupe on")
    sent = [
        ("accepted", attempt(token, signed(first, now), first, now=now)),
        ("duplicate", attempt(token, signed(first, now + timedelta(seconds=1)), first, now=now)),
        ("bad_signature", attempt(token, signed(first, now, b"wrong"), first, now=now)),
        ("bad_signature", attempt(token, JSON, first, now=now)),  # unsigned
        ("stale", attempt(token, signed(first, now - timedelta(seconds=301)), first, now=now)),
        ("accepted", attempt(token, signed(no_id, now), no_id, now=now)),
        ("replay", attempt(token, signed(no_id, now), no_id, now=now)),
        ("wrong_method", attempt(token, signed(first, now), first, now=now, method="PUT")),
    ]
    sent.append(("too_large", attempt(token, JSON, b"", now=now, oversize=2_000_000)))
    deactivate_workflow(owner.principal, trigger_of(db_session, token).workflow_id)
    sent.append(("inactive", attempt(token, signed(first, now), first, now=now)))
    assert attempt("unknown-token-" + "x" * 20, JSON, first) == 404  # nobody's trigger: not logged

    logged = log_of(db_session, token, owner.principal)

    assert [status for _, status in sent] == [202, 202, 401, 401, 401, 202, 401, 405, 413, 404]
    assert sorted((row.outcome, row.status) for row in logged) == sorted(sent)
    rows = {row.outcome: row for row in logged}
    accepted, duplicate = next(r for r in logged if r.provider_delivery_id), rows["duplicate"]
    assert duplicate.execution_id == accepted.execution_id is not None
    assert accepted.provider_delivery_id == duplicate.provider_delivery_id == "evt_log_1"
    assert accepted.size_bytes == len(first) and accepted.method == "POST"
    assert rows["too_large"].size_bytes == 2_000_000 and rows["wrong_method"].method == "PUT"
    assert "tolerance" in (rows["stale"].detail or "") and "already" not in (rows["stale"].detail or "")
    assert {row.detail for row in logged if row.outcome == "bad_signature"} == {
        "signature does not match", "missing stripe-signature header"
    }  # fmt: skip
    assert all(row.execution_id is None for row in logged if row.status >= 400)


def test_the_log_keeps_nothing_of_the_body_headers_or_secret(db_session: Session) -> None:
    token, _ = active_hook(db_session, {"type": "hmac", "preset": "stripe", "secret": SECRET})
    now = datetime.now(UTC)
    payload = body(id="evt_secretive")
    headers = signed(payload, now) | {"authorization": "Bearer header-canary", "x-note": "header-canary"}
    attempt(token, headers, payload, now=now)
    attempt(token, signed(payload, now, b"wrong") | {"x-note": "header-canary"}, payload, now=now)

    rows = db_session.execute(text("SELECT row_to_json(d)::text FROM webhook_deliveries d")).scalars().all()

    assert len(rows) == 2
    for needle in (CANARY, "header-canary", SECRET, headers["Stripe-Signature"]):
        assert not any(needle in row for row in rows), needle


def test_refusals_are_capped_per_trigger_per_minute_and_accepted_deliveries_never(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("A2N_WEBHOOK_REFUSAL_LOG_PER_MINUTE", "5")
    reset_settings()
    token, owner = active_hook(db_session, {"type": "hmac", "preset": "stripe", "secret": SECRET})
    other, _ = active_hook(db_session, {"type": "hmac", "preset": "stripe", "secret": SECRET})
    now = datetime.now(UTC).replace(microsecond=0)
    payload = body()

    flood = [attempt(token, signed(payload, now, b"attacker"), payload, now=now) for _ in range(40)]
    accepted = attempt(token, signed(body(n=1), now), body(n=1), now=now)
    elsewhere = attempt(other, signed(payload, now, b"attacker"), payload, now=now)
    later = now + timedelta(seconds=61)
    next_minute = attempt(token, signed(payload, later, b"attacker"), payload, now=later)

    assert set(flood) == {401} and accepted == 202 and elsewhere == next_minute == 401
    outcomes = [row.outcome for row in log_of(db_session, token, owner.principal)]
    assert outcomes.count("bad_signature") == 5 + 1  # five this minute, one in the next
    assert outcomes.count("accepted") == 1
    assert db_session.query(WebhookDeliveryRecord).count() == 5 + 1 + 1 + 1


def test_a_sync_delivery_is_logged_with_the_status_it_finally_got(db_session: Session) -> None:
    token, owner = active_hook(db_session, mode="sync")
    answer = receive_webhook(delivery(token, JSON, body()))
    assert answer.status == 200
    logged = log_of(db_session, token, owner.principal)
    assert [(row.outcome, row.status) for row in logged] == [("accepted", 200)]


def test_the_log_is_paginated_newest_first_and_readable_by_editors_of_this_workspace_only(
    db_session: Session,
) -> None:
    token, owner = active_hook(db_session)
    for n in range(5):
        attempt(token, JSON, body(n=n), now=datetime.now(UTC) + timedelta(seconds=n))
    trigger = db_session.scalars(select(WorkflowTrigger).where(WorkflowTrigger.webhook_token == token)).one()
    workflow_id = str(trigger.workflow_id)

    pages = [list_deliveries(owner.principal, workflow_id, "hook", PageRequest(limit=2))]
    while pages[-1].next_cursor is not None:
        after = decode_cursor(pages[-1].next_cursor)
        pages.append(list_deliveries(owner.principal, workflow_id, "hook", PageRequest(2, after)))
    times = [row.received_at for page in pages for row in page.items]
    assert [len(page.items) for page in pages] == [2, 2, 1]
    assert times == sorted(times, reverse=True)

    stranger = member(db_session)
    with pytest.raises(NotFound):
        list_deliveries(stranger.principal, workflow_id, "hook", PageRequest())
    for unknown_node in ("nope", "done"):  # no such node; a node that is not a webhook trigger
        with pytest.raises(NotFound):
            list_deliveries(owner.principal, workflow_id, unknown_node, PageRequest())
    with pytest.raises(NotFound):
        list_deliveries(owner.principal, str(uuid.uuid4()), "hook", PageRequest())
    viewer = member(db_session)
    role = WorkspaceRole.VIEWER
    db_session.add(WorkspaceMember(workspace_id=owner.workspace.id, user_id=viewer.user.id, role=role))
    db_session.flush()
    as_viewer = Principal(user_id=str(viewer.user.id), workspace_id=str(owner.workspace.id), auth_type="jwt")
    with pytest.raises(Forbidden):
        list_deliveries(as_viewer, workflow_id, "hook", PageRequest())


def test_a_log_that_cannot_be_written_never_changes_the_senders_answer(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from a2n.db.repositories.deliveries import DeliveryLogRepository

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("log table unavailable")

    token, _ = active_hook(db_session, {"type": "hmac", "preset": "stripe", "secret": SECRET})
    monkeypatch.setattr(DeliveryLogRepository, "add_within_cap", broken)
    now = datetime.now(UTC)
    assert attempt(token, signed(body(), now, b"wrong"), body(), now=now) == 401  # not a 500
