"""Sign in with an OpenID Connect provider an operator configured (``A2N_OIDC_PROVIDERS``).

1. ``authorization_url``: a single-use ``state`` (an account token, 10 minutes) names the provider;
   the PKCE verifier and the ``nonce`` are derived from it with an HMAC under the JWT signing key,
   so neither is stored anywhere, and only this server can compute them.
2. ``finish``: the state is spent, the code exchanged (PKCE, client secret from Secrets Manager), the
   ID token verified (``a2n.auth.oidc``). Then: a linked identity signs in (a second step first if
   the account has two-factor on); an unknown address becomes a new account (verified when the
   provider says so) and is linked; an address that belongs to an account is linked only after the
   provider verified it *and* the account's owner confirms with their password (``confirm_link``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from a2n.errors import Conflict, Forbidden, NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.oidc import IdentityClaims
    from a2n.db.models import User
    from a2n.services.audit import Origin
    from a2n.services.auth import Challenge, SignIn
    from a2n.settings import OidcProvider


class LinkRequired(Conflict):
    """409: the provider's verified address belongs to an account; its owner must confirm the link
    (``POST /auth/oidc/link`` with ``linkToken`` and the account's password)."""

    def __init__(self, link_token: str, expires_in: int) -> None:
        super().__init__(
            "An account already uses this address: confirm linking the identity provider to it with "
            "the account's password (POST /auth/oidc/link)",
            extra={"linkToken": link_token, "expiresIn": expires_in},
        )


@dataclass(frozen=True)
class Authorization:
    url: str
    state: str


def authorization_url(provider_name: str) -> Authorization:
    from a2n.auth.oidc import authorization_url as build
    from a2n.auth.oidc import discover
    from a2n.db.uow import UnitOfWork
    from a2n.services.account_tokens import TokenPurpose, issue_token

    provider = _provider(provider_name)
    meta = discover(provider.issuer)
    with UnitOfWork() as uow:
        state = issue_token(uow.session, TokenPurpose.OIDC_STATE, user_id=None, now=datetime.now(UTC),
                            details={"provider": provider_name})  # fmt: skip
        uow.commit()
    verifier, nonce = _derived(state)
    challenge = _b64url(hashlib.sha256(verifier.encode()).digest())
    url = build(
        meta,
        client_id=provider.client_id,
        redirect_uri=provider.redirect_uri,
        scopes=provider.scopes,
        state=state,
        nonce=nonce,
        code_challenge=challenge,
    )
    return Authorization(url, state)


def finish(
    provider_name: str, code: str, state: str, *, origin: Origin | None = None
) -> SignIn | Challenge:
    from a2n.adapters.secrets import get_secret_string
    from a2n.auth.oidc import discover, exchange_code, verify_id_token
    from a2n.db.uow import UnitOfWork
    from a2n.services.account_tokens import InvalidToken, TokenPurpose, redeem_token

    provider = _provider(provider_name)
    now = datetime.now(UTC)
    with UnitOfWork() as uow:  # spent first, whatever follows: a state works once
        row = redeem_token(uow.session, state, TokenPurpose.OIDC_STATE, now=now, what="sign-in state")
        if row.details.get("provider") != provider_name:
            raise InvalidToken("sign-in state")
        uow.commit()
    verifier, nonce = _derived(state)
    meta = discover(provider.issuer)
    id_token = exchange_code(meta, client_id=provider.client_id,
                             client_secret=get_secret_string(provider.client_secret_arn), code=code,
                             redirect_uri=provider.redirect_uri, code_verifier=verifier)  # fmt: skip
    claims = verify_id_token(meta, id_token, client_id=provider.client_id, nonce=nonce)
    return _sign_in(provider_name, claims, origin, now)


def confirm_link(
    link_token: str, password: str, *, origin: Origin | None = None
) -> SignIn | Challenge:
    """Link the provider identity to the account its verified address belongs to, once the owner
    proves the account (password, and a code when two-factor is on), then sign in."""
    from a2n.auth.passwords import verify_password
    from a2n.db.repositories.identity import UserRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.account_tokens import InvalidToken, TokenPurpose, find_live_token

    now = datetime.now(UTC)
    with UnitOfWork() as uow:
        row = find_live_token(uow.session, link_token, TokenPurpose.IDENTITY_LINK, now=now, what="link")
        user = UserRepository(uow.session).get_locked(row.user_id) if row.user_id else None
        if user is None or not user.is_active:
            raise InvalidToken("link")
        if not verify_password(user.password_hash, password):
            row.failures += 1
            if row.failures >= 5:
                row.used_at = now
            uow.commit()
            raise Forbidden("The password is wrong")
        row.used_at = now
        provider, subject = str(row.details["provider"]), str(row.details["subject"])
        _link(uow.session, user, provider, subject, email=row.email, origin=origin)
        uow.commit()
    return _signed_in_as(provider, subject, origin, now)


def _sign_in(
    provider: str, claims: IdentityClaims, origin: Origin | None, now: datetime
) -> SignIn | Challenge:
    from a2n.db.repositories.accounts import UserIdentityRepository
    from a2n.db.repositories.identity import UserRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.account_tokens import LIFETIMES, TokenPurpose, issue_token

    with UnitOfWork() as uow:
        if UserIdentityRepository(uow.session).find(provider, claims.subject) is None:
            if not claims.email:
                raise Forbidden("The identity provider shared no email address; A2N needs one")
            existing = UserRepository(uow.session).get_by_email(claims.email)
            if existing is not None:
                if not claims.email_verified:
                    raise Forbidden(
                        "The identity provider has not verified this address, which belongs to an "
                        "account: sign in with your password instead"
                    )
                details = {"provider": provider, "subject": claims.subject}
                token = issue_token(uow.session, TokenPurpose.IDENTITY_LINK, user_id=existing.id, now=now,
                                    email=claims.email, details=details)  # fmt: skip
                uow.commit()
                raise LinkRequired(token, int(LIFETIMES[TokenPurpose.IDENTITY_LINK].total_seconds()))
            _new_account(uow.session, provider, claims, origin, now)
        uow.commit()
    return _signed_in_as(provider, claims.subject, origin, now)


def _signed_in_as(provider: str, subject: str, origin: Origin | None, now: datetime) -> SignIn | Challenge:
    """The session of the account linked to (provider, subject); a challenge when two-factor is on."""
    from a2n.db.repositories.accounts import UserIdentityRepository
    from a2n.db.repositories.identity import UserRepository
    from a2n.db.uow import UnitOfWork
    from a2n.errors import Unauthorized
    from a2n.services.auth import finish_sign_in, open_challenge, send_after_sign_in

    method = f"oidc:{provider}"
    with UnitOfWork() as uow:
        identity = UserIdentityRepository(uow.session).find(provider, subject)
        user = UserRepository(uow.session).get_locked(identity.user_id) if identity else None
        if user is None or not user.is_active:
            raise Unauthorized("Unknown or inactive account")
        if user.totp_enabled_at is not None:
            challenge = open_challenge(uow.session, user, origin, now, method=method)
            uow.commit()
            return challenge
        signed_in, jobs = finish_sign_in(uow.session, user, origin, now=now, method=method)
        uow.commit()
    send_after_sign_in(jobs)
    return signed_in


def _new_account(session: Session, provider: str, claims: IdentityClaims, origin: Origin | None,
                 now: datetime) -> None:  # fmt: skip
    """A new account for a new address: a personal workspace, no usable password (a reset sets one),
    the address verified when the provider says so, and the identity linked."""
    from a2n.auth.passwords import hash_password
    from a2n.db.models import User
    from a2n.db.repositories.identity import UserRepository
    from a2n.services.audit import Actor, record_audit
    from a2n.services.workspaces import add_owner, new_workspace

    assert claims.email is not None
    workspace = new_workspace(session, f"{claims.name or claims.email}'s workspace")
    user = UserRepository(session).add(
        User(email=claims.email, name=claims.name, personal_workspace_id=workspace.id,
             password_hash=hash_password(secrets.token_urlsafe(32)),
             email_verified_at=now if claims.email_verified else None),
        conflict="Email already registered",
    )  # fmt: skip
    add_owner(session, workspace.id, user.id)
    record_audit(session, workspace_id=workspace.id, actor=Actor("user", str(user.id), claims.email),
                 action="user.register", entity_type="user", entity_id=user.id,
                 changes={"email": claims.email, "provider": provider}, origin=origin)  # fmt: skip
    _link(session, user, provider, claims.subject, email=claims.email, origin=origin)


def _link(
    session: Session, user: User, provider: str, subject: str, *, email: str | None, origin: Origin | None
) -> None:
    from a2n.db.models import UserIdentity
    from a2n.db.repositories.accounts import UserIdentityRepository
    from a2n.services.security_events import IDENTITY_LINKED, record_event

    UserIdentityRepository(session).add_identity(
        UserIdentity(user_id=user.id, provider=provider, subject=subject, email=email)
    )
    record_event(session, user.id, IDENTITY_LINKED, origin, {"provider": provider})


def _provider(name: str) -> OidcProvider:
    from a2n.settings import get_settings

    provider = get_settings().oidc_providers.get(name)
    if provider is None:
        raise NotFound(f"No identity provider named {name!r} is configured")
    return provider


def _derived(state: str) -> tuple[str, str]:
    """The PKCE verifier (43 chars) and the nonce of the flow ``state`` opened."""
    from a2n.auth.tokens import load_keyring

    key = load_keyring().current.secret
    verifier = _b64url(hmac.new(key, f"a2n-oidc-pkce:{state}".encode(), hashlib.sha256).digest())
    nonce = _b64url(hmac.new(key, f"a2n-oidc-nonce:{state}".encode(), hashlib.sha256).digest())
    return verifier, nonce


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

