"""The HTTP API's Lambda authorizer: JWT or API key in, principal context out; anything else denied."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from identity_support import signed_up
from lambda_handlers import FakeLambdaContext, load_function, sample_event
from sqlalchemy.orm import Session

from a2n.auth.principal import Principal, principal_from_context
from a2n.auth.tokens import verify_access_token
from a2n.db.models import ApiKey
from a2n.services import api_keys, auth
from a2n.services.workspaces import create_workspace, list_workspaces
from a2n.settings import reset_settings

# Registering emails its verification link (mail jobs are delivered in-process, to moto's SES).
pytestmark = pytest.mark.usefixtures("ses")

PASSWORD = "correct horse battery"
DENY = {"isAuthorized": False}


def rejected(answer: dict[str, Any]) -> bool:
    """Invalid credentials pass through marked ``authError`` (the route answers 401), carrying no
    principal: HTTP APIs can only deny with 403."""
    return answer["isAuthorized"] is True and set(answer["context"]) == {"authError"}


@pytest.fixture(autouse=True)
def signing_keys(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("A2N_LOCAL_KEY_DIR", str(tmp_path))
    reset_settings()
    yield
    reset_settings()


@pytest.fixture
def handler() -> Any:
    return load_function("functions/auth/authorizer").lambda_handler


def _event(token: str | None, workspace: str | None = None) -> dict[str, Any]:
    event = sample_event("authorizer-request.json")
    event["headers"].pop("authorization")
    if token is not None:
        event["headers"]["authorization"] = f"Bearer {token}"
    if workspace is not None:
        event["headers"]["x-workspace-id"] = workspace
    return event


def _session_principal(signed_in: auth.SignIn) -> Principal:
    user_id = str(signed_in.user.id)
    probe = Principal(user_id=user_id, workspace_id=user_id, auth_type="jwt")
    workspace_id = str(list_workspaces(probe)[0].id)
    session_id = verify_access_token(signed_in.access_token).session_id  # the token's sid
    return Principal(user_id=user_id, workspace_id=workspace_id, auth_type="jwt", session_id=session_id)


def test_sample_event_with_a_bogus_key_is_rejected(handler: Any, db_session: Session) -> None:
    assert rejected(handler(sample_event("authorizer-request.json"), FakeLambdaContext()))


def test_a_valid_access_token_yields_the_personal_workspace(handler: Any, db_session: Session) -> None:
    signed_in = signed_up(f"a-{uuid.uuid4().hex[:8]}@example.com", PASSWORD, None)
    answer = handler(_event(signed_in.access_token), FakeLambdaContext())

    assert answer["isAuthorized"] is True
    assert principal_from_context(answer["context"]) == _session_principal(signed_in)


def test_x_workspace_id_selects_a_membership_and_refuses_others(handler: Any, db_session: Session) -> None:
    me = signed_up(f"b-{uuid.uuid4().hex[:8]}@example.com", PASSWORD, None)
    stranger = signed_up(f"c-{uuid.uuid4().hex[:8]}@example.com", PASSWORD, None)
    second = create_workspace(_session_principal(me), "Team")

    chosen = handler(_event(me.access_token, str(second.id)), FakeLambdaContext())
    assert chosen["context"]["workspaceId"] == str(second.id)
    foreign = _session_principal(stranger).workspace_id
    assert handler(_event(me.access_token, foreign), FakeLambdaContext()) == DENY
    assert handler(_event(me.access_token, "not-a-uuid"), FakeLambdaContext()) == DENY
    assert rejected(handler(_event("forged" + me.access_token, str(second.id)), FakeLambdaContext()))


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Basic dXNlcjpwYXNz", "Bearer a b", "bearer not.a.jwt", "Bearer a2n_" + "x" * 49],
)
def test_malformed_credentials_are_rejected(handler: Any, db_session: Session, header: str) -> None:
    event = _event(None)
    event["headers"]["authorization"] = header
    assert rejected(handler(event, FakeLambdaContext()))


def test_api_key_carries_its_scopes_and_stops_working_once_revoked(handler: Any, db_session: Session) -> None:
    signed_in = signed_up(f"k-{uuid.uuid4().hex[:8]}@example.com", PASSWORD, None)
    owner = _session_principal(signed_in)
    created = api_keys.create_api_key(owner, "ci", ["workflows:read"], None)

    answer = handler(_event(created.plain), FakeLambdaContext())
    principal = principal_from_context(answer["context"])
    assert (principal.auth_type, principal.scopes, principal.api_key_id) == (
        "api_key", frozenset({"workflows:read"}), str(created.row.id)
    )
    assert db_session.get(ApiKey, created.row.id).last_used_at is not None
    assert handler(_event(created.plain, str(uuid.uuid4())), FakeLambdaContext()) == DENY  # other workspace

    api_keys.revoke_api_key(owner, str(created.row.id))
    assert rejected(handler(_event(created.plain), FakeLambdaContext()))


def test_an_expired_api_key_is_denied(handler: Any, db_session: Session) -> None:
    signed_in = signed_up(f"e-{uuid.uuid4().hex[:8]}@example.com", PASSWORD, None)
    created = api_keys.create_api_key(
        _session_principal(signed_in), "short", ["workflows:read"], datetime.now(UTC) + timedelta(seconds=60)
    )
    db_session.get(ApiKey, created.row.id).expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db_session.flush()
    assert rejected(handler(_event(created.plain), FakeLambdaContext()))


def test_an_inactive_user_is_denied(handler: Any, db_session: Session) -> None:
    signed_in = signed_up(f"i-{uuid.uuid4().hex[:8]}@example.com", PASSWORD, None)
    db_session.get(type(signed_in.user), signed_in.user.id).is_active = False
    db_session.flush()
    assert rejected(handler(_event(signed_in.access_token), FakeLambdaContext()))


def test_an_unexpected_failure_denies_instead_of_raising(
    handler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import a2n.db.uow

    def broken(self: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(a2n.db.uow.UnitOfWork, "__enter__", broken)
    assert handler(_event("whatever.jwt.token"), FakeLambdaContext()) == DENY


def test_an_unreachable_database_lets_the_route_answer_503_instead_of_a_gateway_403(
    handler: Any, app_env: Any
) -> None:
    """Issue 9.15 / SECURITY 33: a deny would be API Gateway's 403, which tells clients not to retry."""
    from a2n.api.http import route
    from a2n.auth.tokens import issue_access_token

    app_env.setenv("A2N_DATABASE_URL", f"postgresql://nobody@127.0.0.1:{_closed_port()}/a2n")
    app_env.setenv("A2N_DATABASE_CONNECT_TIMEOUT_S", "2")
    app_env.apply()
    token, _ = issue_access_token(user_id=str(uuid.uuid4()), session_id=str(uuid.uuid4()))
    answer = handler(_event(token), FakeLambdaContext())
    assert answer == {"isAuthorized": True, "context": {"unavailable": "database"}}

    ran: list[object] = []
    event = sample_event("apigw-http-v2-health.json")
    event["requestContext"]["authorizer"] = {"lambda": answer["context"]}
    response = route(lambda request: ran.append(request) or (200, {}))(event, FakeLambdaContext())
    assert (response["statusCode"], response["headers"]["Retry-After"], ran) == (503, "5", [])
    assert response["headers"]["Content-Type"] == "application/problem+json"


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once the probe closes


