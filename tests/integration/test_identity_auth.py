"""Register, login (lockout, same answer for unknown emails), refresh rotation and reuse, logout, /me."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from identity_support import signed_up
from sqlalchemy import select
from sqlalchemy.orm import Session

from a2n.auth.principal import Principal
from a2n.auth.tokens import hash_token, verify_access_token
from a2n.db.enums import WorkspaceRole
from a2n.db.models import AuditLog, RefreshToken, User, WorkspaceMember
from a2n.errors import Unauthorized
from a2n.services import auth
from a2n.settings import reset_settings

# Registering emails its verification link (mail jobs are delivered in-process, to moto's SES).
pytestmark = pytest.mark.usefixtures("ses")

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def signing_keys(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("A2N_LOCAL_KEY_DIR", str(tmp_path))
    reset_settings()
    yield
    reset_settings()


def _email(tag: str) -> str:
    import uuid

    return f"{tag}-{uuid.uuid4().hex[:8]}@Example.com"


def test_register_creates_user_and_owned_personal_workspace_then_login_opens_a_session(
    db_session: Session,
) -> None:
    email = _email("reg")
    assert auth.register(email, PASSWORD, "Ada") is None  # no tokens: they would say the email was new
    user = db_session.scalars(select(User).where(User.email == email)).one()
    member = db_session.scalars(select(WorkspaceMember).where(WorkspaceMember.user_id == user.id)).one()
    assert (member.workspace_id, member.role) == (user.personal_workspace_id, WorkspaceRole.OWNER)
    assert db_session.scalars(select(AuditLog).where(AuditLog.action == "user.register",
                                                     AuditLog.entity_id == str(user.id))).one()
    assert user.password_hash != PASSWORD

    signed_in = auth.login(email, PASSWORD)
    assert verify_access_token(signed_in.access_token).user_id == str(user.id)
    stored = db_session.scalars(select(RefreshToken).where(RefreshToken.user_id == user.id)).one()
    assert stored.token_hash == hash_token(signed_in.refresh_token)  # only the hash is stored


def test_registering_a_known_email_changes_nothing_and_looks_like_a_new_registration(
    db_session: Session,
) -> None:
    """Issue 9.4: the same answer (no error), the account untouched, nothing created or recorded."""
    email = _email("dup")
    auth.register(email, PASSWORD, "Owner")
    counts = _counts(db_session)

    assert auth.register(email.upper(), "another password!", "Mallory") is None

    assert _counts(db_session) == counts
    assert auth.login(email, PASSWORD).user.name == "Owner"
    with pytest.raises(Unauthorized):
        auth.login(email, "another password!")


def _counts(db_session: Session) -> tuple[int, ...]:
    from sqlalchemy import func

    from a2n.db.models import Workspace

    return tuple(
        db_session.scalar(select(func.count()).select_from(model)) or 0
        for model in (User, Workspace, WorkspaceMember, AuditLog, RefreshToken)
    )


def test_personal_workspace_slugs_stay_unique_for_equal_names(db_session: Session) -> None:
    a = signed_up(_email("a"), PASSWORD, "Same Name")
    b = signed_up(_email("b"), PASSWORD, "Same Name")
    slugs = {auth.me(_principal(a)).workspaces[0].name, auth.me(_principal(b)).workspaces[0].name}
    assert slugs == {"Same Name's workspace"}
    from a2n.db.models import Workspace

    rows = db_session.scalars(select(Workspace.slug).where(Workspace.name == "Same Name's workspace")).all()
    assert len(rows) == len(set(rows)) >= 2


def test_login_answers_unknown_email_and_wrong_password_identically(db_session: Session) -> None:
    email = _email("login")
    auth.register(email, PASSWORD, None)
    with pytest.raises(Unauthorized) as wrong:
        auth.login(email, "not the password")
    with pytest.raises(Unauthorized) as unknown:
        auth.login(_email("nobody"), "not the password")
    assert wrong.value.problem() == unknown.value.problem()
    assert auth.login(email.lower(), PASSWORD).user.email == email


def test_an_email_without_an_account_locks_out_exactly_like_an_account(db_session: Session) -> None:
    """SECURITY 20: a 429 after five tries must not reveal that the email has an account."""
    known, unknown = _email("known"), _email("nobody-here")
    auth.register(known, PASSWORD, None)
    now = datetime.now(UTC)
    answers: dict[str, list[tuple[int, str, int | None]]] = {known: [], unknown: []}
    for email in (known, unknown):
        for _ in range(auth.LOCK_AFTER_FAILURES + 1):
            with pytest.raises((Unauthorized, auth.LoginLocked)) as failure:
                auth.login(email, "wrong password!", now=now)
            error = failure.value
            answers[email].append((error.status, str(error.problem()), getattr(error, "retry_after_s", None)))
    assert answers[known] == answers[unknown]
    assert [status for status, _, _ in answers[unknown]] == [401] * auth.LOCK_AFTER_FAILURES + [429]

    later = now + timedelta(seconds=auth.LOCK_BASE_S + 1)  # the lock ends, and the next failure doubles it
    with pytest.raises(Unauthorized):
        auth.login(unknown, "wrong again!!", now=later)
    with pytest.raises(auth.LoginLocked) as longer:
        auth.login(unknown, "wrong again!!", now=later)
    assert longer.value.retry_after_s > auth.LOCK_BASE_S


def test_five_failures_lock_with_growing_backoff_and_success_resets(db_session: Session) -> None:
    email = _email("lock")
    auth.register(email, PASSWORD, None)
    now = datetime.now(UTC)
    for _ in range(auth.LOCK_AFTER_FAILURES):
        with pytest.raises(Unauthorized):
            auth.login(email, "wrong password!", now=now)
    with pytest.raises(auth.LoginLocked) as locked:
        auth.login(email, PASSWORD, now=now)  # even the right password waits
    assert locked.value.status == 429 and 1 <= locked.value.retry_after_s <= auth.LOCK_BASE_S

    later = now + timedelta(seconds=auth.LOCK_BASE_S + 1)
    with pytest.raises(Unauthorized):
        auth.login(email, "wrong again!!", now=later)
    with pytest.raises(auth.LoginLocked) as longer:
        auth.login(email, PASSWORD, now=later)
    assert longer.value.retry_after_s > auth.LOCK_BASE_S  # doubled

    free = later + timedelta(seconds=auth.LOCK_MAX_S)
    auth.login(email, PASSWORD, now=free)
    user = db_session.scalars(select(User).where(User.email == email)).one()
    assert (user.failed_logins, user.locked_until, user.last_login_at) == (0, None, free)


def test_refresh_rotates_and_a_reused_token_revokes_the_whole_family(db_session: Session) -> None:
    first = signed_up(_email("rot"), PASSWORD)
    second = auth.refresh(first.refresh_token)
    third = auth.refresh(second.refresh_token)

    with pytest.raises(Unauthorized):
        auth.refresh(first.refresh_token)  # spent: theft suspected
    with pytest.raises(Unauthorized):
        auth.refresh(third.refresh_token)  # the live descendant died with its family
    rows = db_session.scalars(select(RefreshToken).where(RefreshToken.user_id == first.user.id)).all()
    assert rows and all(r.revoked_at is not None for r in rows)
    spent = next(r for r in rows if r.token_hash == hash_token(first.refresh_token))
    assert spent.replaced_by is not None


def test_expired_and_unknown_refresh_tokens_are_refused(db_session: Session) -> None:
    signed_in = signed_up(_email("exp"), PASSWORD)
    with pytest.raises(Unauthorized):
        auth.refresh("not-a-token")
    with pytest.raises(Unauthorized):
        auth.refresh(signed_in.refresh_token, now=datetime.now(UTC) + timedelta(days=31))


def test_logout_revokes_and_unknown_tokens_are_silently_accepted(db_session: Session) -> None:
    signed_in = signed_up(_email("out"), PASSWORD)
    auth.logout("never-issued")
    auth.logout(signed_in.refresh_token)
    with pytest.raises(Unauthorized):
        auth.refresh(signed_in.refresh_token)


def test_me_lists_workspaces_with_roles(db_session: Session) -> None:
    signed_in = signed_up(_email("me"), PASSWORD, "Grace")
    view = auth.me(_principal(signed_in))
    assert view.user.name == "Grace"
    assert [(w.name, w.role) for w in view.workspaces] == [("Grace's workspace", "OWNER")]


def _principal(signed_in: auth.SignIn) -> Principal:
    from a2n.services.workspaces import list_workspaces

    user_id = str(signed_in.user.id)
    probe = Principal(user_id=user_id, workspace_id=user_id, auth_type="jwt")
    return Principal(user_id=user_id, workspace_id=str(list_workspaces(probe)[0].id), auth_type="jwt")


def test_concurrent_first_failures_of_an_unknown_email_are_both_counted(clean_db: str) -> None:
    import threading

    from a2n.db.models import LoginThrottle
    from a2n.db.uow import UnitOfWork

    email, statuses = _email("race"), []
    barrier = threading.Barrier(2)

    def fail() -> None:
        barrier.wait()
        try:
            auth.login(email, "wrong password!")
        except Unauthorized as error:
            statuses.append(error.status)

    threads = [threading.Thread(target=fail) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [401, 401]  # neither collided on the new row (no 500)
    with UnitOfWork() as uow:
        (throttle,) = uow.session.scalars(select(LoginThrottle)).all()
        assert throttle.failed_logins == 2
