"""The account flows at the service level, on real Postgres with moto's SES: registration mail,
address verification, password recovery and change, address change, rate limits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from account_support import link_token, sent_mail
from identity_support import signed_up
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from a2n.auth.principal import Principal
from a2n.db.models import AccountToken, RevokedSession, SecurityEvent, User
from a2n.errors import Conflict, Forbidden, RateLimited, Unauthorized
from a2n.services import auth, passwords, verification
from a2n.services.account_tokens import InvalidToken
from a2n.services.audit import Origin

pytestmark = pytest.mark.usefixtures("ses")
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase 42"


def fresh_email() -> str:
    return f"acct-{uuid.uuid4().hex[:10]}@example.com"


def user_row(db_session: Session, email: str) -> User:
    db_session.expire_all()
    return db_session.scalars(select(User).where(User.email == email)).one()


def principal_of(signed_in: auth.SignIn, session_id: str | None = None) -> Principal:
    from a2n.auth.tokens import verify_access_token

    claims = verify_access_token(signed_in.access_token)
    return Principal(
        user_id=str(signed_in.user.id),
        workspace_id=str(signed_in.user.personal_workspace_id),
        auth_type="jwt",
        session_id=session_id or claims.session_id,
    )


def events(db_session: Session, user_id: uuid.UUID) -> list[str]:
    db_session.expire_all()
    rows = db_session.scalars(select(SecurityEvent.type).where(SecurityEvent.user_id == user_id))
    return sorted(rows)


def test_a_new_address_gets_a_verification_link_that_works_once(db_session: Session) -> None:
    email = fresh_email()
    auth.register(email, PASSWORD, "Ada")

    (mail,) = sent_mail(email)
    assert mail["template"] == "verify_email" and "Hello Ada" in mail["text"]
    token = link_token(mail)
    assert user_row(db_session, email).email_verified_at is None

    verification.verify_email(token)

    assert user_row(db_session, email).email_verified_at is not None
    with pytest.raises(InvalidToken):
        verification.verify_email(token)
    stored = db_session.scalars(select(AccountToken.token_hash)).all()
    assert token not in stored  # only the hash is kept


def test_a_known_address_gets_a_someone_tried_notice_and_nothing_changes(db_session: Session) -> None:
    email = fresh_email()
    auth.register(email, PASSWORD, "Owner")
    before = user_row(db_session, email).password_hash

    assert auth.register(email.upper(), "an attacker's own choice", "Mallory") is None

    templates = [m["template"] for m in sent_mail(email)]
    assert templates == ["verify_email", "register_attempt"]
    assert user_row(db_session, email).password_hash == before


def test_forgot_password_sends_nothing_for_an_unknown_address_and_a_link_for_a_known_one(
    db_session: Session,
) -> None:
    unknown, known = fresh_email(), fresh_email()
    signed_up(known, PASSWORD)

    passwords.forgot_password(unknown)
    passwords.forgot_password(known)

    assert sent_mail(unknown) == []
    (reset,) = [m for m in sent_mail(known) if m["template"] == "password_reset"]
    assert "30 minutes" in reset["text"]


def test_a_reset_sets_the_password_ends_every_session_and_works_once(db_session: Session) -> None:
    email = fresh_email()
    first = signed_up(email, PASSWORD)
    second = auth.login(email, PASSWORD)
    assert isinstance(second, auth.SignIn)
    passwords.forgot_password(email)
    passwords.forgot_password(email)
    links = [link_token(m) for m in sent_mail(email) if m["template"] == "password_reset"]

    passwords.reset_password(links[0], NEW_PASSWORD, origin=Origin(ip="203.0.113.9"))

    with pytest.raises(Unauthorized):
        auth.login(email, PASSWORD)
    assert isinstance(auth.login(email, NEW_PASSWORD), auth.SignIn)
    for old in (first, second):
        with pytest.raises(Unauthorized):
            auth.refresh(old.refresh_token)
    revoked = set(db_session.scalars(select(RevokedSession.session_id)))
    assert {uuid.UUID(principal_of(s).session_id or "") for s in (first, second)} <= revoked
    for used in links:  # the link used and the other outstanding one
        with pytest.raises(InvalidToken):
            passwords.reset_password(used, "yet another passphrase 7")
    user = user_row(db_session, email)
    assert user.email_verified_at is not None  # the link proved the inbox
    assert "password_reset" in events(db_session, user.id)
    assert [m["template"] for m in sent_mail(email)][-1] == "password_changed"


def test_an_expired_reset_link_is_refused(db_session: Session) -> None:
    email = fresh_email()
    signed_up(email, PASSWORD)
    passwords.forgot_password(email)
    token = link_token(sent_mail(email)[-1])
    db_session.execute(update(AccountToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))

    with pytest.raises(InvalidToken):
        passwords.reset_password(token, NEW_PASSWORD)
    assert isinstance(auth.login(email, PASSWORD), auth.SignIn)


def test_changing_the_password_needs_the_current_one_and_keeps_only_this_session(
    db_session: Session,
) -> None:
    email = fresh_email()
    here = signed_up(email, PASSWORD)
    elsewhere = auth.login(email, PASSWORD)
    assert isinstance(elsewhere, auth.SignIn)

    with pytest.raises(Forbidden):
        passwords.change_password(principal_of(here), "not my password", NEW_PASSWORD)
    assert user_row(db_session, email).failed_logins == 1

    passwords.change_password(principal_of(here), PASSWORD, NEW_PASSWORD)

    assert isinstance(auth.refresh(here.refresh_token), auth.TokenPair)
    with pytest.raises(Unauthorized):
        auth.refresh(elsewhere.refresh_token)
    assert isinstance(auth.login(email, NEW_PASSWORD), auth.SignIn)
    assert "password_changed" in [m["template"] for m in sent_mail(email)]


def test_an_address_change_takes_effect_only_when_the_new_address_confirms(db_session: Session) -> None:
    old, new = fresh_email(), fresh_email()
    me = signed_up(old, PASSWORD)

    with pytest.raises(Forbidden):
        verification.request_email_change(principal_of(me), new, "wrong password")
    verification.request_email_change(principal_of(me), new, PASSWORD)

    (confirm,) = sent_mail(new)
    assert confirm["template"] == "email_change_confirm"
    assert sent_mail(old)[-1]["template"] == "email_changed_notice"
    assert user_row(db_session, old).email == old

    assert verification.confirm_email_change(link_token(confirm)) == new

    user = user_row(db_session, new)
    assert user.email_verified_at is not None
    assert "email_changed" in events(db_session, user.id)
    with pytest.raises(InvalidToken):
        verification.confirm_email_change(link_token(confirm))
    assert isinstance(auth.login(new, PASSWORD), auth.SignIn)


def test_a_taken_new_address_gets_no_link_and_the_answer_does_not_say(db_session: Session) -> None:
    mine, theirs = fresh_email(), fresh_email()
    me = signed_up(mine, PASSWORD)
    signed_up(theirs, PASSWORD)
    count = len(sent_mail(theirs))

    verification.request_email_change(principal_of(me), theirs, PASSWORD)  # no error

    assert len(sent_mail(theirs)) == count
    assert sent_mail(mine)[-1]["template"] == "email_changed_notice"


def test_resending_verification_is_refused_once_verified(db_session: Session) -> None:
    email = fresh_email()
    me = signed_up(email, PASSWORD)
    verification.resend_verification(principal_of(me))
    links = [link_token(m) for m in sent_mail(email) if m["template"] == "verify_email"]
    assert len(links) == 2

    verification.verify_email(links[-1])

    with pytest.raises(Conflict):
        verification.resend_verification(principal_of(me))


def test_emailing_endpoints_count_per_address_and_per_ip(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from a2n.settings import reset_settings

    monkeypatch.setenv("A2N_MAIL_PER_ADDRESS_PER_HOUR", "2")
    monkeypatch.setenv("A2N_MAIL_PER_IP_PER_HOUR", "3")
    reset_settings()
    address = fresh_email()  # no account: counted all the same
    here = Origin(ip="198.51.100.7")

    passwords.forgot_password(address, origin=here)
    passwords.forgot_password(address, origin=here)
    with pytest.raises(RateLimited) as refused:
        passwords.forgot_password(address, origin=here)
    assert 0 < (refused.value.retry_after_s or 0) <= 3600

    passwords.forgot_password(fresh_email(), origin=here)  # the IP's third
    with pytest.raises(RateLimited):
        passwords.forgot_password(fresh_email(), origin=here)
    passwords.forgot_password(fresh_email(), origin=Origin(ip="198.51.100.8"))
