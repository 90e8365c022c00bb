"""Webhook deliveries against real Postgres: each auth mode and HMAC preset as the sender signs,
replays refused through stored receipts, 404/405/413 answers, and trigger data taken from the
request envelope only (SECURITY cases 8, 13, 25, 26)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from credential_support import member
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook
from trigger_support import SECRET, saved_workflow, trigger_env, webhook_definition

from a2n.db.models import Execution, WebhookReceipt, WorkflowTrigger
from a2n.errors import BadRequest, MethodNotAllowed, NotFound, PayloadTooLarge, Unauthorized
from a2n.services.activation import activate_workflow, deactivate_workflow
from a2n.services.webhooks import WebhookDelivery, parse_body, receive_webhook
from a2n.webhooks.signatures import sign_request

__all__ = ["trigger_env"]
pytestmark = pytest.mark.usefixtures("trigger_env")
BODY = json.dumps({"ref": "refs/heads/main", "total": 120}).encode()


def active_hook(session: Session, auth: dict[str, Any] | None = None, **config: Any) -> tuple[str, Any]:
    owner = member(session)
    workflow = saved_workflow(session, owner.workspace.id, webhook_definition(auth, **config))
    url = activate_workflow(owner.principal, workflow.id).triggers[0].webhook_url
    assert url is not None
    return url.rsplit("/", 1)[1], owner


def delivery(
    token: str, headers: dict[str, str] | None = None, body: bytes = BODY, **kw: Any
) -> WebhookDelivery:
    sent = {"content-type": "application/json", **{k.lower(): v for k, v in (headers or {}).items()}}
    return WebhookDelivery(
        token=token, method=kw.get("method", "POST"), path=kw.get("path", "/"), headers=sent,
        query=kw.get("query", {}), body=body, received_at=kw.get("now", datetime.now(UTC)),
    )  # fmt: skip


def execution(session: Session, answer_body: Any) -> Execution:
    found = session.get(Execution, uuid.UUID(answer_body["executionId"]))
    assert found is not None
    return found


@pytest.mark.parametrize("preset", ["github", "stripe", "slack", "generic"])
def test_signed_delivery_starts_one_execution_and_its_replay_is_refused(
    db_session: Session, preset: str
) -> None:
    token, _ = active_hook(db_session, {"type": "hmac", "preset": preset, "secret": SECRET})
    headers = sign_request(preset, SECRET.encode(), BODY, datetime.now(UTC))  # type: ignore[arg-type]

    answer = receive_webhook(delivery(token, headers))

    assert answer.status == 202
    run = execution(db_session, answer.body)
    assert run.mode == "webhook" and run.trigger_data is not None
    assert run.trigger_data["body"] == {"ref": "refs/heads/main", "total": 120}
    assert not {h.lower() for h in headers} & set(run.trigger_data["headers"]) - {"x-slack-request-timestamp"}
    with pytest.raises(Unauthorized):
        receive_webhook(delivery(token, headers))
    assert db_session.query(Execution).filter_by(trigger_id=run.trigger_id).count() == 1


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b, now: ({}, b),  # unsigned
        lambda h, b, now: (sign_request("stripe", b"wrong-secret", b, now), b),
        lambda h, b, now: (h, json.dumps(json.loads(b), indent=2).encode()),  # body re-serialised
        lambda h, b, now: (sign_request("stripe", SECRET.encode(), b, now - timedelta(seconds=301)), b),
        lambda h, b, now: (sign_request("stripe", SECRET.encode(), b, now + timedelta(seconds=301)), b),
    ],
    ids=["unsigned", "wrong-secret", "reserialised", "301s-old", "301s-ahead"],
)
def test_bad_signatures_are_401_and_start_nothing(db_session: Session, tamper: Any) -> None:
    """SECURITY case 25."""
    token, _ = active_hook(db_session, {"type": "hmac", "preset": "stripe", "secret": SECRET})
    now = datetime.now(UTC).replace(microsecond=0)  # whole seconds, as signatures carry them
    headers, body = tamper(sign_request("stripe", SECRET.encode(), BODY, now), BODY, now)

    with pytest.raises(Unauthorized):
        receive_webhook(delivery(token, headers, body, now=now))
    assert db_session.query(Execution).count() == 0
    assert db_session.query(WebhookReceipt).count() == 0


def test_header_and_basic_auth_and_their_secrets_never_reach_trigger_data(db_session: Session) -> None:
    token, _ = active_hook(db_session, {"type": "header", "header": "X-Token", "secret": SECRET})
    with pytest.raises(Unauthorized):
        receive_webhook(delivery(token, {"X-Token": "nope"}))
    answer = receive_webhook(delivery(token, {"X-Token": SECRET, "Cookie": "sid=1", "X-Other": "kept"}))
    assert execution(db_session, answer.body).trigger_data["headers"] == {
        "content-type": "application/json", "x-other": "kept",
    }  # fmt: skip

    basic_token, _ = active_hook(db_session, {"type": "basic", "username": "bot", "password": SECRET})
    good = "Basic " + base64.b64encode(f"bot:{SECRET}".encode()).decode()
    bad = "Basic " + base64.b64encode(b"bot:guess").decode()
    with pytest.raises(Unauthorized):
        receive_webhook(delivery(basic_token, {"Authorization": bad}))
    answer = receive_webhook(delivery(basic_token, {"Authorization": good}))
    assert "authorization" not in execution(db_session, answer.body).trigger_data["headers"]


def test_unknown_and_inactive_tokens_are_the_same_404(db_session: Session) -> None:
    token, owner = active_hook(db_session)
    workflow_id = db_session.query(WorkflowTrigger).filter_by(webhook_token=token).one().workflow_id
    deactivate_workflow(owner.principal, workflow_id)

    with pytest.raises(NotFound) as inactive:
        receive_webhook(delivery(token))
    with pytest.raises(NotFound) as unknown:
        receive_webhook(delivery("x" * 32))
    assert inactive.value.problem() == unknown.value.problem()


def test_wrong_method_is_405_and_oversized_body_413(db_session: Session) -> None:
    token, _ = active_hook(db_session)
    with pytest.raises(MethodNotAllowed):
        receive_webhook(delivery(token, method="GET"))

    from a2n.api.request import Request

    request = Request(method="POST", path="/webhooks/t", raw_body="x" * (1_048_576 + 1))
    with pytest.raises(PayloadTooLarge):
        _ = request.body


def test_multipart_and_form_fields_cannot_set_internal_fields(db_session: Session) -> None:
    """SECURITY case 13: the body is data; method, path, headers and trigger come from the envelope."""
    token, _ = active_hook(db_session)
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="method"\r\n\r\nDELETE\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="triggerId"\r\n\r\n{uuid.uuid4()}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="/etc/passwd"\r\n\r\nx\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}

    run = execution(db_session, receive_webhook(delivery(token, headers, body, path="/orders")).body)

    assert run.trigger_data["method"] == "POST" and run.trigger_data["path"] == "/orders"
    assert run.trigger_data["body"] == body.decode()  # one opaque string, nothing interpreted
    form_type = {"content-type": "application/x-www-form-urlencoded"}
    form = receive_webhook(delivery(token, form_type, b"method=DELETE&path=/admin"))
    data = execution(db_session, form.body).trigger_data
    assert data is not None
    assert (data["method"], data["path"]) == ("POST", "/")
    assert data["body"] == {"method": "DELETE", "path": "/admin"}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"total": 1e999}', id="1e999"),
        pytest.param(b'{"total": NaN}', id="nan"),
        pytest.param(b'{"total": -Infinity}', id="minus-infinity"),
        pytest.param(b'{"id": ' + b"1" * 5000 + b"}", id="5000-digit-integer"),
        pytest.param(b"[" * 10_000 + b"]" * 10_000, id="10000-deep"),
        pytest.param(b'{"a":' * 5_000 + b"1" + b"}" * 5_000, id="5000-deep-objects"),
    ],
)
def test_case_31_a_json_body_a2n_cannot_hold_is_400_and_leaves_nothing(
    db_session: Session, body: bytes
) -> None:
    """Refused after authentication (an unsigned sender still gets the uniform 401), inside the
    delivery's transaction: no execution and no replay receipt survive."""
    token, _ = active_hook(db_session, {"type": "hmac", "preset": "generic", "secret": SECRET})
    headers = sign_request("generic", SECRET.encode(), body, datetime.now(UTC))

    with pytest.raises(BadRequest):
        receive_webhook(delivery(token, headers, body))
    assert db_session.query(Execution).count() == 0
    assert db_session.query(WebhookReceipt).count() == 0
    with pytest.raises(Unauthorized):
        receive_webhook(delivery(token, {}, body))


