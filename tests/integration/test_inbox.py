"""The inbox (issue 13 item 7): a share received lands in the recipient's inbox; unread count, mark one
or all read; everyone sees only their own; API keys have no inbox."""

from __future__ import annotations

import uuid

import pytest
from credential_support import api_key_of, member
from sqlalchemy.orm import Session

from a2n.api.pagination import PageRequest
from a2n.db.enums import ShareLevel
from a2n.errors import Forbidden, NotFound
from a2n.services import inbox, shares, workflows
from a2n.services.shares import ShareRequest
from a2n.services.workflows import WorkflowDraft


def test_a_share_received_is_in_the_inbox_and_is_marked_read(db_session: Session) -> None:
    owner, recipient, stranger = member(db_session), member(db_session), member(db_session)
    definition = {"nodes": [{"id": "start", "type": "trigger.manual", "config": {}}], "connections": []}
    workflow = workflows.create_workflow(owner.principal, WorkflowDraft("Payroll", definition))
    shares.share_workflow(
        owner.principal, str(workflow.id), ShareRequest(recipient.user.email, ShareLevel.VIEW)
    )
    shares.share_workflow(
        owner.principal, str(workflow.id), ShareRequest(None, ShareLevel.RUN)
    )  # no one in particular

    items = inbox.list_notifications(recipient.principal, PageRequest()).items
    assert [(n.kind, n.read) for n in items] == [("share.received", False)]
    assert items[0].data["workflowId"] == str(workflow.id) and items[0].data["level"] == "view"
    assert items[0].data["link"].endswith(f"/workflows/{workflow.id}")
    assert owner.user.email in items[0].title and "Payroll" in items[0].title
    assert inbox.unread_count(recipient.principal) == 1

    with pytest.raises(NotFound):  # someone else's notification does not exist for you
        inbox.mark_read(stranger.principal, str(items[0].id))
    with pytest.raises(NotFound):
        inbox.mark_read(recipient.principal, "not-an-id")
    read = inbox.mark_read(recipient.principal, str(items[0].id))
    assert read.read and read.read_at is not None
    assert inbox.unread_count(recipient.principal) == 0
    assert inbox.list_notifications(recipient.principal, PageRequest(), unread_only=True).items == []


def test_mark_all_read_counts_what_it_marked_and_touches_only_mine(db_session: Session) -> None:
    from a2n.services.notify import notify

    me, other = member(db_session), member(db_session)
    for n in range(3):
        notify(db_session, me.user.id, kind="test", title=f"n{n}", workspace_id=None, data={})
    notify(db_session, other.user.id, kind="test", title="theirs", workspace_id=None, data={})

    assert inbox.mark_all_read(me.principal) == 3
    assert inbox.mark_all_read(me.principal) == 0
    assert inbox.unread_count(other.principal) == 1
    newest_first = [n.title for n in inbox.list_notifications(me.principal, PageRequest()).items]
    assert newest_first == ["n2", "n1", "n0"]


def test_api_keys_have_no_inbox(db_session: Session) -> None:
    key = api_key_of(member(db_session), "workflows:read")

    with pytest.raises(Forbidden):
        inbox.list_notifications(key, PageRequest())
    with pytest.raises(Forbidden):
        inbox.mark_read(key, str(uuid.uuid4()))
