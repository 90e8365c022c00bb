"""Account flows over HTTP through the local runtime, with every email read back from moto's SES
(``GET /dev/mailbox``): verification, password reset and change, address change, TOTP sign-in,
sessions cut off at once, the security feed, rate limits and workspace policies."""

from __future__ import annotations

import time
import uuid

import pyotp
from e2e_support import PASSWORD, ApiClient, RegisteredUser
from mail_support import inbox, token_in, wait_for_mail

NEW_PASSWORD = "a completely new passphrase 9"
PROBLEM = "application/problem+json"


def fresh_email() -> str:
    return f"e2e-acct-{uuid.uuid4().hex[:10]}@example.com"


def login(api: ApiClient, email: str, password: str = PASSWORD, **headers: str) -> dict[str, object]:
    answer = api.post("/auth/login", {"email": email, "password": password}, headers=headers)
    assert answer.status == 200, answer.body
    return dict(answer.json)


def test_registration_emails_a_link_that_verifies_the_address(api: ApiClient) -> None:
    email = fresh_email()
    answer = api.post("/auth/register", {"email": email, "password": PASSWORD, "name": "Vera"})
    assert answer.status == 202 and answer.json["status"] == "pending"

    mail = wait_for_mail(api, email, "verify_email")
    tokens = login(api, email)
    assert api.get("/me", token=str(tokens["accessToken"])).json["emailVerified"] is False

    assert api.post("/auth/verify-email", {"token": token_in(mail)}).status == 204

    assert api.get("/me", token=str(tokens["accessToken"])).json["emailVerified"] is True
    again = api.post("/auth/verify-email", {"token": token_in(mail)})
    assert again.status == 400 and again.headers["content-type"].startswith(PROBLEM)


def test_registering_a_known_address_answers_alike_and_warns_its_owner(
    api: ApiClient, user: RegisteredUser
) -> None:
    fresh = api.post("/auth/register", {"email": fresh_email(), "password": PASSWORD})
    known = api.post("/auth/register", {"email": user.email, "password": "an attacker's passphrase"})

    assert (known.status, known.json) == (fresh.status, fresh.json)
    notice = wait_for_mail(api, user.email, "register_attempt")
    assert "already has an account" in notice["text"]


def test_a_common_or_short_password_is_refused_with_a_pointer(api: ApiClient) -> None:
    for weak in ("password1234", "short pw 1"):
        answer = api.post("/auth/register", {"email": fresh_email(), "password": weak})
        assert answer.status == 422 and answer.json["errors"][0]["pointer"] == "/password", answer.body


def test_forgot_and_reset_sign_out_every_session_at_once(api: ApiClient, user: RegisteredUser) -> None:
    unknown = api.post("/auth/password/forgot", {"email": fresh_email()})
    known = api.post("/auth/password/forgot", {"email": user.email})
    assert (unknown.status, unknown.json) == (known.status, known.json) == (202, known.json)

    reset = wait_for_mail(api, user.email, "password_reset")
    assert user.client.get("/me").status == 200
    answer = api.post("/auth/password/reset", {"token": token_in(reset), "password": NEW_PASSWORD})
    assert answer.status == 204, answer.body

    assert user.client.get("/me").status == 401  # the live access token, at once
    assert api.post("/auth/refresh", {"refreshToken": user.refresh_token}).status == 401
    assert api.post("/auth/login", {"email": user.email, "password": PASSWORD}).status == 401
    login(api, user.email, NEW_PASSWORD)
    wait_for_mail(api, user.email, "password_changed")
    reused = api.post(
        "/auth/password/reset", {"token": token_in(reset), "password": "one more passphrase 8"}
    )
    assert reused.status == 400


def test_changing_the_password_keeps_this_session_and_ends_the_others(
    api: ApiClient, user: RegisteredUser
) -> None:
    other = login(api, user.email)
    wrong = user.client.post(
        "/me/password", {"currentPassword": "nope nope nope", "newPassword": NEW_PASSWORD}
    )
    assert wrong.status == 403 and wrong.headers["content-type"].startswith(PROBLEM)

    changed = user.client.post("/me/password", {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD})
    assert changed.status == 204, changed.body

    assert user.client.get("/me").status == 200
    assert api.get("/me", token=str(other["accessToken"])).status == 401
    wait_for_mail(api, user.email, "password_changed")


def test_a_new_address_takes_effect_when_it_confirms(api: ApiClient, user: RegisteredUser) -> None:
    new = fresh_email()
    asked = user.client.post("/me/email", {"newEmail": new, "password": PASSWORD})
    assert asked.status == 202, asked.body
    assert user.client.get("/me").json["email"] == user.email

    confirm = wait_for_mail(api, new, "email_change_confirm")
    wait_for_mail(api, user.email, "email_changed_notice")
    confirmed = api.post("/auth/email/confirm", {"token": token_in(confirm)})

    assert confirmed.status == 200 and confirmed.json == {"email": new, "emailVerified": True}
    me = user.client.get("/me").json
    assert me["email"] == new and me["emailVerified"] is True
    login(api, new)


