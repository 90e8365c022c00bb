"""An app trigger that polls (GitHub "new issue"): the package's request through the integration
interpreter (its credential, its hosts), the first poll only records what exists, each new item
starts one run, an item seen before never starts another."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from credential_support import ORIGIN, attach_as_saved, member
from provider_support import ProviderServer, serve_providers
from sqlalchemy import select
from sqlalchemy.orm import Session
from trigger_support import saved_workflow, trigger_env

from a2n.db.models import Execution, WorkflowTrigger
from a2n.services.activation import activate_workflow
from a2n.services.credentials import CredentialDraft, create_credential
from a2n.services.integrations import workspace
from a2n.services.schedules import handle_fire

__all__ = ["trigger_env"]

# https://docs.github.com/en/rest/issues/issues#list-repository-issues (fields abridged); the
# second item is a pull request, which the issues endpoint lists too.
ISSUES_PATH = "/repos/octocat/Hello-World/issues"
ISSUES_QUERY = {"state": ["all"], "sort": ["created"], "direction": ["desc"], "per_page": ["50"]}


def issue(number: int, *, pull: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": 1000 + number,
        "number": number,
        "title": f"Issue {number}",
        "state": "open",
    }
    if pull:
        found["pull_request"] = {"url": f"https://api.github.com/repos/octocat/Hello-World/pulls/{number}"}
    return found


@pytest.fixture
def provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProviderServer]:
    yield from serve_providers(tmp_path, monkeypatch)


@pytest.mark.usefixtures("trigger_env")
def test_a_polling_app_trigger_starts_one_run_per_new_issue_and_never_twice(
    db_session: Session, provider: ProviderServer
) -> None:
    owner = member(db_session)
    workspace.install_package(owner.principal, "github", None, ORIGIN)
    credential = create_credential(
        owner.principal, CredentialDraft("gh", "github:token", {"token": "ghp_polling_canary"}), ORIGIN
    )
    config = {
        "package": "github",
        "version": "1.1.0",
        "trigger": "new_issue",
        "input": {"owner": "octocat", "repo": "Hello-World"},
    }
    definition = {
        "nodes": [
            {
                "id": "watch",
                "type": "trigger.integration",
                "credentialId": str(credential.id),
                "config": config,
            },
            {"id": "done", "type": "noop", "config": {}},
        ],
        "connections": [{"source": "watch", "target": "done"}],
    }
    workflow = saved_workflow(db_session, owner.workspace.id, definition)
    attach_as_saved(db_session, workflow.id, credential.id, owner.user.id)
    activate_workflow(owner.principal, workflow.id)
    row = db_session.scalars(select(WorkflowTrigger).where(WorkflowTrigger.workflow_id == workflow.id)).one()
    assert (row.type.value, row.schedule_expression) == ("POLL", "rate(5 minutes)")
    at = datetime.now(UTC).replace(microsecond=0)

    def poll(minute: int, issues: list[dict[str, Any]]) -> tuple[Any, ...]:
        provider.answer("GET", ISSUES_PATH, issues)
        fired = handle_fire(
            {"triggerId": str(row.id), "scheduledTime": (at + timedelta(minutes=minute)).isoformat()}
        )
        return fired.execution_ids

    assert poll(0, [issue(1)]) == ()  # the first poll records what exists
    started = poll(5, [issue(3), issue(2, pull=True), issue(1)])
    again = poll(10, [issue(3), issue(1)])

    assert len(started) == 1 and again == ()
    db_session.expire_all()
    runs = db_session.scalars(select(Execution).where(Execution.workflow_id == workflow.id)).all()
    assert [run.trigger_data["number"] for run in runs] == [3]
    sent = provider.requests[-1]
    path, _, query = sent.path.partition("?")
    assert (sent.method, sent.host, path, parse_qs(query)) == (
        "GET",
        "api.github.com",
        ISSUES_PATH,
        ISSUES_QUERY,
    )
    assert sent.headers["authorization"] == "Bearer ghp_polling_canary"
    assert "ghp_polling_canary" not in str(runs[0].trigger_data)
