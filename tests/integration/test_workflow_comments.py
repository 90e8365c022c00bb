"""Comments (issue 13 item 4): threads with node anchors, mentions resolved to members and told in
their inbox, edit by the author, delete by the author or an ADMIN, resolve/unresolve, pagination,
the workspace's "viewers may comment" policy, the mention rate limit, and audit."""

from __future__ import annotations

from typing import Any

import pytest
from credential_support import Member, member
from sqlalchemy import text
from sqlalchemy.orm import Session

from a2n.api.pagination import PageRequest, decode_cursor
from a2n.db.enums import ShareLevel, WorkspaceRole
from a2n.db.models import AuditLog, Workspace
from a2n.errors import Forbidden, NotFound, RateLimited, ValidationFailed
from a2n.services import comments, inbox, shares, workflows
from a2n.services.comments import CommentDraft, CommentFilter
from a2n.services.shares import ShareRequest
from a2n.services.workflows import WorkflowDraft
from a2n.settings import reset_settings


@pytest.fixture(autouse=True)
def _fresh_settings() -> Any:
    yield
    reset_settings()


def definition() -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual", "config": {}},
            {"id": "fetch", "type": "noop", "config": {}},
        ],
        "connections": [{"source": "start", "target": "fetch"}],
    }


@pytest.fixture
def owner(db_session: Session) -> Member:
    return member(db_session)


def new_workflow(owner: Member) -> str:
    return str(workflows.create_workflow(owner.principal, WorkflowDraft("Orders", definition())).id)


def say(who: Member, workflow_id: str, body: str, **kw: Any) -> Any:
    return comments.add_comment(who.principal, workflow_id, CommentDraft(body, **kw))


def test_threads_replies_and_node_anchors_read_back_in_order(owner: Member) -> None:
    workflow_id = new_workflow(owner)
    first = say(owner, workflow_id, "Is fetch idempotent?", node_id="fetch")
    second = say(owner, workflow_id, "General remark")
    reply = say(owner, workflow_id, "It is now", parent_id=first.id)

    threads = comments.list_comments(owner.principal, workflow_id, CommentFilter(), PageRequest()).items
    assert [(c.body, c.node_id, c.reply_count) for c in threads] == [
        ("Is fetch idempotent?", "fetch", 1),
        ("General remark", None, 0),
    ]
    on_fetch = comments.list_comments(
        owner.principal, workflow_id, CommentFilter(node_id="fetch"), PageRequest()
    )
    assert [c.id for c in on_fetch.items] == [first.id]
    replies = comments.list_comments(
        owner.principal, workflow_id, CommentFilter(parent_id=first.id), PageRequest()
    )
    assert [(c.id, c.parent_id) for c in replies.items] == [(reply.id, first.id)]
    assert second.author is not None and second.author.email == owner.user.email


def test_comments_page_oldest_first(owner: Member) -> None:
    workflow_id = new_workflow(owner)
    for n in range(5):
        say(owner, workflow_id, f"c{n}")

    first = comments.list_comments(owner.principal, workflow_id, CommentFilter(), PageRequest(limit=2))
    assert first.next_cursor is not None
    rest = comments.list_comments(
        owner.principal,
        workflow_id,
        CommentFilter(),
        PageRequest(limit=10, cursor=decode_cursor(first.next_cursor)),
    )
    assert [c.body for c in first.items + list(rest.items)] == ["c0", "c1", "c2", "c3", "c4"]


def test_bad_threads_and_anchors_are_422_and_store_nothing(db_session: Session, owner: Member) -> None:
    workflow_id = new_workflow(owner)
    thread = say(owner, workflow_id, "thread")
    reply = say(owner, workflow_id, "reply", parent_id=thread.id)
    elsewhere = say(owner, new_workflow(owner), "on another workflow")

    cases = [
        (CommentDraft("x", node_id="nope"), "/nodeId"),
        (CommentDraft("x", parent_id=reply.id), "/parentId"),
        (CommentDraft("x", parent_id=elsewhere.id), "/parentId"),
        (CommentDraft("x", parent_id=thread.id, node_id="fetch"), "/nodeId"),
        (CommentDraft("   "), "/body"),
        (CommentDraft("bad \x00 text"), "/body"),
    ]
    for draft, pointer in cases:
        with pytest.raises(ValidationFailed) as refused:
            comments.add_comment(owner.principal, workflow_id, draft)
        assert refused.value.problems[0].pointer == pointer
    count = db_session.scalar(
        text("SELECT count(*) FROM workflow_comments WHERE workflow_id = :w"), {"w": workflow_id}
    )
    assert count == 2