def _member_of_an_older_workspace() -> tuple[auth.SignIn, auth.SignIn, Principal, str]:
    """Bob registers after Ada's team workspace exists and is then added to it. Returns Ada, Bob, Bob
    acting in his personal workspace, and the team's id."""
    from a2n.auth.policy import Role
    from a2n.services.workspaces import add_member

    ada = signed_up(f"ada-{uuid.uuid4().hex[:8]}@example.com", PASSWORD, None)
    team = str(create_workspace(_session_principal(ada), "Older team").id)
    bob_email = f"bob-{uuid.uuid4().hex[:8]}@example.com"
    bob = signed_up(bob_email, PASSWORD, None)
    bob_home = _session_principal(bob)  # his only workspace so far
    add_member(_session_principal(ada), team, bob_email, Role.MEMBER)
    return ada, bob, bob_home, team


def test_without_the_header_a_member_of_an_older_workspace_acts_in_their_personal_one(
    handler: Any, db_session: Session
) -> None:
    """Issue 9.1 / SECURITY 27: never the oldest workspace the user belongs to."""
    _, bob, bob_home, team = _member_of_an_older_workspace()
    answer = handler(_event(bob.access_token), FakeLambdaContext())
    assert answer["context"]["workspaceId"] == bob_home.workspace_id != team
    assert handler(_event(bob.access_token, team), FakeLambdaContext())["context"]["workspaceId"] == team


