"""Who is calling: the principal the Lambda authorizer vouches for, and its wire encoding.

API Gateway passes a simple-response authorizer's ``context`` to the route as
``requestContext.authorizer.lambda``; its values must be scalars, so scopes travel as one
space-separated string. ``authorizer_context`` and ``principal_from_context`` are exact inverses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, cast

from a2n.errors import Unauthorized

AuthType = Literal["jwt", "api_key"]

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SCOPE = re.compile(r"^[a-z_]+:[a-z_]+$")
_AUTH_TYPES: frozenset[str] = frozenset({"jwt", "api_key"})


@dataclass(frozen=True)
class Principal:
    """An authenticated caller acting in one workspace.

    For JWT sessions ``scopes`` is empty: their effective scopes come from their workspace role
    (see ``a2n.auth.policy``). API keys carry the scopes they were created with.
    """

    user_id: str
    workspace_id: str
    auth_type: AuthType
    scopes: frozenset[str] = field(default_factory=frozenset)
    api_key_id: str | None = None
    # The sign-in session of a JWT caller (the token's ``sid``): "this session" in the session list,
    # kept when the password changes.
    session_id: str | None = None

    @property
    def is_api_key(self) -> bool:
        return self.auth_type == "api_key"


def authorizer_context(principal: Principal) -> dict[str, str]:
    """The authorizer's ``context``: every value a string, scopes sorted and space-separated."""
    context = {
        "userId": principal.user_id,
        "workspaceId": principal.workspace_id,
        "authType": principal.auth_type,
        "scopes": " ".join(sorted(principal.scopes)),
    }
    if principal.api_key_id is not None:
        context["apiKeyId"] = principal.api_key_id
    if principal.session_id is not None:
        context["sessionId"] = principal.session_id
    return context


def principal_from_context(context: Mapping[str, object]) -> Principal:
    """Parse what ``authorizer_context`` wrote; anything malformed is Unauthorized, never a 500."""
    user_id = _id_field(context, "userId")
    workspace_id = _id_field(context, "workspaceId")
    auth_type = context.get("authType")
    if auth_type not in _AUTH_TYPES:
        raise Unauthorized("Invalid authorizer context: authType")
    scopes_text = context.get("scopes", "")
    if not isinstance(scopes_text, str):
        raise Unauthorized("Invalid authorizer context: scopes")
    scopes = frozenset(scopes_text.split())
    if not all(_SCOPE.match(scope) for scope in scopes):
        raise Unauthorized("Invalid authorizer context: scopes")
    api_key_id = _id_field(context, "apiKeyId") if auth_type == "api_key" else None
    if auth_type == "jwt" and "apiKeyId" in context:
        raise Unauthorized("Invalid authorizer context: apiKeyId")
    session_id = _id_field(context, "sessionId") if "sessionId" in context else None
    if auth_type == "api_key" and session_id is not None:
        raise Unauthorized("Invalid authorizer context: sessionId")
    return Principal(
        user_id=user_id,
        workspace_id=workspace_id,
        auth_type=cast(AuthType, auth_type),
        scopes=scopes,
        api_key_id=api_key_id,
        session_id=session_id,
    )


def _id_field(context: Mapping[str, object], name: str) -> str:
    value = context.get(name)
    if not isinstance(value, str) or not _ID.match(value):
        raise Unauthorized(f"Invalid authorizer context: {name}")
    return value
