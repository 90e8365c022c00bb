"""How each credential type of API.md travels on a request: headers, query parameters, tokens.

The result also names the headers to drop on a cross-origin redirect and the secrets derived at
run time (fetched or refreshed tokens) that the caller must scrub.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from a2n.nodes.context import Credential, NodeContext, NodeFailed
from a2n.nodes.http import oauth2
from a2n.nodes.http.client import Transport
from a2n.nodes.secrets import basic_token


@dataclass(frozen=True)
class Authorization:
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    sensitive_headers: frozenset[str] = frozenset()  # lower-case names
    secrets: frozenset[str] = frozenset()
    refreshed: bool = False  # an oauth2 refresh already happened in this attempt


def authorize(ctx: NodeContext, transport: Transport, *, force_refresh: bool = False) -> Authorization:
    """The credential's contribution to the request (nothing without a credential)."""
    credential = ctx.credential
    if credential is None:
        return Authorization()
    static = STATIC_TYPES.get(credential.type)
    if static is not None:
        return static(credential.data)
    if credential.type == "oauth2_client_credentials":
        token = oauth2.client_credentials_token(credential, ctx.now, transport)
        return bearer_auth(token, derived=True)
    if credential.type == "oauth2":
        return oauth2_auth(ctx, credential, transport, force_refresh)
    raise NodeFailed(f"credential type '{credential.type}' cannot be used by an HTTP request")


def oauth2_auth(ctx: NodeContext, credential: Credential, transport: Transport, force: bool) -> Authorization:
    data = credential.data
    if not (force or oauth2.needs_refresh(data, ctx.now)):
        return bearer_auth(_text(data, "accessToken"))
    def renew(current: Mapping[str, Any]) -> Mapping[str, Any]:
        refreshed_meanwhile = current.get("accessToken") != data.get("accessToken")
        if refreshed_meanwhile and not oauth2.needs_refresh(current, ctx.now):
            return current  # another run refreshed while this one waited for the credential
        return oauth2.refreshed_data(current, ctx.now, transport)

    refresh = ctx.refresh_credential
    renewed = dict(refresh(renew) if refresh is not None else renew(data))
    bearer = bearer_auth(renewed["accessToken"], derived=True)
    rotated = {renewed["accessToken"], str(renewed.get("refreshToken") or "")} - {""}
    return Authorization(
        headers=bearer.headers,
        sensitive_headers=bearer.sensitive_headers,
        secrets=bearer.secrets | rotated,
        refreshed=True,
    )


def _api_key(data: Mapping[str, Any]) -> Authorization:
    key, name = _text(data, "key"), _text(data, "name")
    placement = data.get("in", "header")
    if placement == "query":
        return Authorization(query={name: key})
    if placement == "header":
        return header_auth(name, key)
    raise NodeFailed("api_key credential: 'in' must be 'header' or 'query'")


def _custom_headers(data: Mapping[str, Any]) -> Authorization:
    headers = data.get("headers")
    if not isinstance(headers, Mapping) or not all(isinstance(v, str) for v in headers.values()):
        raise NodeFailed("custom_headers credential: 'headers' must map names to strings")
    return Authorization(
        headers={str(k): v for k, v in headers.items()},
        sensitive_headers=frozenset(str(k).lower() for k in headers),
    )


def bearer_auth(token: str, *, derived: bool = False) -> Authorization:
    header = header_auth("Authorization", f"Bearer {token}")
    if not derived:
        return header
    return Authorization(
        header.headers, sensitive_headers=header.sensitive_headers, secrets=frozenset({token})
    )


def header_auth(name: str, value: str) -> Authorization:
    return Authorization(headers={name: value}, sensitive_headers=frozenset({name.lower()}))


def _text(data: Mapping[str, Any], name: str, *, empty_ok: bool = False) -> str:
    value = data.get(name)
    if not isinstance(value, str) or (not value and not empty_ok):
        raise NodeFailed(f"the credential has no '{name}'")
    return value


def basic_auth(data: Mapping[str, Any]) -> Authorization:
    token = basic_token(_text(data, "username", empty_ok=True), _text(data, "password", empty_ok=True))
    return header_auth("Authorization", f"Basic {token}")


# Types whose data alone decides what goes on the request.
STATIC_TYPES: dict[str, Callable[[Mapping[str, Any]], Authorization]] = {
    "api_key": _api_key,
    "bearer": lambda data: bearer_auth(_text(data, "token")),
    "basic": basic_auth,
    "custom_headers": _custom_headers,
}