def test_removal_from_a_shared_workspace_never_locks_the_account_out(
    handler: Any, db_session: Session
) -> None:
    from a2n.errors import Conflict
    from a2n.services.workspaces import delete_workspace, remove_member

    ada, bob, bob_home, team = _member_of_an_older_workspace()
    with pytest.raises(Conflict):  # on the old code this deleted Bob's real personal workspace
        delete_workspace(bob_home, bob_home.workspace_id)
    remove_member(Principal(str(ada.user.id), team, "jwt"), team, str(bob.user.id))

    answer = handler(_event(bob.access_token), FakeLambdaContext())
    assert principal_from_context(answer["context"]) == bob_home
    assert handler(_event(bob.access_token, team), FakeLambdaContext()) == DENY


# --- signed-out sessions: their access tokens stop at once (issue 9.3, SECURITY 28) -------------


def test_logout_cuts_off_the_sessions_access_token_at_once(handler: Any, db_session: Session) -> None:
    signed_in = signed_up(f"lo-{uuid.uuid4().hex[:8]}@example.com", PASSWORD, None)
    other_login = auth.login(signed_in.user.email, PASSWORD)  # a second session of the same user
    assert handler(_event(signed_in.access_token), FakeLambdaContext())["context"].get("userId")

    auth.logout(signed_in.refresh_token)

    assert rejected(handler(_event(signed_in.access_token), FakeLambdaContext()))
    assert handler(_event(other_login.access_token), FakeLambdaContext())["context"].get("userId")


def test_a_reused_refresh_token_cuts_off_every_access_token_of_its_family(
    handler: Any, db_session: Session
) -> None:
    from a2n.errors import Unauthorized

    signed_in = signed_up(f"rf-{uuid.uuid4().hex[:8]}@example.com", PASSWORD, None)
    rotated = auth.refresh(signed_in.refresh_token)
    with pytest.raises(Unauthorized):
        auth.refresh(signed_in.refresh_token)  # the spent token again: theft suspected

    for token in (signed_in.access_token, rotated.access_token):
        assert rejected(handler(_event(token), FakeLambdaContext()))


# --- a removed member's API keys die with the membership (issue 9.2, SECURITY 28) ---------------


def test_removing_a_member_revokes_their_keys_there_and_a_re_add_does_not_revive_them(
    handler: Any, db_session: Session
) -> None:
    from a2n.auth.policy import Role
    from a2n.services.workspaces import add_member, remove_member

    ada, bob, bob_home, team = _member_of_an_older_workspace()
    bob_in_team = Principal(str(bob.user.id), team, "jwt")
    in_team = api_keys.create_api_key(bob_in_team, "ci", ["workflows:read"], None)
    at_home = api_keys.create_api_key(bob_home, "home", ["workflows:read"], None)
    answer = handler(_event(in_team.plain), FakeLambdaContext())
    assert principal_from_context(answer["context"]).workspace_id == team

    remove_member(_session_principal(ada), team, str(bob.user.id))
    assert rejected(handler(_event(in_team.plain), FakeLambdaContext()))
    add_member(_session_principal(ada), team, bob.user.email, Role.MEMBER)  # back again
    assert rejected(handler(_event(in_team.plain), FakeLambdaContext()))
    assert db_session.get(ApiKey, in_team.row.id).revoked_at is not None
    home = principal_from_context(handler(_event(at_home.plain), FakeLambdaContext())["context"])
    assert home.workspace_id == bob_home.workspace_id  # keys elsewhere are untouched
