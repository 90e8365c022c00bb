"""Connecting a package's OAuth2 credential by clicking through: the authorization-code flow with
PKCE (S256) and a single-use ``state``. The user's browser goes to the provider's authorize URL;
the provider redirects it to ``GET /oauth2/callback``; the code is exchanged at the manifest's token
URL (through the package's host allow-list) and the tokens go into the credential's envelope, where
the integration node refreshes them before they expire.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from a2n.auth.policy import Action
from a2n.errors import A2NError, BadRequest, Conflict, NotFound
from a2n.services.integrations.workspace import _require, _workspace

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal

# Long enough to sign in at the provider and consent; a state is single-use either way.
STATE_LIFETIME = timedelta(minutes=10)
_PURPOSE = "oauth2_connect"
_EXPIRED = (
    "this connect link expired or was already used; start again with POST /credentials/{id}/oauth2/authorize"
)


class ConnectFailed(A2NError):
    """The provider refused to exchange the code (or could not be reached)."""

    status, title, type_slug = 502, "OAuth2 connect failed", "oauth2-connect-failed"


@dataclass(frozen=True)
class ConnectStart:
    authorization_url: str
    state: str
    expires_at: datetime


@dataclass(frozen=True)
class Connected:
    credential_id: str
    expires_at: str | None


def begin_connect(principal: Principal, credential_id: str) -> ConnectStart:
    """``POST /credentials/{id}/oauth2/authorize``: the URL to send the user's browser to."""
    from a2n.crypto.envelope import encrypt_secret, pack_blob
    from a2n.db.models import OAuth2ConnectState
    from a2n.db.uow import UnitOfWork

    state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.CREDENTIAL_WRITE)
        row_id, data, apply = _oauth2_credential(uow.session, _workspace(principal), credential_id)
        redirect_uri = callback_url()
        expires_at = datetime.now(UTC) + STATE_LIFETIME
        record_id = uuid.uuid4()
        sealed = encrypt_secret(verifier.encode(), purpose=_PURPOSE, owner_id=str(record_id))
        uow.session.add(
            OAuth2ConnectState(
                id=record_id,
                state_hash=_hash(state),
                workspace_id=_workspace(principal),
                credential_id=row_id,
                user_id=uuid.UUID(principal.user_id),
                verifier_sealed=pack_blob(sealed),
                redirect_uri=redirect_uri,
                expires_at=expires_at,
            )
        )
        uow.commit()
    query = {
        "response_type": "code",
        "client_id": data["clientId"],
        "redirect_uri": redirect_uri,
        "scope": str(apply.get("scopeSeparator") or " ").join(apply.get("scopes") or []),
        "state": state,
        "code_challenge": _b64url(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256",
        **(apply.get("authorizeParams") or {}),
    }
    separator = "&" if "?" in apply["authorizeUrl"] else "?"
    return ConnectStart(apply["authorizeUrl"] + separator + urlencode(query), state, expires_at)


def finish_connect(state: str | None, code: str | None, error: str | None) -> Connected:
    """``GET /oauth2/callback``: the state is spent first (in its own transaction: a state works
    once, even when what follows fails), then the code is exchanged with the PKCE verifier and the
    tokens are stored in the credential."""
    claimed = _claim(state)
    if error is not None:
        raise BadRequest(f"the provider did not authorize the connection: {error[:100]}")
    if not code:
        raise BadRequest("the callback has no code")
    from a2n.db.uow import UnitOfWork
    from a2n.services.credentials import refresh_data

    with UnitOfWork() as uow:
        tokens = _exchange(uow.session, claimed, code)
        refresh_data(
            uow.session,
            workspace_id=claimed["workspace_id"],
            credential_id=claimed["credential_id"],
            renew=lambda current: {**current, **tokens},
        )
        _audit(uow.session, claimed)
        uow.commit()
    return Connected(claimed["credential_id"], tokens.get("expiresAt"))


def callback_url() -> str:
    from a2n.settings import get_settings

    return get_settings().public_base_url.rstrip("/") + "/oauth2/callback"


def _oauth2_credential(
    session: Session, workspace_id: uuid.UUID, credential_id: str
) -> tuple[uuid.UUID, dict[str, Any], dict[str, Any]]:
    """The credential's id, data and the manifest's ``apply`` of its OAuth2 type (409 otherwise)."""
    from a2n.services.credentials import open_in_workspace
    from a2n.services.integrations.installs import installed_manifests

    try:
        opened = open_in_workspace(session, workspace_id=workspace_id, credential_id=credential_id)
    except NotFound:
        raise NotFound(f"No credential {credential_id!r}") from None
    package, _, name = opened.type.partition(":")
    manifest = installed_manifests(session, workspace_id).get(package) if name else None
    declared = ((manifest or {}).get("credentials") or {}).get(name) or {}
    apply = declared.get("apply") or {}
    if apply.get("type") != "oauth2":
        raise Conflict(f"a {opened.type!r} credential does not connect with OAuth2")
    return (
        uuid.UUID(opened.id),
        dict(opened.data),
        dict(apply) | {"_hosts": manifest["hosts"] if manifest else []},
    )


def _claim(state: str | None) -> dict[str, Any]:
    from a2n.crypto.envelope import decrypt_secret, unpack_blob
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.db.uow import UnitOfWork

    if not state or len(state) > 200:
        raise BadRequest(_EXPIRED)
    with UnitOfWork() as uow:
        row = IntegrationRepository(uow.session).take_connect_state(_hash(state))
        if row is None or row.expires_at <= datetime.now(UTC):
            uow.commit()  # an expired state is spent too
            raise BadRequest(_EXPIRED)
        verifier = decrypt_secret(unpack_blob(row.verifier_sealed), purpose=_PURPOSE, owner_id=str(row.id))
        claimed = {
            "workspace_id": row.workspace_id,
            "credential_id": str(row.credential_id),
            "user_id": row.user_id,
            "redirect_uri": row.redirect_uri,
            "verifier": verifier.decode(),
        }
        uow.commit()
    return claimed


def _exchange(session: Session, claimed: dict[str, Any], code: str) -> dict[str, Any]:
    """The authorization code for tokens at the manifest's token URL, inside the package's hosts."""
    import time

    from a2n.nodes.context import NodeFailed
    from a2n.nodes.http.client import Transport
    from a2n.nodes.http.oauth2 import token_grant
    from a2n.settings import get_settings

    _, data, apply = _oauth2_credential(session, claimed["workspace_id"], claimed["credential_id"])
    settings = get_settings()
    transport = Transport(
        deadline=time.monotonic() + 20,
        allow_networks=tuple(settings.http_allow_networks),
        max_body_bytes=1_000_000,
        allowed_hosts=tuple(apply["_hosts"]),
    )
    client = {
        "tokenUrl": apply["tokenUrl"],
        "clientId": data["clientId"],
        "clientSecret": data["clientSecret"],
        "clientAuth": apply.get("clientAuth", "body"),
    }
    fields = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": claimed["redirect_uri"],
        "code_verifier": claimed["verifier"],
    }
    try:
        grant = token_grant(client, fields, transport)
    except NodeFailed as failure:
        raise ConnectFailed(f"the token endpoint refused the code: {failure.message}") from None
    tokens: dict[str, Any] = {"accessToken": grant.access_token}
    if grant.refresh_token:
        tokens["refreshToken"] = grant.refresh_token
    if grant.expires_in is not None:
        moment = datetime.now(UTC) + timedelta(seconds=grant.expires_in)
        tokens["expiresAt"] = moment.isoformat().replace("+00:00", "Z")
    return tokens


def _audit(session: Session, claimed: dict[str, Any]) -> None:
    from a2n.services.audit import Actor, record_audit

    user = claimed["user_id"]
    record_audit(
        session,
        workspace_id=claimed["workspace_id"],
        actor=Actor("user", str(user) if user else None),
        action="credential.connect",
        entity_type="credential",
        entity_id=claimed["credential_id"],
        changes={},
        origin=None,
    )


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
