"""SECURITY case 8: 1,000 concurrent deliveries of one signed event → exactly one execution; case 32:
concurrent provider retries of one event (each signed anew) → one execution, every answer naming it.

Each delivery commits on its own connection (no shared rolled-back transaction), as Lambdas would.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from identity_support import new_user
from sqlalchemy import func, select
from trigger_support import SECRET, saved_workflow, trigger_env, webhook_definition

from a2n.auth.principal import Principal
from a2n.db.enums import WorkspaceRole
from a2n.db.models import Execution, WebhookReceipt, Workspace, WorkspaceMember
from a2n.db.uow import UnitOfWork
from a2n.errors import Unauthorized
from a2n.services.activation import activate_workflow
from a2n.services.webhooks import WebhookDelivery, receive_webhook
from a2n.webhooks.signatures import sign_request

__all__ = ["trigger_env"]
BODY = b'{"id": "evt_1", "type": "invoice.paid"}'


@pytest.fixture
def pooled(clean_db: str, app_env: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("A2N_DATABASE_POOL_SIZE", "16")
    from a2n.db.session import reset_engine
    from a2n.settings import reset_settings

    reset_settings()
    reset_engine()


def active_token() -> str:
    with UnitOfWork() as uow:
        user = new_user(uow.session, name="u")
        ws = Workspace(name="W", slug=f"w-{uuid.uuid4().hex[:8]}")
        uow.session.add(ws)
        uow.session.flush()
        uow.session.add(WorkspaceMember(workspace_id=ws.id, user_id=user.id, role=WorkspaceRole.OWNER))
        auth = {"type": "hmac", "preset": "stripe", "secret": SECRET}
        workflow = saved_workflow(uow.session, ws.id, webhook_definition(auth))
        uow.commit()
    principal = Principal(user_id=str(user.id), workspace_id=str(ws.id), auth_type="jwt")
    url = activate_workflow(principal, workflow.id).triggers[0].webhook_url
    assert url is not None
    return url.rsplit("/", 1)[1]


@pytest.mark.usefixtures("trigger_env", "pooled")
def test_a_thousand_concurrent_deliveries_of_one_event_start_one_execution() -> None:
    token = active_token()
    signed = sign_request("stripe", SECRET.encode(), BODY, datetime.now(UTC))
    headers = {k.lower(): v for k, v in signed.items()}

    def deliver(_: int) -> int:
        try:
            return receive_webhook(WebhookDelivery(token, "POST", "/", headers, {}, BODY)).status
        except Unauthorized:
            return 401

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(deliver, range(1000)))

    assert statuses.count(202) == 1 and statuses.count(401) == 999
    with UnitOfWork() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Execution)) == 1
        receipt = uow.session.scalars(select(WebhookReceipt)).one()
        assert receipt.execution_id is not None


@pytest.mark.usefixtures("trigger_env", "pooled")
def test_concurrent_retries_of_one_stripe_event_all_get_the_one_execution_it_started() -> None:
    """Stripe re-signs every retry (new timestamp, new signature, same event id): the dedupe is decided
    by the receipt's unique key inside the transaction that records the execution, so racing
    retries wait for the first and answer with its execution id."""
    token = active_token()
    now = datetime.now(UTC).replace(microsecond=0)
    retries = [now - timedelta(seconds=second) for second in range(200)]  # all within the tolerance

    def deliver(at: datetime) -> tuple[int, str]:
        headers = {"content-type": "application/json"}
        headers |= {k.lower(): v for k, v in sign_request("stripe", SECRET.encode(), BODY, at).items()}
        answer = receive_webhook(WebhookDelivery(token, "POST", "/", headers, {}, BODY, received_at=now))
        return answer.status, answer.body["executionId"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(deliver, retries))

    assert {status for status, _ in answers} == {202}
    assert len({execution_id for _, execution_id in answers}) == 1
    with UnitOfWork() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Execution)) == 1
