"""Reading what moto's SES sent, for integration tests of the account flows (in-process moto)."""

from __future__ import annotations

import re


def sent_mail(to: str | None = None) -> list[dict[str, str]]:
    """What moto's SES sent (oldest first): to, subject, template, text."""
    from email import message_from_string, policy

    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    found = []
    for sent in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages:
        parsed = message_from_string(sent.raw_data, policy=policy.default)
        body = parsed.get_body(("plain",))
        message = {
            "to": str(parsed["To"]),
            "subject": str(parsed["Subject"]),
            "template": str(parsed["X-A2N-Template"]),
            "text": body.get_content() if body is not None else "",
        }
        if to is None or message["to"].lower() == to.lower():
            found.append(message)
    return found


def link_token(message: dict[str, str]) -> str:
    found = re.search(r"[?&]token=([A-Za-z0-9_\-]+)", message["text"])
    assert found, message["text"]
    return found.group(1)
