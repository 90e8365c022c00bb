"""Sign in with an OpenID Connect provider (issue 12): start, callback, confirm a link."""

from __future__ import annotations

from pydantic import Field

from a2n.api.http import Request, Response
from a2n.api.openapi import RouteDoc
from a2n.api.routes.auth import ChallengeOut, SessionOut, signed_in_response
from a2n.api.schemas import RequestBody, ResponseBody


class AuthorizationOut(ResponseBody):
    """Send the browser to ``authorizationUrl``; the provider returns it to your redirect URI with
    ``code`` and ``state``, which your page POSTs to the callback."""

    authorization_url: str
    state: str


class CallbackBody(RequestBody):
    code: str = Field(min_length=1, max_length=2048)
    state: str = Field(min_length=1, max_length=256)


class LinkBody(RequestBody):
    link_token: str = Field(min_length=1, max_length=256)
    password: str = Field(min_length=1, max_length=1024)


def authorize(request: Request) -> Response:
    from a2n.services.oidc_login import authorization_url

    started = authorization_url(request.path_param("provider"))
    return Response(200, AuthorizationOut(authorization_url=started.url, state=started.state))


def callback(request: Request) -> Response:
    from a2n.services.oidc_login import finish

    body = request.parse(CallbackBody)
    provider = request.path_param("provider")
    return signed_in_response(finish(provider, body.code, body.state, origin=request.origin))


def link(request: Request) -> Response:
    from a2n.services.oidc_login import confirm_link

    body = request.parse(LinkBody)
    return signed_in_response(confirm_link(body.link_token, body.password, origin=request.origin))


_TAGS = ("auth",)
ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc("GET", "/auth/oidc/{provider}/authorize",
             "Start signing in with a configured OpenID Connect provider (code flow, PKCE, state, nonce)",
             response_model=AuthorizationOut, public=True, tags=_TAGS, errors=(502,)),
    RouteDoc("POST", "/auth/oidc/{provider}/callback",
             "Finish it with the provider's code and state: tokens, a two-factor challenge (202), or 409 "
             "with a linkToken when the address belongs to an account",
             CallbackBody, SessionOut, public=True, tags=_TAGS, errors=(403, 409, 502),
             also=((202, ChallengeOut),)),
    RouteDoc("POST", "/auth/oidc/link",
             "Link the provider identity to the account its address belongs to (the account's password)",
             LinkBody, SessionOut, public=True, tags=_TAGS, errors=(403,), also=((202, ChallengeOut),)),
)  # fmt: skip
