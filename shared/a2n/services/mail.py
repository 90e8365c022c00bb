"""Mail jobs: what a request wants emailed, queued after its commit and sent by the mail-sender function.

A request never sends email itself. It queues a ``MailJob`` — a kind and a few plain values, never a
secret (the job travels through SQS) — and answers; the mail-sender function composes the message
(creating a single-use token where the kind needs one, in its own transaction), then sends it through
SES. So an answer costs the same whether or not an email follows (no account oracle by timing), a
slow or failing SES never fails a request, and SQS retries what SES refused (dead letters after 5).
Without ``A2N_MAIL_QUEUE_URL`` (tests, tools) a job is delivered at once, in the caller's process.

A new kind is a composer ``(session, params) -> [Outgoing]`` added to ``_composers``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from a2n.errors import ServiceUnavailable
from a2n.mail.messages import Composer, Outgoing

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class MailNotQueued(ServiceUnavailable):
    """The mail queue refused the job: nothing was acknowledged, the request may be retried."""

    retry_after_s = 5

    def __init__(self) -> None:
        super().__init__("Email cannot be queued right now; retry after the Retry-After seconds")


class UnknownMailJob(ValueError):
    """A job of a kind no composer handles (a message from a newer or older deployment)."""


@dataclass(frozen=True)
class MailJob:
    """What to email: ``kind`` picks the composer, ``params`` are its plain string inputs."""

    kind: str
    params: Mapping[str, str] = field(default_factory=dict)

    def to_body(self) -> str:
        return json.dumps({"kind": self.kind, "params": dict(self.params)}, separators=(",", ":"))

    @classmethod
    def from_body(cls, body: str) -> MailJob:
        data = json.loads(body)
        params = data.get("params") or {}
        if not isinstance(data.get("kind"), str) or not isinstance(params, dict):
            raise UnknownMailJob("mail job without a kind")
        return cls(kind=data["kind"], params={str(k): str(v) for k, v in params.items()})


def send_later(jobs: Sequence[MailJob]) -> None:
    """Queue ``jobs`` (call after the commit that decided them). MailNotQueued if SQS refuses any."""
    from a2n.settings import get_settings

    if not jobs:
        return
    queue_url = get_settings().mail_queue_url
    if not queue_url:
        for job in jobs:
            deliver(job)
        return
    from a2n.adapters.sqs import QueuedMessage, send_messages

    failed = send_messages(queue_url, [QueuedMessage(uuid.uuid4().hex, job.to_body()) for job in jobs])
    if failed:
        from a2n.observability import get_logger

        get_logger().error("mail jobs not queued", extra={"kinds": sorted({j.kind for j in jobs})})
        raise MailNotQueued()


def deliver(job: MailJob) -> int:
    """Compose ``job`` (committing whatever the composer records) and send it; returns how many
    messages went out. Raises MailNotSent when SES refuses: the queue retries the job."""
    from a2n.adapters.mailer import send_email
    from a2n.db.uow import UnitOfWork
    from a2n.observability import get_logger

    composer = _composers().get(job.kind)
    if composer is None:
        raise UnknownMailJob(f"no composer for mail job kind {job.kind!r}")
    with UnitOfWork() as uow:
        outgoing = composer(uow.session, job.params)
        uow.commit()
    for message in outgoing:
        send_email(message.to, message.email)
    # The template names what was sent; addresses and links stay out of the logs.
    templates = [m.email.template for m in outgoing]
    get_logger().info("mail sent", extra={"kind": job.kind, "templates": templates})
    return len(outgoing)


def deliver_mail_batch(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The mail-sender function's body: each SQS record is one job; failures reported one by one."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    def record_handler(record: SQSRecord) -> None:
        deliver(MailJob.from_body(record.body))

    processor = BatchProcessor(event_type=EventType.SQS)
    result = process_partial_response(
        event=dict(event), record_handler=record_handler, processor=processor, context=context
    )
    return dict(result)


def compose_notice(session: Session, params: Mapping[str, str]) -> list[Outgoing]:
    """A plain notice (``to``, ``title``, ``message``): for operators and other areas' simple mail."""
    from a2n.mail.templates import render

    email = render("notice", {"title": params["title"], "message": params["message"]})
    return [Outgoing(params["to"], email)]


def _composers() -> dict[str, Composer]:
    from a2n.services.account_mail import composers as account_composers

    return {"notice": compose_notice, **account_composers()}