def test_two_factor_sign_in_with_totp_and_the_security_feed(api: ApiClient, user: RegisteredUser) -> None:
    enrolment = user.client.post("/me/2fa/totp")
    assert enrolment.status == 201 and enrolment.json["otpauthUri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(enrolment.json["secret"])
    confirmed = user.client.post("/me/2fa/totp/confirm", {"code": totp.now()})
    assert confirmed.status == 200 and len(confirmed.json["recoveryCodes"]) == 10
    wait_for_mail(api, user.email, "two_factor_changed")

    first = api.post("/auth/login", {"email": user.email, "password": PASSWORD})
    assert first.status == 202 and first.json["twoFactorRequired"] is True
    assert "accessToken" not in first.json
    bad = api.post("/auth/login/2fa", {"challenge": first.json["challenge"], "code": "000000"})
    assert bad.status == 401 and bad.headers["content-type"].startswith(PROBLEM)
    code = totp.at(time.time() + 30)  # the current step's code was spent confirming
    second = api.post("/auth/login/2fa", {"challenge": first.json["challenge"], "code": code})
    assert second.status == 200, second.body

    assert api.get("/me", token=second.json["accessToken"]).json["twoFactorEnabled"] is True
    feed = user.client.get("/me/security-events").json["items"]
    kinds = [event["type"] for event in feed]
    assert {"two_factor_enabled", "two_factor_failed", "login"} <= set(kinds)
    assert all(set(event) >= {"id", "type", "createdAt", "ip", "details"} for event in feed)


def test_revoking_a_session_cuts_off_its_live_access_token(api: ApiClient, user: RegisteredUser) -> None:
    phone = login(api, user.email, **{"User-Agent": "PhoneApp/2.0"})
    listed = user.client.get("/me/sessions")
    assert listed.status == 200
    sessions = listed.json["items"]
    assert len(sessions) == 2 and sum(s["current"] for s in sessions) == 1
    (phone_session,) = [s for s in sessions if s["userAgent"] == "PhoneApp/2.0"]
    assert api.get("/me", token=str(phone["accessToken"])).status == 200

    assert user.client.delete(f"/me/sessions/{phone_session['id']}").status == 204

    assert api.get("/me", token=str(phone["accessToken"])).status == 401
    assert user.client.get("/me").status == 200
    assert user.client.delete(f"/me/sessions/{phone_session['id']}").status == 404
    assert user.client.delete("/me/sessions").status == 204
    assert user.client.get("/me").status == 401


def test_the_emailing_endpoints_answer_429_past_the_per_address_limit(api: ApiClient) -> None:
    address = fresh_email()
    answers = [api.post("/auth/password/forgot", {"email": address}) for _ in range(6)]

    assert [a.status for a in answers] == [202] * 5 + [429]
    refused = answers[-1]
    assert refused.headers["content-type"].startswith(PROBLEM) and int(refused.headers["retry-after"]) > 0
    assert inbox(api, address) == []  # no account: nothing was ever sent


def test_a_workspace_may_require_a_verified_address_to_run_workflows(
    api: ApiClient, user: RegisteredUser
) -> None:
    workspace = user.client.post("/workspaces", {"name": f"Team {uuid.uuid4().hex[:6]}"}).json["id"]
    team = ApiClient(api.base_url, user.access_token, {"X-Workspace-Id": workspace})
    flow = team.post("/workflows", {"name": "w", "definition": {
        "nodes": [{"id": "t", "type": "trigger.manual", "config": {}}], "connections": []}})
    assert flow.status == 201, flow.body
    set_policy = team.patch(f"/workspaces/{workspace}/policies", {"requireVerifiedEmail": True})
    assert set_policy.status == 200 and set_policy.json["requireVerifiedEmail"] is True

    refused = team.post(f"/workflows/{flow.json['id']}/execute", {})
    assert refused.status == 403 and "verified email" in refused.json["detail"]
    assert team.post("/api-keys", {"name": "k", "scopes": ["workflows:read"]}).status == 403

    mail = wait_for_mail(api, user.email, "verify_email")
    assert api.post("/auth/verify-email", {"token": token_in(mail)}).status == 204
    assert team.post(f"/workflows/{flow.json['id']}/execute", {}).status == 202


def test_a_workspace_requiring_two_factor_refuses_members_without_it(
    api: ApiClient, user: RegisteredUser, other_user: RegisteredUser
) -> None:
    totp = pyotp.TOTP(user.client.post("/me/2fa/totp").json["secret"])
    assert user.client.post("/me/2fa/totp/confirm", {"code": totp.now()}).status == 200
    challenge = api.post("/auth/login", {"email": user.email, "password": PASSWORD}).json["challenge"]
    signed = api.post("/auth/login/2fa", {"challenge": challenge, "code": totp.at(time.time() + 30)}).json
    admin = api.as_user(signed["accessToken"])
    workspace = admin.post("/workspaces", {"name": f"Strict {uuid.uuid4().hex[:6]}"}).json["id"]
    added = admin.post(f"/workspaces/{workspace}/members", {"email": other_user.email, "role": "MEMBER"})
    assert added.status == 201, added.body
    personal = admin.patch(f"/workspaces/{user.workspace_id}/policies", {"requireTwoFactor": True})
    assert personal.status == 409

    assert admin.patch(f"/workspaces/{workspace}/policies", {"requireTwoFactor": True}).status == 200

    header = {"X-Workspace-Id": workspace}
    refused = other_user.client.get("/workflows", headers=header)
    assert refused.status == 403 and refused.headers["content-type"].startswith(PROBLEM)
    assert "two-factor" in refused.json["detail"]
    assert other_user.client.get("/workflows").status == 200  # their own workspace is theirs
    assert admin.get("/workflows", headers=header).status == 200
    assert user.client.get("/workflows", headers=header).status == 403  # the password-only session


def test_policies_take_booleans_only(user: RegisteredUser) -> None:
    """Found by make fuzz: ``{"requireTwoFactor": 0}`` was read as false and answered 200."""
    workspace = user.client.post("/workspaces", {"name": f"Bools {uuid.uuid4().hex[:6]}"}).json["id"]
    for value in (0, 1, "true"):
        answer = user.client.patch(f"/workspaces/{workspace}/policies", {"requireVerifiedEmail": value})
        assert answer.status == 422 and answer.json["errors"][0]["pointer"] == "/requireVerifiedEmail"
