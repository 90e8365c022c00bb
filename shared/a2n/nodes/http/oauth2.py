"""OAuth2 tokens for the HTTP node: client-credentials tokens cached per container until a minute
before they expire, and refresh-token grants for ``oauth2`` credentials. Token endpoints are
reached through the same SSRF-guarded transport as the request itself.

The cache is bounded and drops expired tokens: a warm container serving many workspaces would
otherwise keep every token it ever fetched, live bearer secrets included, for its whole life.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from a2n.nodes.context import Credential, NodeFailed
from a2n.nodes.http.client import OutboundRequest, Transport
from a2n.nodes.secrets import client_basic_token

EXPIRY_MARGIN = timedelta(seconds=60)
MAX_CACHED_CLIENT_TOKENS = 256

CacheKey = tuple[str, str]


class ClientTokenCache:
    """Access tokens by (credential id, fingerprint of its data) — keyed by the data too, so an edited
    credential never reuses a token fetched with its old secret. At most ``max_entries`` (the least
    recently used goes first); a token within ``EXPIRY_MARGIN`` of its expiry is never returned and is
    dropped at the next write. Thread-safe: the local runtime runs steps on many threads."""

    def __init__(self, max_entries: int = MAX_CACHED_CLIENT_TOKENS) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[CacheKey, tuple[str, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CacheKey, now: datetime) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or not _usable(entry, now):
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: CacheKey, token: str, expires_at: datetime, now: datetime) -> None:
        with self._lock:
            self._entries[key] = (token, expires_at)
            self._entries.move_to_end(key)
            for stale in [k for k, entry in self._entries.items() if not _usable(entry, now)]:
                del self._entries[stale]
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _usable(entry: tuple[str, datetime], now: datetime) -> bool:
    return now < entry[1] - EXPIRY_MARGIN


_client_tokens = ClientTokenCache()


@dataclass(frozen=True)
class Grant:
    access_token: str
    refresh_token: str | None
    expires_in: float | None


def client_credentials_token(credential: Credential, now: datetime, transport: Transport) -> str:
    """A valid access token for an ``oauth2_client_credentials`` credential, cached or fetched."""
    key = (credential.id, _fingerprint(credential.data))
    cached = _client_tokens.get(key, now)
    if cached is not None:
        return cached
    fields = {"grant_type": "client_credentials"}
    if credential.data.get("scope"):
        fields["scope"] = str(credential.data["scope"])
    grant = token_grant(credential.data, fields, transport)
    if grant.expires_in is not None:  # without a lifetime we cannot know when to stop reusing it
        _client_tokens.put(key, grant.access_token, now + timedelta(seconds=grant.expires_in), now)
    return grant.access_token


def forget_client_tokens() -> None:
    """Empty the container's token cache (tests; a credential deleted mid-container)."""
    _client_tokens.clear()


def needs_refresh(data: Mapping[str, Any], now: datetime) -> bool:
    """Does an ``oauth2`` credential's access token expire within the margin (or has it no token)?"""
    if not data.get("accessToken"):
        return True
    expires_at = _moment(data.get("expiresAt"))
    return expires_at is not None and expires_at - EXPIRY_MARGIN <= now


def refreshed_data(data: Mapping[str, Any], now: datetime, transport: Transport) -> dict[str, Any]:
    """The credential data after a refresh-token grant: new access token, rotated refresh token
    when the server sent one, and the new expiry."""
    refresh_token = data.get("refreshToken")
    if not refresh_token:
        raise NodeFailed("the oauth2 credential has no refreshToken and its access token expired")
    grant = token_grant(data, {"grant_type": "refresh_token", "refresh_token": str(refresh_token)}, transport)
    renewed = dict(data, accessToken=grant.access_token)
    if grant.refresh_token:
        renewed["refreshToken"] = grant.refresh_token
    if grant.expires_in is not None:
        expires_at = now + timedelta(seconds=grant.expires_in)
        renewed["expiresAt"] = expires_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return renewed


def token_grant(data: Mapping[str, Any], fields: dict[str, str], transport: Transport) -> Grant:
    """POST a grant to the credential's ``tokenUrl``; the client authenticates with HTTP Basic
    (RFC 6749's default, id and secret form-urlencoded first as §2.3.1 says) or, with
    ``clientAuth: "body"``, with fields in the form."""
    token_url, client_id, secret = (
        _required(data, name) for name in ("tokenUrl", "clientId", "clientSecret")
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    if data.get("clientAuth") == "body":
        fields = {**fields, "client_id": client_id, "client_secret": secret}
    else:
        headers["Authorization"] = f"Basic {client_basic_token(client_id, secret)}"
    response = transport.send(OutboundRequest("POST", token_url, headers, urlencode(fields).encode()))
    if response.status >= 400:
        raise NodeFailed(
            f"token endpoint answered {response.status}",
            retryable=response.status == 429 or response.status >= 500,
            details={"status": response.status},
        )
    return _grant(response.body)


def _grant(body: bytes) -> Grant:
    try:
        payload = json.loads(body)
    except ValueError:
        raise NodeFailed("token endpoint answered with something other than JSON") from None
    token = payload.get("access_token") if isinstance(payload, dict) else None
    if not isinstance(token, str) or not token:
        raise NodeFailed("token endpoint response has no access_token")
    refresh = payload.get("refresh_token")
    return Grant(
        access_token=token,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_in=_seconds(payload.get("expires_in")),
    )


def _seconds(value: Any) -> float | None:
    # Some servers send expires_in as a string.
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


def _required(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise NodeFailed(f"the credential has no '{name}'")
    return value


def _moment(value: Any) -> datetime | None:
    # expiresAt as ISO-8601 (what we write) or epoch seconds (what some tools export).
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def _fingerprint(data: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
