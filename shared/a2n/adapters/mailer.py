"""The mailer: email out through Amazon SES (API v2), the only module that talks to SES.

Each message goes as one raw MIME message (multipart/alternative: plain text first, then HTML), so
both parts reach the recipient — and moto's SES keeps both for the local mailbox. The client is
built on first use and cached per container; ``AWS_ENDPOINT_URL`` points it at moto locally.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

    from a2n.mail.templates import RenderedEmail


class MailNotSent(Exception):
    """SES refused or could not be reached; the message was not sent (the caller may retry)."""


def send_email(to: str, email: RenderedEmail) -> str:
    """Send ``email`` to ``to`` from the configured sender; returns SES's message id."""
    from a2n.settings import get_settings

    settings = get_settings()
    raw = mime_message(settings.mail_from, to, email).as_bytes()
    request: dict[str, object] = {
        "FromEmailAddress": settings.mail_from,
        "Destination": {"ToAddresses": [to]},
        "Content": {"Raw": {"Data": raw}},
    }
    if settings.mail_configuration_set:
        request["ConfigurationSetName"] = settings.mail_configuration_set
    try:
        answer = _client().send_email(**request)  # type: ignore[arg-type]
    except Exception as error:  # botocore's ClientError or a connection error: the text names no secret
        raise MailNotSent(f"SES did not send {email.template!r}: {type(error).__name__}: {error}") from None
    return str(answer.get("MessageId", ""))


def mime_message(sender: str, to: str, email: RenderedEmail) -> EmailMessage:
    """The MIME message SES sends: text and HTML alternatives of one rendered email."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = email.subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    message["X-A2N-Template"] = email.template
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message


def reset_client() -> None:
    """Forget the cached client (tests switch endpoints and mocks)."""
    _client.cache_clear()


@lru_cache(maxsize=1)
def _client() -> SESV2Client:
    import boto3

    from a2n.settings import get_settings

    settings = get_settings()
    return boto3.client("sesv2", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url)