def test_mentions_resolve_to_members_and_reach_their_inbox_once(db_session: Session, owner: Member) -> None:
    workflow_id = new_workflow(owner)
    colleague = member(db_session, WorkspaceRole.MEMBER, owner.workspace)
    outsider = member(db_session)

    said = say(
        owner, workflow_id,
        f"@{colleague.user.email.upper()} and @{outsider.user.email} and @nobody@example.com, "
        f"also mail{colleague.user.email} is no mention; me: @{owner.user.email}",
    )  # fmt: skip

    assert {p.email for p in said.mentions} == {colleague.user.email, owner.user.email}
    told = inbox.list_notifications(colleague.principal, PageRequest()).items
    assert [(n.kind, n.data["commentId"], n.data["workflowName"]) for n in told] == [
        ("comment.mention", str(said.id), "Orders")
    ]
    assert "body" not in told[0].data and "and @" not in str(told[0].data)  # ids, names, links only
    assert inbox.list_notifications(outsider.principal, PageRequest()).items == []
    assert inbox.list_notifications(owner.principal, PageRequest()).items == []  # never yourself

    comments.update_comment(colleague.principal, workflow_id, str(said.id), resolved=True)
    edited = comments.update_comment(
        owner.principal, workflow_id, str(said.id), body=f"again @{colleague.user.email}"
    )
    assert inbox.unread_count(colleague.principal) == 1  # already mentioned: not told twice
    assert edited.edited_at is not None and edited.resolved


def test_only_the_author_edits_and_the_author_or_an_admin_deletes(db_session: Session, owner: Member) -> None:
    workflow_id = new_workflow(owner)
    writer = member(db_session, WorkspaceRole.MEMBER, owner.workspace)
    other = member(db_session, WorkspaceRole.MEMBER, owner.workspace)
    theirs = say(writer, workflow_id, "mine")
    kept = say(writer, workflow_id, "thread with a reply")
    say(other, workflow_id, "reply", parent_id=kept.id)

    with pytest.raises(Forbidden):
        comments.update_comment(other.principal, workflow_id, str(theirs.id), body="hijacked")
    with pytest.raises(Forbidden):
        comments.delete_comment(other.principal, workflow_id, str(theirs.id))
    comments.delete_comment(owner.principal, workflow_id, str(theirs.id))  # the OWNER moderates
    comments.delete_comment(writer.principal, workflow_id, str(kept.id))

    listed = comments.list_comments(owner.principal, workflow_id, CommentFilter(), PageRequest()).items
    assert [(c.id, c.body, c.deleted, c.reply_count) for c in listed] == [(kept.id, None, True, 1)]
    with pytest.raises(NotFound):
        comments.update_comment(writer.principal, workflow_id, str(kept.id), body="back")
    trail = db_session.query(AuditLog).filter_by(action="comment.delete", entity_id=str(theirs.id)).one()
    assert trail.changes["moderated"] is True and "mine" not in str(trail.changes)


def test_resolving_is_for_threads_and_is_audited(db_session: Session, owner: Member) -> None:
    workflow_id = new_workflow(owner)
    thread = say(owner, workflow_id, "todo")
    reply = say(owner, workflow_id, "done", parent_id=thread.id)

    with pytest.raises(ValidationFailed):
        comments.update_comment(owner.principal, workflow_id, str(reply.id), resolved=True)
    comments.update_comment(owner.principal, workflow_id, str(thread.id), resolved=True)
    assert [c.id for c in comments.list_comments(owner.principal, workflow_id, CommentFilter(resolved=False),
                                                 PageRequest()).items] == []  # fmt: skip
    comments.update_comment(owner.principal, workflow_id, str(thread.id), resolved=False)

    actions = [
        e.action for e in db_session.query(AuditLog).filter_by(entity_id=str(thread.id)).order_by(AuditLog.ts)
    ]
    assert actions == ["comment.create", "comment.resolve", "comment.unresolve"]


def test_viewers_comment_unless_the_workspace_forbids_it(db_session: Session, owner: Member) -> None:
    workflow_id = new_workflow(owner)
    viewer = member(db_session, WorkspaceRole.VIEWER, owner.workspace)
    outsider = member(db_session)
    shares.share_workflow(owner.principal, workflow_id, ShareRequest(outsider.user.email, ShareLevel.VIEW))
    say(viewer, workflow_id, "a viewer's question")
    say(outsider, workflow_id, "a view share's question")

    workspace = db_session.get(Workspace, owner.workspace.id)
    assert workspace is not None
    workspace.viewers_may_comment = False
    db_session.flush()

    for who in (viewer, outsider):
        with pytest.raises(Forbidden):
            say(who, workflow_id, "again")
    say(owner, workflow_id, "members still comment")
    assert (
        len(comments.list_comments(viewer.principal, workflow_id, CommentFilter(), PageRequest()).items) == 3
    )
    stranger = member(db_session)
    with pytest.raises(NotFound):
        say(stranger, workflow_id, "who are you")


def test_mentions_are_capped_per_comment_and_rate_limited_per_author(
    db_session: Session, owner: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("A2N_COMMENT_MAX_MENTIONS", "3")
    monkeypatch.setenv("A2N_COMMENT_MENTIONS_PER_HOUR", "4")
    reset_settings()
    workflow_id = new_workflow(owner)
    people = [member(db_session, WorkspaceRole.MEMBER, owner.workspace) for _ in range(4)]
    at = [f"@{p.user.email}" for p in people]

    with pytest.raises(ValidationFailed):
        say(owner, workflow_id, " ".join(at))  # 4 in one comment
    say(owner, workflow_id, " ".join(at[:3]))
    with pytest.raises(RateLimited) as limited:
        say(owner, workflow_id, " ".join(at[:2]))  # 5 in the hour
    assert 0 < (limited.value.retry_after_s or 0) <= 3601
    say(owner, workflow_id, "no mentions still go through")
    assert inbox.unread_count(people[3].principal) == 0
