"""Email through the local runtime: a mail job on MailQueue reaches the mail-sender function, which
sends it through moto's SES; ``GET /dev/mailbox`` shows it (and exists only locally)."""

from __future__ import annotations

import uuid
from pathlib import Path

from e2e_support import ApiClient
from mail_support import inbox, wait_for_mail

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


def test_the_mailbox_is_no_route_of_the_deployed_api(stack: LocalRuntime) -> None:
    routes = {route.path for route in load_template(ROOT / "template.yaml").routes}
    assert not any(path.startswith("/dev") for path in routes)
    from a2n.api.catalogue import openapi_document

    assert not any(path.startswith("/dev") for path in openapi_document()["paths"])
