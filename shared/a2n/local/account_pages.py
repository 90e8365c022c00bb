"""The local runtime's stand-ins for a product's account pages, so the links ``a2n dev`` prints work.

Emails link to ``A2N_APP_BASE_URL``: on AWS the operator's own front end, which takes the token from
the link and POSTs it to the API. Locally that base is ``<runtime>/dev`` and these small pages play
the front end: ``GET /dev/verify-email?token=…`` shows the token and a button, and only the button's
POST acts — through the gateway, to the real API route (``POST /auth/verify-email``), whose answer
the page shows as is. A GET never spends a token (mail scanners and link previews fetch links).

Like ``/dev/mailbox``, no template declares them: they exist only in the local runtime.
"""

from __future__ import annotations

import contextlib
import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from a2n.local import apigw

DEV_PAGES_PREFIX = "/dev"


@dataclass(frozen=True)
class Field:
    name: str  # the JSON field of the API route
    label: str
    kind: str = "text"  # the HTML input type
    from_link: bool = False  # prefilled from the link's query string


@dataclass(frozen=True)
class AccountPage:
    page: str  # the path after A2N_APP_BASE_URL, as the email links it
    title: str
    route: str  # the API route the form's POST is sent to
    fields: tuple[Field, ...]
    button: str
    next_step: str  # what to do after a 2xx


_TOKEN = Field("token", "Token (from the link)", from_link=True)
PAGES = (
    AccountPage("verify-email", "Verify your email address", "/auth/verify-email", (_TOKEN,),
                "Verify this address", "The address is verified: GET /me shows emailVerified true."),
    AccountPage("confirm-email", "Confirm your new email address", "/auth/email/confirm", (_TOKEN,),
                "Confirm the new address", "The account now uses the new address: sign in with it."),
    AccountPage("reset-password", "Choose a new password", "/auth/password/reset",
                (_TOKEN, Field("password", "New password (12 characters or more)", kind="password")),
                "Set the new password",
                "Done: every session of the account has ended; sign in with the new password."),
    AccountPage("forgot-password", "Forgot your password?", "/auth/password/forgot",
                (Field("email", "Email address", kind="email"),),
                "Email me a reset link", "If an account uses the address, its reset link is in the mailbox."),
)  # fmt: skip

Forward = Callable[[apigw.HttpRequest], apigw.HttpResponse]


def account_pages(forward: Forward) -> dict[str, Callable[[apigw.HttpRequest], apigw.HttpResponse]]:
    """``/dev/<page>`` → its handler; ``forward`` sends a request through the local gateway."""
    return {f"{DEV_PAGES_PREFIX}/{page.page}": _handler(page, forward) for page in PAGES}


def _handler(page: AccountPage, forward: Forward) -> Callable[[apigw.HttpRequest], apigw.HttpResponse]:
    def handle(request: apigw.HttpRequest) -> apigw.HttpResponse:
        if request.method in ("GET", "HEAD"):
            query = parse_qs(request.raw_query)
            values = {f.name: (query.get(f.name) or [""])[0] for f in page.fields if f.from_link}
            return _html(200, _form(page, values))
        if request.method != "POST":
            return apigw.gateway_error(405, "Method Not Allowed")
        form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        body = {f.name: (form.get(f.name) or [""])[0] for f in page.fields}
        answer = forward(
            apigw.HttpRequest(
                method="POST",
                raw_path=page.route,
                raw_query="",
                headers=[("content-type", "application/json"), *_passed_on(request)],
                body=json.dumps(body).encode(),
                source_ip=request.source_ip,
            )
        )
        return _html(200, _result(page, body, answer))

    return handle


def _passed_on(request: apigw.HttpRequest) -> list[tuple[str, str]]:
    """The browser's user agent, so the API records the session and security events as from it."""
    return [(k, v) for k, v in request.headers if k.lower() == "user-agent"]


def _form(page: AccountPage, values: dict[str, str]) -> str:
    inputs = "".join(
        f'<label>{html.escape(f.label)}<br><input name="{f.name}" type="{f.kind}" size="60" required '
        f'value="{html.escape(values.get(f.name, ""), quote=True)}"></label><br><br>'
        for f in page.fields
    )
    return (
        f"<h1>{html.escape(page.title)}</h1>"
        f'<form method="post">{inputs}<button type="submit">{html.escape(page.button)}</button></form>'
        f"<p>The button sends <code>POST {page.route}</code> to the API with these values as JSON; "
        "opening this page spends nothing.</p>"
    )


def _result(page: AccountPage, sent: dict[str, str], answer: apigw.HttpResponse) -> str:
    shown = {k: ("…" if k == "password" else v) for k, v in sent.items()}
    body = answer.body.decode("utf-8", "replace")
    with contextlib.suppress(ValueError):  # a JSON answer is shown indented, anything else as is
        body = json.dumps(json.loads(body), indent=2)
    outcome = page.next_step if 200 <= answer.status < 300 else "Refused: the API's problem says why."
    return (
        f"<h1>{html.escape(page.title)}</h1>"
        f"<p><code>POST {page.route} {html.escape(json.dumps(shown))}</code></p>"
        f'<p>The API answered <strong id="status">{answer.status}</strong>. {html.escape(outcome)}</p>'
        + (f"<pre>{html.escape(body)}</pre>" if body else "")
        + f'<p><a href="{DEV_PAGES_PREFIX}/mailbox">Mailbox (JSON)</a></p>'
    )


def _html(status: int, content: str) -> apigw.HttpResponse:
    page = (
        '<!doctype html><html><head><meta charset="utf-8"><title>A2N (local)</title></head>'
        f'<body style="font-family: sans-serif; max-width: 48em; margin: 2em auto">{content}'
        "<p><small>A page of the local runtime only (<code>a2n dev</code>); on AWS these links go to "
        "A2N_APP_BASE_URL, your own front end.</small></p></body></html>"
    )
    # The URL holds the token: never cached, never sent on as a Referer.
    headers = [("content-type", "text/html; charset=utf-8"), ("cache-control", "no-store"),
               ("referrer-policy", "no-referrer")]  # fmt: skip
    return apigw.HttpResponse(status, headers, page.encode())
