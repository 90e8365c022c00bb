"""Two-factor authentication and sessions at the service level: TOTP enrolment with a sealed secret,
two-step sign-in, replayed and wrong codes, lockout, recovery codes, disabling; session rows, their
revocation cutting off access tokens, the security feed."""

from __future__ import annotations

import time
import uuid

import pyotp
import pytest
from identity_support import signed_up
from sqlalchemy import select
from sqlalchemy.orm import Session

from a2n.auth.principal import Principal
from a2n.auth.tokens import verify_access_token
from a2n.db.models import RecoveryCode, SecurityEvent, User, UserSession
from a2n.errors import Conflict, Forbidden, NotFound, RateLimited, Unauthorized
from a2n.services import auth, sessions, two_factor
from a2n.services.account_tokens import InvalidToken
from a2n.services.audit import Origin
from a2n.services.authorizer import resolve_principal

pytestmark = pytest.mark.usefixtures("ses")
PASSWORD = "correct horse battery staple"


def principal_of(signed_in: auth.SignIn) -> Principal:
    claims = verify_access_token(signed_in.access_token)
    return Principal(str(signed_in.user.id), str(signed_in.user.personal_workspace_id), "jwt",
                     session_id=claims.session_id)  # fmt: skip


def next_code(totp: pyotp.TOTP) -> str:
    """The code of the next 30-second step (accepted for clock drift): the current one was spent."""
    return totp.at(time.time() + 30)


def enrolled(db_session: Session) -> tuple[str, auth.SignIn, pyotp.TOTP, list[str]]:
    email = f"tfa-{uuid.uuid4().hex[:10]}@example.com"
    me = signed_up(email, PASSWORD)
    enrolment = two_factor.begin_enrolment(principal_of(me))
    totp = pyotp.TOTP(enrolment.secret)
    codes = two_factor.confirm_enrolment(principal_of(me), totp.now())
    return email, me, totp, codes


def event_types(db_session: Session, user_id: uuid.UUID) -> list[str]:
    db_session.expire_all()
    return list(db_session.scalars(select(SecurityEvent.type).where(SecurityEvent.user_id == user_id)))


def bearer(token: str) -> dict[str, object]:
    return {"headers": {"authorization": f"Bearer {token}"}}


def test_enrolment_shows_the_secret_once_and_stores_it_sealed(db_session: Session) -> None:
    email = f"tfa-{uuid.uuid4().hex[:10]}@example.com"
    me = signed_up(email, PASSWORD)

    enrolment = two_factor.begin_enrolment(principal_of(me))

    assert enrolment.otpauth_uri.startswith("otpauth://totp/A2N:")
    assert "issuer=A2N" in enrolment.otpauth_uri
    user = db_session.scalars(select(User).where(User.email == email)).one()
    sealed = user.totp_secret_encrypted
    assert sealed is not None and enrolment.secret.encode() not in sealed
    assert user.totp_enabled_at is None
    with pytest.raises(Forbidden):
        two_factor.confirm_enrolment(principal_of(me), "000000")


