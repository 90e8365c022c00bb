"""Connecting an OAuth2 credential of a package: start (the authorize URL with PKCE and state)
and the provider's redirect back (public: the state is what identifies the flow)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from a2n.api.http import Request, Response
from a2n.api.openapi import QueryParam, RouteDoc
from a2n.api.schemas import RequestBody, ResponseBody, UtcDatetime


class AuthorizeOut(ResponseBody):
    authorization_url: str = Field(description="Send the user's browser here")
    state: str
    expires_at: UtcDatetime


class CallbackQuery(RequestBody):
    """What the provider appends to the redirect URI. Providers add parameters of their own (Google:
    scope, authuser, prompt; RFC 9207: iss), so unknown ones are ignored, never a refusal."""

    model_config = ConfigDict(extra="ignore")

    code: Annotated[str, Field(max_length=4096)] | None = None
    state: Annotated[str, Field(max_length=200)] | None = None
    error: Annotated[str, Field(max_length=200)] | None = None


class ConnectedOut(ResponseBody):
    credential_id: str
    connected: bool
    expires_at: str | None = Field(
        default=None, description="When the access token expires (refreshed before)"
    )


def authorize_credential(request: Request) -> Response:
    from a2n.services.integrations.oauth2_connect import begin_connect

    started = begin_connect(request.principal, request.path_param("id"))
    return Response(200, AuthorizeOut.model_validate(started))


def oauth2_callback(request: Request) -> Response:
    from a2n.services.integrations.oauth2_connect import finish_connect

    query = request.parse_query(CallbackQuery)
    done = finish_connect(query.state, query.code, query.error)
    return Response(
        200, ConnectedOut(credential_id=done.credential_id, connected=True, expires_at=done.expires_at)
    )


_TAGS = ("Credentials",)

ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "POST",
        "/credentials/{id}/oauth2/authorize",
        "Start connecting a package's OAuth2 credential: the provider's authorize URL (PKCE S256, state)",
        response_model=AuthorizeOut,
        tags=_TAGS,
        errors=(409,),
    ),
    RouteDoc(
        "GET",
        "/oauth2/callback",
        "Where the provider sends the browser back: exchanges the code and stores the tokens",
        response_model=ConnectedOut,
        public=True,
        tags=_TAGS,
        errors=(502,),
        query=(
            QueryParam("code", {"type": "string"}),
            QueryParam("state", {"type": "string"}),
            QueryParam("error", {"type": "string"}),
        ),
    ),
)
