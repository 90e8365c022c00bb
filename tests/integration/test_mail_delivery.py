"""Mail through SES (moto): the mailer sends both parts from the verified sender; a job queued without
a queue is delivered at once; the mail-sender function reports a job it cannot deliver one by one."""

from __future__ import annotations

import json
from email import message_from_string, policy
from typing import Any

import pytest

from a2n.adapters.mailer import MailNotSent, send_email
from a2n.mail.templates import render
from a2n.services.mail import MailJob, deliver_mail_batch, send_later
from a2n.settings import reset_settings


def sent_messages() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def test_the_mailer_sends_text_and_html_from_the_configured_sender(ses: None) -> None:
    email = render("notice", {"title": "Hello", "message": "Line one\nhttps://app.example/x"})

    message_id = send_email("ada@example.com", email)

    (sent,) = sent_messages()
    parsed = message_from_string(sent.raw_data, policy=policy.default)
    assert message_id and sent.id == message_id
    assert parsed["From"] == "A2N <no-reply@mail.a2n.test>" and parsed["To"] == "ada@example.com"
    assert parsed["Subject"] == "Hello"
    assert "https://app.example/x" in parsed.get_body(("plain",)).get_content()
    assert "<h1" in parsed.get_body(("html",)).get_content()


def test_a_refused_send_is_mail_not_sent(ses: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("A2N_MAIL_FROM", "someone@unverified.example")
    reset_settings()

    with pytest.raises(MailNotSent, match="notice"):
        send_email("ada@example.com", render("notice", {"title": "t", "message": "m"}))
    assert sent_messages() == []


def test_without_a_queue_a_job_is_delivered_at_once(ses: None, database_url: str) -> None:
    send_later([MailJob("notice", {"to": "lin@example.com", "title": "Queued", "message": "now"})])

    (sent,) = sent_messages()
    assert "lin@example.com" in sent.destinations or "lin@example.com" in sent.raw_data


def test_the_sender_function_reports_only_the_jobs_it_could_not_deliver(ses: None, database_url: str) -> None:
    good = MailJob("notice", {"to": "kim@example.com", "title": "Fine", "message": "ok"})
    records = [
        {"messageId": "m-good", "body": good.to_body(), "eventSource": "aws:sqs"},
        {"messageId": "m-unknown", "body": json.dumps({"kind": "no-such-kind", "params": {}}),
         "eventSource": "aws:sqs"},
        {"messageId": "m-junk", "body": "not json", "eventSource": "aws:sqs"},
    ]

    answer = deliver_mail_batch({"Records": records}, None)

    assert sorted(f["itemIdentifier"] for f in answer["batchItemFailures"]) == ["m-junk", "m-unknown"]
    (sent,) = sent_messages()
    assert "Subject: Fine" in sent.raw_data


def test_jobs_carry_plain_values_only(ses: None) -> None:
    job = MailJob.from_body(MailJob("notice", {"to": "a@b.co", "title": "t", "message": "m"}).to_body())
    assert job == MailJob("notice", {"to": "a@b.co", "title": "t", "message": "m"})
