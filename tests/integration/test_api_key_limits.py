"""API keys with limits, decided by the authorizer: a per-minute rate (429 + Retry-After from the
route), an IP allow-list (403 problem from the route), use count and last-used time — in the same
two statements a key cost before (find, owner's facts), never a third."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from identity_support import signed_up
from lambda_handlers import FakeLambdaContext, load_function, sample_event
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from a2n.auth.principal import Principal
from a2n.auth.tokens import verify_access_token
from a2n.db.models import ApiKey
from a2n.db.session import get_engine
from a2n.errors import ValidationFailed
from a2n.services import api_keys

pytestmark = pytest.mark.usefixtures("ses")
PASSWORD = "correct horse battery staple"


@pytest.fixture
def handler() -> Any:
    return load_function("functions/auth/authorizer").lambda_handler


def a_key(db_session: Session, **limits: Any) -> tuple[str, uuid.UUID]:
    me = signed_up(f"key-{uuid.uuid4().hex[:8]}@example.com", PASSWORD)
    principal = Principal(str(me.user.id), str(me.user.personal_workspace_id), "jwt",
                          session_id=verify_access_token(me.access_token).session_id)  # fmt: skip
    created = api_keys.create_api_key(principal, "ci", ["workflows:read"], None, **limits)
    return created.plain, created.row.id


def key_event(key: str, source_ip: str = "203.0.113.10") -> dict[str, Any]:
    request = sample_event("authorizer-request.json")
    request["headers"]["authorization"] = f"Bearer {key}"
    request["requestContext"]["http"]["sourceIp"] = source_ip
    return request


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def on_statement(conn: Any, cursor: Any, sql: str, *_: Any) -> None:
        seen.append(sql)

    event.listen(get_engine(), "before_cursor_execute", on_statement)
    try:
        yield seen
    finally:
        event.remove(get_engine(), "before_cursor_execute", on_statement)


def test_a_key_over_its_rate_is_refused_for_the_rest_of_the_minute(
    handler: Any, db_session: Session
) -> None:
    key, key_id = a_key(db_session, rate_limit_per_minute=3)

    answers = [handler(key_event(key), FakeLambdaContext()) for _ in range(5)]

    assert ["rateLimited" not in a["context"] for a in answers] == [True, True, True, False, False]
    assert all(a["isAuthorized"] for a in answers)
    assert 1 <= int(answers[-1]["context"]["rateLimited"]) <= 60
    db_session.expire_all()
    row = db_session.get(ApiKey, key_id)
    assert row is not None and row.last_used_at is not None
    assert (row.use_count, row.refused_count) == (5, 2)  # refusals are counted, and told apart


def test_a_new_minute_lets_the_key_through_again(handler: Any, db_session: Session) -> None:
    key, key_id = a_key(db_session, rate_limit_per_minute=1)
    assert "rateLimited" not in handler(key_event(key), FakeLambdaContext())["context"]
    assert "rateLimited" in handler(key_event(key), FakeLambdaContext())["context"]

    earlier = ApiKey.window_start - timedelta(seconds=61)  # the window began over a minute ago
    db_session.execute(update(ApiKey).where(ApiKey.id == key_id).values(window_start=earlier))

    assert "rateLimited" not in handler(key_event(key), FakeLambdaContext())["context"]


def test_the_allow_list_admits_its_networks_only(handler: Any, db_session: Session) -> None:
    key, key_id = a_key(db_session, allowed_cidrs=["198.51.100.0/24", "2001:db8::/32"])

    inside = handler(key_event(key, "198.51.100.77"), FakeLambdaContext())
    inside_v6 = handler(key_event(key, "2001:db8::5"), FakeLambdaContext())
    outside = handler(key_event(key, "203.0.113.10"), FakeLambdaContext())

    assert inside["context"]["authType"] == "api_key" and inside_v6["context"]["authType"] == "api_key"
    assert "allow-list" in outside["context"]["policyError"]
    db_session.expire_all()
    row = db_session.get(ApiKey, key_id)
    assert row is not None and (row.use_count, row.refused_count) == (3, 1)


def test_a_bad_allow_list_entry_is_a_422_naming_it(db_session: Session) -> None:
    with pytest.raises(ValidationFailed) as refused:
        a_key(db_session, allowed_cidrs=["10.0.0.0/8", "not-a-network"])
    assert refused.value.problems[0].pointer == "/allowedCidrs/1"


def test_limits_cost_no_statement_beyond_the_two_a_key_always_cost(
    handler: Any, db_session: Session
) -> None:
    key, _ = a_key(db_session, rate_limit_per_minute=100, allowed_cidrs=["203.0.113.0/24"])

    with statements() as seen:
        answer = handler(key_event(key), FakeLambdaContext())

    assert answer["context"]["authType"] == "api_key"
    bookkeeping = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")
    queries = [sql for sql in seen if not sql.lstrip().upper().startswith(bookkeeping)]
    assert len(queries) == 2, queries  # the counted lookup, the owner's facts


def test_a_refusal_costs_no_more_statements_than_a_request_let_through(
    handler: Any, db_session: Session
) -> None:
    key, _ = a_key(db_session, rate_limit_per_minute=1, allowed_cidrs=["203.0.113.0/24"])
    handler(key_event(key), FakeLambdaContext())

    with statements() as seen:
        over_the_rate = handler(key_event(key), FakeLambdaContext())
        outside = handler(key_event(key, "198.51.100.1"), FakeLambdaContext())

    assert "rateLimited" in over_the_rate["context"] and "policyError" in outside["context"]
    bookkeeping = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")
    queries = [sql for sql in seen if not sql.lstrip().upper().startswith(bookkeeping)]
    assert len(queries) == 4, queries  # each: the counted lookup, the refusal's count
