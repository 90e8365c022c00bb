"""Email through the local runtime: a mail job on MailQueue reaches the mail-sender function, which
sends it through moto's SES; ``GET /dev/mailbox`` shows it, and the links in account emails open the
runtime's stand-in account pages (``/dev/verify-email`` …), which exist only locally."""

from __future__ import annotations

import html
import re
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from e2e_support import PASSWORD, ApiClient, RegisteredUser
from mail_support import inbox, token_in, wait_for_mail

from a2n.local.runtime import LocalRuntime
from a2n.local.template import load_template
from a2n.services.mail import MailJob

ROOT = Path(__file__).resolve().parents[2]


def test_a_queued_mail_job_is_sent_and_shows_in_the_local_mailbox(
    stack: LocalRuntime, api: ApiClient
) -> None:
    to = f"mail-{uuid.uuid4().hex[:8]}@example.com"
    job = MailJob("notice", {"to": to, "title": "Hello from the queue", "message": "See https://a2n.test/x"})

    stack.aws_client("sqs").send_message(QueueUrl=stack.queue_url("MailQueue"), MessageBody=job.to_body())

    message = wait_for_mail(api, to, "notice")
    assert message["subject"] == "Hello from the queue"
    assert message["to"] == [to] and message["from"].endswith("<no-reply@example.com>")
    assert message["links"] == ["https://a2n.test/x"]
    assert "<h1" in message["html"] and "See https://a2n.test/x" in message["text"]
    assert inbox(api, "nobody-" + to) == []


def click(api: ApiClient, link: str) -> tuple[str, str]:
    """Open an email's link as a browser would: the page's path and HTML."""
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == api.base_url, link  # a link to this very runtime
    path = f"{parts.path}?{parts.query}" if parts.query else parts.path
    page = api.get(path, token="")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html"), page.body
    assert page.headers["referrer-policy"] == "no-referrer"  # the URL holds the token
    return parts.path, page.body.decode()


def submit(api: ApiClient, path: str, **fields: str) -> str:
    """Press the page's button: its form POSTed to the page; the API's status as the page shows it."""
    form = urlencode(fields).encode()
    answer = api.post(path, body=form, headers={"Content-Type": "application/x-www-form-urlencoded"},
                      token="")  # fmt: skip
    assert answer.status == 200, answer.body
    found = re.search(r'id="status">(\d+)<', answer.body.decode())
    assert found, answer.body
    return found.group(1)


def test_the_links_of_account_emails_open_local_pages_that_act_only_when_submitted(
    api: ApiClient,
) -> None:
    email = f"pages-{uuid.uuid4().hex[:8]}@example.com"
    assert api.post("/auth/register", {"email": email, "password": PASSWORD}).status == 202
    verification = wait_for_mail(api, email, "verify_email")

    path, page = click(api, verification["links"][0])
    click(api, verification["links"][0])  # opening it again (a link preview, a mail scanner) …

    assert path == "/dev/verify-email"
    assert f'value="{token_in(verification)}"' in page and 'method="post"' in page
    assert submit(api, path, token=token_in(verification)) == "204"  # … spent nothing until now
    assert submit(api, path, token=token_in(verification)) == "400"  # single-use, as the API says
    signed_in = api.post("/auth/login", {"email": email, "password": PASSWORD}).json
    assert api.get("/me", token=signed_in["accessToken"]).json["emailVerified"] is True


def test_a_password_reset_goes_from_the_forgot_page_to_the_reset_page(
    api: ApiClient, user: RegisteredUser
) -> None:
    notice = wait_for_mail(api, user.email, "verify_email")  # every account email links its pages
    assert urlsplit(notice["links"][0]).path.startswith("/dev/")

    assert submit(api, "/dev/forgot-password", email=user.email) == "202"
    reset = wait_for_mail(api, user.email, "password_reset")
    path, page = click(api, reset["links"][0])
    assert path == "/dev/reset-password" and 'type="password"' in page
    assert submit(api, path, token=token_in(reset), password="short") == "422"
    assert submit(api, path, token=token_in(reset), password="a page-chosen passphrase 7") == "204"

    chosen = {"email": user.email, "password": "a page-chosen passphrase 7"}
    assert api.post("/auth/login", chosen).status == 200
    assert user.client.get("/me").status == 401  # the reset ended every session


def test_a_page_shows_what_it_is_given_as_text_never_as_markup(api: ApiClient) -> None:
    hostile = '"><script>alert(1)</script>'
    page = api.get("/dev/verify-email?" + urlencode({"token": hostile}), token="").body.decode()
    assert "<script>alert(1)" not in page and html.escape(hostile, quote=True) in page


def test_the_mailbox_is_no_route_of_the_deployed_api(stack: LocalRuntime) -> None:
    routes = {route.path for route in load_template(ROOT / "template.yaml").routes}
    assert not any(path.startswith("/dev") for path in routes)
    from a2n.api.catalogue import openapi_document

    assert not any(path.startswith("/dev") for path in openapi_document()["paths"])
