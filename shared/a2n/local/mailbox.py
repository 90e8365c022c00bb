"""The local mailbox: what the application sent through (moto's) SES, for developers and e2e tests.

moto runs in this process (``MotoServer``), so its SES backend's sent messages are read directly —
moto documents that list as the way to inspect sent mail. ``GET /dev/mailbox`` (served by the local
gateway only; no template declares it, so it is never deployed) lists them newest first, and
``MailAnnouncer`` prints each new one's subject and links while ``a2n dev`` runs.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Any
from urllib.parse import parse_qs

from a2n.local import apigw

MAILBOX_PATH = "/dev/mailbox"
_LINK = re.compile(r"https?://[^\s<>\"']+")
_POLL_S = 0.5


@dataclass(frozen=True)
class MailboxMessage:
    id: str
    sender: str
    to: list[str]
    subject: str
    text: str
    html: str
    template: str | None

    @property
    def links(self) -> list[str]:
        return _LINK.findall(self.text)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": self.sender,
            "to": self.to,
            "subject": self.subject,
            "template": self.template,
            "text": self.text,
            "html": self.html,
            "links": self.links,
        }


class Mailbox:
    """moto's sent SES messages (v1 and v2 APIs share one backend per account and region)."""

    def __init__(self, region: str) -> None:
        self.region = region

    def verify_sender(self, sender: str) -> None:
        """Make ``sender``'s domain a verified identity, as an operator does in SES before sending."""
        domain = parseaddr(sender)[1].rpartition("@")[2]
        if domain:
            self._backend().verify_domain(domain)

    def messages(self) -> list[MailboxMessage]:
        """Every sent message, oldest first."""
        return [_parse(raw) for raw in list(self._backend().sent_messages)]

    def count(self) -> int:
        return len(self._backend().sent_messages)

    def _backend(self) -> Any:
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        return ses_backends[DEFAULT_ACCOUNT_ID][self.region]


def mailbox_response(mailbox: Mailbox, request: apigw.HttpRequest) -> apigw.HttpResponse:
    """``GET /dev/mailbox[?to=address]``: ``{items, nextCursor}``, newest first."""
    if request.method not in ("GET", "HEAD"):
        return apigw.gateway_error(405, "Method Not Allowed")
    wanted = (parse_qs(request.raw_query).get("to") or [""])[0].strip().lower()
    items = [
        message.as_json()
        for message in reversed(mailbox.messages())
        if not wanted or wanted in (address.lower() for address in message.to)
    ]
    body = json.dumps({"items": items, "nextCursor": None}).encode()
    return apigw.HttpResponse(200, [("content-type", "application/json")], body)


class MailAnnouncer:
    """Calls ``announce`` with every message sent after ``start`` (a polling thread; moto has no hook)."""

    def __init__(self, mailbox: Mailbox, announce: Callable[[MailboxMessage], None]) -> None:
        self._mailbox = mailbox
        self._announce = announce
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        seen = self._mailbox.count()

        def watch() -> None:
            nonlocal seen
            while not self._stop.wait(_POLL_S):
                fresh = self._mailbox.messages()[seen:]
                seen += len(fresh)
                for message in fresh:
                    self._announce(message)

        self._thread = threading.Thread(target=watch, name="a2n-mail", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def describe(message: MailboxMessage) -> str:
    """What ``a2n dev`` prints for a sent message: recipient, subject, then each link."""
    lines = [f"✉  to {', '.join(message.to)}: {message.subject}"]
    lines += [f"     {link}" for link in message.links]
    return "\n".join(lines)


def _parse(sent: Any) -> MailboxMessage:
    raw = getattr(sent, "raw_data", None)
    if raw is None:  # a Simple (non-raw) send: one body, no MIME
        destinations = getattr(sent, "destinations", {}) or {}
        to = [a for key in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(key, [])]
        body = str(getattr(sent, "body", ""))
        return MailboxMessage(str(sent.id), str(sent.source), to, str(sent.subject), body, body, None)
    parsed = email.message_from_string(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    to = [address for _, address in getaddresses([str(parsed.get("To", ""))]) if address]
    return MailboxMessage(
        id=str(sent.id),
        sender=str(parsed.get("From", sent.source)),
        to=to or list(getattr(sent, "destinations", [])),
        subject=str(parsed.get("Subject", "")),
        text=_part(parsed, "plain"),
        html=_part(parsed, "html"),
        template=str(parsed["X-A2N-Template"]) if parsed["X-A2N-Template"] else None,
    )


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    if body is None:
        return ""
    content = body.get_content()
    return content if isinstance(content, str) else ""