def test_bodies_are_parsed_json_text_or_base64() -> None:
    assert parse_body(b'{"a": 1}', "application/vnd.api+json") == ({"a": 1}, "json")
    assert parse_body(b"{not json", "application/json") == ("{not json", "text")
    assert parse_body(b"hello", "text/plain") == ("hello", "text")
    assert parse_body(b"\xff\xfe\x00", "application/octet-stream") == ("//4A", "base64")
    assert parse_body(b"", "application/json") == (None, "empty")


def test_bodies_postgres_cannot_store_as_text_are_kept_as_base64() -> None:
    """NUL and lone surrogates are refused by jsonb: such a body is kept byte for byte instead of
    failing the delivery with a database error."""
    for raw, media in [
        (b'{"a": "x\\u0000y"}', "application/json"),
        (b'{"a": "\\ud800"}', "application/json"),
        (b"nul\x00inside", "text/plain"),
        (b"a=%00", "application/x-www-form-urlencoded"),
    ]:
        body, kind = parse_body(raw, media)
        assert kind == "base64" and base64.b64decode(body) == raw


STANDARD_SECRET = "whsec_" + base64.b64encode(b"standard webhooks key, 32 bytes").decode()


def test_standard_webhooks_delivery_signed_by_the_reference_library_starts_one_execution(
    db_session: Session,
) -> None:
    auth = {"type": "hmac", "preset": "standard-webhooks", "secret": STANDARD_SECRET}
    token, _ = active_hook(db_session, auth)
    now = datetime.now(UTC)
    signature = Webhook(STANDARD_SECRET).sign("msg_1", now, BODY.decode())
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": signature}  # fmt: skip

    answer = receive_webhook(delivery(token, headers, now=now))

    assert answer.status == 202
    run = execution(db_session, answer.body)
    assert run.trigger_data is not None and run.trigger_data["body"] == json.loads(BODY)
    assert "webhook-signature" not in run.trigger_data["headers"]
    for tampered in ({**headers, "webhook-id": "msg_2"}, {**headers, "webhook-signature": "v1,AAAA"}, {}):
        with pytest.raises(Unauthorized):
            receive_webhook(delivery(token, tampered, now=now))
    stale = now - timedelta(seconds=301)
    old = {**headers, "webhook-timestamp": str(int(stale.timestamp())),
           "webhook-signature": Webhook(STANDARD_SECRET).sign("msg_3", stale, BODY.decode())}  # fmt: skip
    with pytest.raises(Unauthorized):
        receive_webhook(delivery(token, {**old, "webhook-id": "msg_3"}, now=now))
    assert db_session.query(Execution).filter_by(trigger_id=run.trigger_id).count() == 1