def test_confirming_turns_it_on_with_ten_hashed_recovery_codes(db_session: Session) -> None:
    email, me, _, codes = enrolled(db_session)

    assert len(codes) == 10 and len(set(codes)) == 10
    user = db_session.scalars(select(User).where(User.email == email)).one()
    stored = set(db_session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert len(stored) == 10 and not stored & set(codes)
    assert "two_factor_enabled" in event_types(db_session, user.id)
    with pytest.raises(Conflict):
        two_factor.begin_enrolment(principal_of(me))


def test_sign_in_becomes_two_steps_and_the_session_says_so(db_session: Session) -> None:
    email, _, totp, _ = enrolled(db_session)

    challenge = auth.login(email, PASSWORD)
    assert isinstance(challenge, auth.Challenge) and challenge.expires_in == 300

    with pytest.raises(Unauthorized):
        auth.login_second_step(challenge.token, "123456" if next_code(totp) != "123456" else "654321")
    signed_in = auth.login_second_step(challenge.token, next_code(totp))

    assert verify_access_token(signed_in.access_token).two_factor
    row = db_session.get(UserSession, uuid.UUID(verify_access_token(signed_in.access_token).session_id))
    assert row is not None and row.two_factor
    with pytest.raises(InvalidToken):  # the challenge works once
        auth.login_second_step(challenge.token, next_code(totp))


def test_a_code_works_once_even_within_its_30_seconds(db_session: Session) -> None:
    email, _, totp, _ = enrolled(db_session)  # confirming used the current code
    code = totp.now()

    challenge = auth.login(email, PASSWORD)
    assert isinstance(challenge, auth.Challenge)
    with pytest.raises(Unauthorized):
        auth.login_second_step(challenge.token, code)


def test_wrong_codes_lock_the_second_step(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    email, _, _, _ = enrolled(db_session)
    wrong = "000000"
    for _ in range(5):
        challenge = auth.login(email, PASSWORD)
        assert isinstance(challenge, auth.Challenge)
        with pytest.raises(Unauthorized):
            auth.login_second_step(challenge.token, wrong)

    challenge = auth.login(email, PASSWORD)
    assert isinstance(challenge, auth.Challenge)
    with pytest.raises(RateLimited) as locked:
        auth.login_second_step(challenge.token, wrong)
    assert 0 < (locked.value.retry_after_s or 0) <= 900


def test_a_challenge_dies_after_five_wrong_codes(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from a2n.settings import reset_settings

    monkeypatch.setenv("A2N_TWO_FACTOR_MAX_FAILURES", "50")
    reset_settings()
    email, _, totp, _ = enrolled(db_session)
    challenge = auth.login(email, PASSWORD)
    assert isinstance(challenge, auth.Challenge)
    for _ in range(5):
        with pytest.raises(Unauthorized):
            auth.login_second_step(challenge.token, "000000")

    with pytest.raises(InvalidToken):
        auth.login_second_step(challenge.token, next_code(totp))


def test_a_recovery_code_signs_in_once(db_session: Session) -> None:
    email, _, _, codes = enrolled(db_session)
    first = auth.login(email, PASSWORD)
    assert isinstance(first, auth.Challenge)

    assert isinstance(auth.login_second_step(first.token, codes[3].upper()), auth.SignIn)

    again = auth.login(email, PASSWORD)
    assert isinstance(again, auth.Challenge)
    with pytest.raises(Unauthorized):
        auth.login_second_step(again.token, codes[3])


def test_disabling_needs_password_and_code(db_session: Session) -> None:
    email, me, _, codes = enrolled(db_session)

    with pytest.raises(Forbidden):
        two_factor.disable(principal_of(me), "wrong password", codes[0])
    two_factor.disable(principal_of(me), PASSWORD, codes[1])

    assert isinstance(auth.login(email, PASSWORD), auth.SignIn)
    user = db_session.scalars(select(User).where(User.email == email)).one()
    assert user.totp_secret_encrypted is None and "two_factor_disabled" in event_types(db_session, user.id)


def test_each_sign_in_is_a_session_and_revoking_one_refuses_its_access_token_at_once(
    db_session: Session,
) -> None:
    email = f"sess-{uuid.uuid4().hex[:10]}@example.com"
    laptop = signed_up(email, PASSWORD)
    phone = auth.login(email, PASSWORD, origin=Origin(ip="203.0.113.5", user_agent="Phone/1.0"))
    assert isinstance(phone, auth.SignIn)

    listed = sessions.list_sessions(principal_of(laptop), limit=50, after=None)
    ids = {row.id for row in listed.page.items}
    phone_session = uuid.UUID(verify_access_token(phone.access_token).session_id)
    assert len(ids) == 2 and phone_session in ids and listed.current in ids
    assert {row.user_agent for row in listed.page.items} == {None, "Phone/1.0"}

    assert resolve_principal(bearer(phone.access_token)).user_id == str(phone.user.id)
    sessions.revoke_session(principal_of(laptop), str(phone_session))

    with pytest.raises(Unauthorized):
        resolve_principal(bearer(phone.access_token))
    with pytest.raises(Unauthorized):
        auth.refresh(phone.refresh_token)
    resolve_principal(bearer(laptop.access_token))
    with pytest.raises(NotFound):
        sessions.revoke_session(principal_of(laptop), str(phone_session))


def test_someone_elses_session_is_not_found(db_session: Session) -> None:
    mine = signed_up(f"a-{uuid.uuid4().hex[:8]}@example.com", PASSWORD)
    theirs = signed_up(f"b-{uuid.uuid4().hex[:8]}@example.com", PASSWORD)

    with pytest.raises(NotFound):
        sessions.revoke_session(principal_of(mine), verify_access_token(theirs.access_token).session_id)
    resolve_principal(bearer(theirs.access_token))


def test_signing_out_everywhere_cuts_off_every_access_token(db_session: Session) -> None:
    email = f"all-{uuid.uuid4().hex[:10]}@example.com"
    first = signed_up(email, PASSWORD)
    second = auth.login(email, PASSWORD)
    assert isinstance(second, auth.SignIn)

    assert sessions.sign_out_everywhere(principal_of(first)) == 2

    for signed_in in (first, second):
        with pytest.raises(Unauthorized):
            resolve_principal(bearer(signed_in.access_token))


def test_a_sign_in_from_a_new_device_is_an_event_and_an_email(db_session: Session) -> None:
    from account_support import sent_mail

    email = f"dev-{uuid.uuid4().hex[:10]}@example.com"
    signed_up(email, PASSWORD)
    auth.login(email, PASSWORD, origin=Origin(ip="192.0.2.44", user_agent="Unknown/9"))
    auth.login(email, PASSWORD, origin=Origin(ip="192.0.2.44", user_agent="Unknown/9"))  # seen now

    notices = [m for m in sent_mail(email) if m["template"] == "new_device_login"]
    assert len(notices) == 1 and "192.0.2.44" in notices[0]["text"]
    user = db_session.scalars(select(User).where(User.email == email)).one()
    assert event_types(db_session, user.id).count("new_device") == 1
    assert event_types(db_session, user.id).count("login") == 3
