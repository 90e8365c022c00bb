"""Every action of the built-in catalogue against a loopback server that answers for the provider's
own host name over TLS: the request must be exactly what the provider's API reference documents
(method, path, auth placement, headers, body) and the reference's example response must map to the
documented output. Each case cites its reference page.

Also the package's egress allow-list: a redirect off the list is refused, and a credential of
another package or type never reaches an action.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from provider_support import ProviderServer, serve_providers

from a2n.nodes.context import Credential, NodeContext, NodeFailed
from a2n.nodes.http.actions import ActionCall, run_action
from a2n.services.integrations.builtin import builtin_manifests


@pytest.fixture
def provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProviderServer]:
    yield from serve_providers(tmp_path, monkeypatch)


def manifest(name: str) -> dict[str, Any]:
    return next(m for m in builtin_manifests() if m["name"] == name)


def context(credential: Credential | None) -> NodeContext:
    return NodeContext(
        execution_id="ex-1",
        node_id="act",
        node_type="integration",
        attempt=1,
        config={},
        input=None,
        expression_context={},
        credential=credential,
        timeout_s=10.0,
        now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )


@dataclass
class Case:
    reference: str  # the API reference page this request and answer follow
    package: str
    action: str
    credential_type: str
    credential_data: dict[str, Any]
    input: dict[str, Any]
    method: str
    path: str  # with the query string, as sent
    answer: Any
    output: Any
    auth: tuple[str, str] | None  # (header, exact value); None: auth travels elsewhere (see path)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    form: dict[str, list[str]] | None = None
    answer_status: int = 200
    answer_headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


SLACK_POST_ANSWER = {
    "ok": True,
    "channel": "C123ABC456",
    "ts": "1503435956.000247",
    "message": {
        "text": "Here's a message for you",
        "username": "ecto1",
        "bot_id": "B123ABC456",
        "attachments": [
            {"text": "This is an attachment", "id": 1, "fallback": "This is an attachment's fallback"}
        ],
        "type": "message",
        "subtype": "bot_message",
        "ts": "1503435956.000247",
    },
}
GITHUB_ISSUE = {
    "id": 1,
    "node_id": "MDU6SXNzdWUx",
    "url": "https://api.github.com/repos/octocat/Hello-World/issues/1347",
    "html_url": "https://github.com/octocat/Hello-World/issues/1347",
    "number": 1347,
    "state": "open",
    "title": "Found a bug",
    "body": "I'm having a problem with this.",
}
ANTHROPIC_ANSWER = {
    "content": [{"text": "Hi! My name is Claude.", "type": "text"}],
    "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
    "model": "claude-sonnet-4-5",
    "role": "assistant",
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "type": "message",
    "usage": {"input_tokens": 2095, "output_tokens": 503},
}
OPENAI_ANSWER = {
    "id": "chatcmpl-123",
    "object": "chat.completion",
    "created": 1677652288,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "\n\nHello there, how may I assist you today?"},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
}

CASES = [
    Case(
        "https://api.slack.com/methods/chat.postMessage",
        "slack",
        "post_message",
        "bot_token",
        {"token": "xoxb-test-token-1"},
        {"channel": "C123ABC456", "text": "Hello world"},
        "POST",
        "/api/chat.postMessage",
        SLACK_POST_ANSWER,
        {"channel": "C123ABC456", "ts": "1503435956.000247", "message": SLACK_POST_ANSWER["message"]},
        ("authorization", "Bearer xoxb-test-token-1"),
        {"content-type": "application/json; charset=utf-8"},
        body={"channel": "C123ABC456", "text": "Hello world"},
    ),
    Case(
        "https://docs.github.com/en/rest/issues/issues#create-an-issue",
        "github",
        "create_issue",
        "token",
        {"token": "ghp_testtoken123"},
        {
            "owner": "octocat",
            "repo": "Hello-World",
            "title": "Found a bug",
            "body": "I'm having a problem with this.",
            "labels": ["bug"],
        },
        "POST",
        "/repos/octocat/Hello-World/issues",
        GITHUB_ISSUE,
        {
            "id": 1,
            "number": 1347,
            "url": "https://github.com/octocat/Hello-World/issues/1347",
            "state": "open",
        },
        ("authorization", "Bearer ghp_testtoken123"),
        {"accept": "application/vnd.github+json", "x-github-api-version": "2022-11-28"},
        body={"title": "Found a bug", "body": "I'm having a problem with this.", "labels": ["bug"]},
        answer_status=201,
    ),
    Case(
        "https://docs.github.com/en/rest/issues/comments#create-an-issue-comment",
        "github",
        "create_comment",
        "token",
        {"token": "ghp_testtoken123"},
        {"owner": "octocat", "repo": "Hello-World", "issue_number": 1347, "body": "Me too"},
        "POST",
        "/repos/octocat/Hello-World/issues/1347/comments",
        {
            "id": 1,
            "html_url": "https://github.com/octocat/Hello-World/issues/1347#issuecomment-1",
            "body": "Me too",
        },
        {"id": 1, "url": "https://github.com/octocat/Hello-World/issues/1347#issuecomment-1"},
        ("authorization", "Bearer ghp_testtoken123"),
        {"accept": "application/vnd.github+json"},
        body={"body": "Me too"},
        answer_status=201,
    ),
    Case(
        "https://docs.stripe.com/api/customers/create",
        "stripe",
        "create_customer",
        "secret_key",
        {"key": "sk_test_4eC39HqLyjWDarjtT1zdp7dc"},
        {"email": "jennyrosen@example.com", "name": "Jenny Rosen"},
        "POST",
        "/v1/customers",
        {
            "id": "cus_NffrFeUfNV2Hib",
            "object": "customer",
            "email": "jennyrosen@example.com",
            "name": "Jenny Rosen",
        },
        {
            "id": "cus_NffrFeUfNV2Hib",
            "object": "customer",
            "email": "jennyrosen@example.com",
            "name": "Jenny Rosen",
        },
        ("authorization", "Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc"),
        {"content-type": "application/x-www-form-urlencoded"},
        form={"email": ["jennyrosen@example.com"], "name": ["Jenny Rosen"]},
    ),
    Case(
        "https://docs.stripe.com/api/payment_intents/create",
        "stripe",
        "create_payment_intent",
        "secret_key",
        {"key": "sk_test_4eC39HqLyjWDarjtT1zdp7dc"},
        {"amount": 2000, "currency": "usd"},
        "POST",
        "/v1/payment_intents",
        {
            "id": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
            "object": "payment_intent",
            "amount": 2000,
            "currency": "usd",
            "status": "requires_payment_method",
        },
        {
            "id": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
            "object": "payment_intent",
            "amount": 2000,
            "currency": "usd",
            "status": "requires_payment_method",
        },
        ("authorization", "Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc"),
        form={"amount": ["2000"], "currency": ["usd"]},
    ),
    Case(
        "https://docs.stripe.com/api/refunds/create",
        "stripe",
        "create_refund",
        "secret_key",
        {"key": "sk_test_4eC39HqLyjWDarjtT1zdp7dc"},
        {"payment_intent": "pi_Aabcxyz01aDfoo"},
        "POST",
        "/v1/refunds",
        {"id": "re_1Nispe2eZvKYlo2Cd31jOCgZ", "object": "refund", "amount": 1000, "status": "succeeded"},
        {"id": "re_1Nispe2eZvKYlo2Cd31jOCgZ", "object": "refund", "amount": 1000, "status": "succeeded"},
        ("authorization", "Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc"),
        form={"payment_intent": ["pi_Aabcxyz01aDfoo"]},
    ),
    Case(
        "https://developers.notion.com/reference/post-page",
        "notion",
        "create_page",
        "integration_token",
        {"token": "secret_notion_abc"},
        {
            "database_id": "d9824bdc84454327be8b5b47500af6ce",
            "properties": {"Name": {"title": [{"text": {"content": "Tuscan kale"}}]}},
        },
        "POST",
        "/v1/pages",
        {
            "object": "page",
            "id": "59833787-2cf9-4fdf-8782-e53db20768a5",
            "url": "https://www.notion.so/Tuscan-kale-598337872cf94fdf8782e53db20768a5",
        },
        {
            "id": "59833787-2cf9-4fdf-8782-e53db20768a5",
            "url": "https://www.notion.so/Tuscan-kale-598337872cf94fdf8782e53db20768a5",
        },
        ("authorization", "Bearer secret_notion_abc"),
        {"notion-version": "2022-06-28"},
        body={
            "parent": {"database_id": "d9824bdc84454327be8b5b47500af6ce"},
            "properties": {"Name": {"title": [{"text": {"content": "Tuscan kale"}}]}},
        },
    ),
    Case(
        "https://airtable.com/developers/web/api/create-records",
        "airtable",
        "create_record",
        "token",
        {"token": "patTESTTOKEN.abc"},
        {
            "baseId": "appLkNDICXNqxSDhG",
            "table": "Apartments",
            "fields": {"Name": "Apartment 340", "Visited": True},
        },
        "POST",
        "/v0/appLkNDICXNqxSDhG/Apartments",
        {
            "records": [
                {
                    "id": "rec560UJdUtocSouk",
                    "createdTime": "2022-09-12T21:03:48.000Z",
                    "fields": {"Name": "Apartment 340", "Visited": True},
                }
            ]
        },
        {
            "id": "rec560UJdUtocSouk",
            "createdTime": "2022-09-12T21:03:48.000Z",
            "fields": {"Name": "Apartment 340", "Visited": True},
        },
        ("authorization", "Bearer patTESTTOKEN.abc"),
        body={"records": [{"fields": {"Name": "Apartment 340", "Visited": True}}]},
    ),
    Case(
        "https://airtable.com/developers/web/api/update-record",
        "airtable",
        "update_record",
        "token",
        {"token": "patTESTTOKEN.abc"},
        {
            "baseId": "appLkNDICXNqxSDhG",
            "table": "Apartments",
            "recordId": "rec560UJdUtocSouk",
            "fields": {"Visited": False},
        },
        "PATCH",
        "/v0/appLkNDICXNqxSDhG/Apartments/rec560UJdUtocSouk",
        {"id": "rec560UJdUtocSouk", "fields": {"Name": "Apartment 340", "Visited": False}},
        {"id": "rec560UJdUtocSouk", "fields": {"Name": "Apartment 340", "Visited": False}},
        ("authorization", "Bearer patTESTTOKEN.abc"),
        body={"fields": {"Visited": False}},
    ),
    Case(
        "https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets.values/append",
        "google-sheets",
        "append_values",
        "oauth",
        {
            "clientId": "cid",
            "clientSecret": "csecret",
            "accessToken": "ya29.test-access",
            "refreshToken": "1//refresh",
            "expiresAt": "2099-01-01T00:00:00Z",
        },
        {
            "spreadsheetId": "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms",
            "range": "Sheet1!A1",
            "values": [["Door", "$15", "2", "3/15/2016"]],
        },
        "POST",
        "/v4/spreadsheets/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/values/Sheet1!A1:append"
        "?valueInputOption=USER_ENTERED",
        {
            "spreadsheetId": "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms",
            "tableRange": "Sheet1!A1:D5",
            "updates": {
                "updatedRange": "Sheet1!A6:D6",
                "updatedRows": 1,
                "updatedColumns": 4,
                "updatedCells": 4,
            },
        },
        {"updatedRange": "Sheet1!A6:D6", "updatedRows": 1},
        ("authorization", "Bearer ya29.test-access"),
        body={"range": "Sheet1!A1", "majorDimension": "ROWS", "values": [["Door", "$15", "2", "3/15/2016"]]},
    ),
    Case(
        "https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets.values/get",
        "google-sheets",
        "read_values",
        "oauth",
        {
            "clientId": "cid",
            "clientSecret": "csecret",
            "accessToken": "ya29.test-access",
            "expiresAt": "2099-01-01T00:00:00Z",
        },
        {"spreadsheetId": "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms", "range": "Sheet1!A1:D2"},
        "GET",
        "/v4/spreadsheets/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/values/Sheet1!A1:D2",
        {
            "range": "Sheet1!A1:D2",
            "majorDimension": "ROWS",
            "values": [["Item", "Cost"], ["Wheel", "$20.50"]],
        },
        {"range": "Sheet1!A1:D2", "values": [["Item", "Cost"], ["Wheel", "$20.50"]]},
        ("authorization", "Bearer ya29.test-access"),
    ),
    Case(
        "https://discord.com/developers/docs/resources/webhook#execute-webhook",
        "discord",
        "send_message",
        "webhook",
        {
            "webhookUrl": "https://discord.com/api/webhooks/223704706495545344/3d89bb7572e0fb30d8128367b3b1b44fecd1726de135cbe28a41f8b2f777c372ba2939e72279b94526ff5d1bd4358d65cf11"
        },
        {"content": "Hello from A2N"},
        "POST",
        "/api/webhooks/223704706495545344/3d89bb7572e0fb30d8128367b3b1b44fecd1726de135cbe28a41f8b2f777c372ba2939e72279b94526ff5d1bd4358d65cf11?wait=true",
        {"id": "1234567890", "type": 0, "content": "Hello from A2N", "channel_id": "223704706495545344"},
        {"id": "1234567890", "channelId": "223704706495545344"},
        None,
        body={"content": "Hello from A2N"},
    ),
    Case(
        "https://core.telegram.org/bots/api#sendmessage",
        "telegram",
        "send_message",
        "bot_token",
        {"token": "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"},
        {"chat_id": 42, "text": "Hello"},
        "POST",
        "/bot123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11/sendMessage",
        {
            "ok": True,
            "result": {
                "message_id": 7,
                "chat": {"id": 42, "type": "private"},
                "date": 1700000000,
                "text": "Hello",
            },
        },
        {"message_id": 7, "chat": {"id": 42, "type": "private"}, "date": 1700000000, "text": "Hello"},
        None,
        body={"chat_id": 42, "text": "Hello"},
    ),
    Case(
        "https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send",
        "sendgrid",
        "send_email",
        "api_key",
        {"key": "SG.test-key.abc"},
        {
            "to": "john_doe@example.com",
            "from": "sales@example.com",
            "subject": "Hello, World!",
            "text": "Heya!",
        },
        "POST",
        "/v3/mail/send",
        b"",
        {"accepted": True, "messageId": "iZ0eYd3qRwSm-JbS8x-1vQ"},
        ("authorization", "Bearer SG.test-key.abc"),
        {"content-type": "application/json"},
        body={
            "personalizations": [{"to": [{"email": "john_doe@example.com"}]}],
            "from": {"email": "sales@example.com"},
            "subject": "Hello, World!",
            "content": [{"type": "text/plain", "value": "Heya!"}],
        },
        answer_status=202,
        answer_headers={"X-Message-Id": "iZ0eYd3qRwSm-JbS8x-1vQ"},
    ),
    Case(
        "https://platform.openai.com/docs/api-reference/chat/create",
        "openai",
        "chat_completion",
        "api_key",
        {"apiKey": "sk-test-openai"},
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}]},
        "POST",
        "/v1/chat/completions",
        OPENAI_ANSWER,
        {
            "content": "\n\nHello there, how may I assist you today?",
            "finishReason": "stop",
            "model": "gpt-4o-mini",
            "usage": OPENAI_ANSWER["usage"],
        },
        ("authorization", "Bearer sk-test-openai"),
        body={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}]},
    ),
    Case(
        "https://docs.anthropic.com/en/api/messages",
        "anthropic",
        "create_message",
        "api_key",
        {"key": "sk-ant-test"},
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "messages": [{"role": "user", "content": "Hello, world"}],
        },
        "POST",
        "/v1/messages",
        ANTHROPIC_ANSWER,
        {
            "text": "Hi! My name is Claude.",
            "stopReason": "end_turn",
            "model": "claude-sonnet-4-5",
            "usage": ANTHROPIC_ANSWER["usage"],
            "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        },
        ("x-api-key", "sk-ant-test"),
        {"anthropic-version": "2023-06-01", "content-type": "application/json"},
        body={
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "messages": [{"role": "user", "content": "Hello, world"}],
        },
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.package}.{c.action}")
def test_each_action_sends_what_its_api_reference_documents_and_maps_the_documented_answer(
    provider: ProviderServer, case: Case
) -> None:
    provider.answer(
        case.method, case.path, case.answer, status=case.answer_status, headers=case.answer_headers
    )
    credential = Credential("cred-1", f"{case.package}:{case.credential_type}", case.credential_data)
    result = run_action(context(credential), ActionCall(manifest(case.package), case.action, case.input))
    assert result.output == case.output, case.reference
    (sent,) = provider.requests
    assert (sent.method, sent.path) == (case.method, case.path), case.reference
    if case.auth is not None:
        assert sent.headers[case.auth[0]] == case.auth[1], case.reference
    else:
        assert "authorization" not in sent.headers  # the token travels in the URL, as documented
    for name, value in case.headers.items():
        assert sent.headers[name] == value, (name, case.reference)
    if case.body is not None:
        assert sent.json() == case.body, case.reference
    if case.form is not None:
        assert parse_qs(sent.body.decode()) == case.form, case.reference


def test_slack_list_channels_follows_the_cursor_until_it_is_empty(provider: ProviderServer) -> None:
    """https://api.slack.com/methods/conversations.list: `response_metadata.next_cursor`, then
    `cursor=` on the next call; an empty cursor ends the list."""
    provider.answer(
        "GET",
        "/api/conversations.list?limit=2",
        {
            "ok": True,
            "channels": [{"id": "C012AB3CD", "name": "general"}, {"id": "C061EG9T2", "name": "random"}],
            "response_metadata": {"next_cursor": "dGVhbTpDMDYxRkE1UEI="},
        },
    )
    provider.answer(
        "GET",
        "/api/conversations.list?limit=2&cursor=dGVhbTpDMDYxRkE1UEI%3D",
        {
            "ok": True,
            "channels": [{"id": "C0G9QKBBL", "name": "launch"}],
            "response_metadata": {"next_cursor": ""},
        },
    )
    credential = Credential("c", "slack:bot_token", {"token": "xoxb-1"})
    result = run_action(context(credential), ActionCall(manifest("slack"), "list_channels", {"limit": 2}))
    assert [c["name"] for c in result.output["channels"]] == ["general", "random", "launch"]
    assert len(provider.requests) == 2


def test_github_list_repos_follows_link_next_and_stops_at_the_page_cap(provider: ProviderServer) -> None:
    """https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api: Link rel=next."""
    for page in range(1, 15):
        link = f'<https://api.github.com/user/repos?per_page=1&page={page + 1}>; rel="next"'
        path = "/user/repos?per_page=1" + (f"&page={page}" if page > 1 else "")
        provider.answer(
            "GET",
            path,
            [
                {
                    "id": page,
                    "name": f"r{page}",
                    "full_name": f"o/r{page}",
                    "private": False,
                    "html_url": f"https://github.com/o/r{page}",
                }
            ],
            headers={"Content-Type": "application/json", "Link": link},
        )
    credential = Credential("c", "github:token", {"token": "ghp_x"})
    result = run_action(context(credential), ActionCall(manifest("github"), "list_repos", {"per_page": 1}))
    assert [r["id"] for r in result.output["repositories"]] == list(range(1, 11))  # maxPages: 10
    assert len(provider.requests) == 10


def test_a_slack_error_in_a_200_answer_fails_the_node_as_the_error_rules_say(
    provider: ProviderServer,
) -> None:
    provider.answer("POST", "/api/chat.postMessage", {"ok": False, "error": "channel_not_found"})
    credential = Credential("c", "slack:bot_token", {"token": "xoxb-1"})
    with pytest.raises(NodeFailed) as failed:
        run_action(
            context(credential), ActionCall(manifest("slack"), "post_message", {"channel": "C1", "text": "x"})
        )
    assert failed.value.message == "Slack refused: channel_not_found"
    assert failed.value.retryable is False
    provider.answer("POST", "/api/chat.postMessage", {"ok": False, "error": "ratelimited"})
    with pytest.raises(NodeFailed) as limited:
        run_action(
            context(credential), ActionCall(manifest("slack"), "post_message", {"channel": "C1", "text": "x"})
        )
    assert limited.value.retryable is True


def test_a_redirect_to_a_host_outside_the_allow_list_is_refused_before_it_is_reached(
    provider: ProviderServer,
) -> None:
    provider.answer(
        "POST", "/api/chat.postMessage", b"", status=307, headers={"Location": "https://evil.example/steal"}
    )
    credential = Credential("c", "slack:bot_token", {"token": "xoxb-1"})
    with pytest.raises(NodeFailed) as blocked:
        run_action(
            context(credential), ActionCall(manifest("slack"), "post_message", {"channel": "C1", "text": "x"})
        )
    assert "outside the package's allow-list" in blocked.value.message
    assert [r.host for r in provider.requests] == ["slack.com"]  # evil.example never saw a request


def test_a_credential_field_url_outside_the_allow_list_is_refused(provider: ProviderServer) -> None:
    credential = Credential("c", "discord:webhook", {"webhookUrl": "https://evil.example/api/webhooks/1/x"})
    with pytest.raises(NodeFailed, match="outside the package's allow-list"):
        run_action(context(credential), ActionCall(manifest("discord"), "send_message", {"content": "hi"}))
    assert provider.requests == []


@pytest.mark.parametrize("credential_type", ["bearer", "github:token", "slack:oauth_other"])
def test_an_action_never_sees_a_credential_of_another_type_or_package(
    provider: ProviderServer, credential_type: str
) -> None:
    credential = Credential("c", credential_type, {"token": "ghp_secret_of_another_package"})
    with pytest.raises(NodeFailed, match="cannot be used by this action"):
        run_action(
            context(credential), ActionCall(manifest("slack"), "post_message", {"channel": "C", "text": "x"})
        )
    assert provider.requests == []


def test_input_that_breaks_the_action_schema_fails_before_any_request(provider: ProviderServer) -> None:
    credential = Credential("c", "slack:bot_token", {"token": "xoxb-1"})
    with pytest.raises(NodeFailed, match="input does not match"):
        run_action(context(credential), ActionCall(manifest("slack"), "post_message", {"channel": "C"}))
    assert provider.requests == []


def test_an_expired_oauth2_token_is_refreshed_at_the_manifests_token_url_first(
    provider: ProviderServer,
) -> None:
    """https://developers.google.com/identity/protocols/oauth2/web-server#offline: refresh_token grant."""
    provider.answer(
        "POST", "/token", {"access_token": "ya29.fresh", "expires_in": 3599, "token_type": "Bearer"}
    )
    provider.answer("GET", "/v4/spreadsheets/S/values/A1", {"range": "Sheet1!A1", "values": [["x"]]})
    stale = {
        "clientId": "cid",
        "clientSecret": "csec",
        "accessToken": "ya29.old",
        "refreshToken": "1//r",
        "expiresAt": "2020-01-01T00:00:00Z",
    }
    result = run_action(
        context(Credential("c", "google-sheets:oauth", stale)),
        ActionCall(manifest("google-sheets"), "read_values", {"spreadsheetId": "S", "range": "A1"}),
    )
    assert result.output == {"range": "Sheet1!A1", "values": [["x"]]}
    token_call, call = provider.requests
    assert token_call.host == "oauth2.googleapis.com"
    assert parse_qs(token_call.body.decode()) == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["1//r"],
        "client_id": ["cid"],
        "client_secret": ["csec"],
    }
    assert call.headers["authorization"] == "Bearer ya29.fresh"
    assert "ya29.fresh" in result.secrets


def test_every_built_in_package_passes_its_own_published_schema() -> None:
    from a2n.integrations.manifest import manifest_problems

    found = {m["name"]: manifest_problems(m) for m in builtin_manifests()}
    assert found == {name: [] for name in found}
    assert len(found) >= 10
