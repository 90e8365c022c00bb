"""Comments on workflows: threads (one level of replies), an optional node anchor, ``@email``
mentions resolved to members of the workflow's workspace, edit by the author, delete by the author
or a workspace ADMIN (moderation), resolve/unresolve by anyone who may comment; every change
audited. Mentioning is rate-limited per author so comments cannot be used to spam people.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from a2n.auth.policy import Action, Role, ShareLevel
from a2n.errors import Forbidden, NotFound, Problem, RateLimited, ValidationFailed
from a2n.services.audit import Actor, Origin, record_audit
from a2n.services.notification_routing import ensure_sent_eventually, send_after_commit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import Workflow, WorkflowComment
    from a2n.pagination import Page, PageRequest

# "@ada@example.com": an address after an @ that starts a word.
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})")
ENTITY = "comment"


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    email: str


@dataclass(frozen=True)
class CommentView:
    id: uuid.UUID
    workflow_id: uuid.UUID
    parent_id: uuid.UUID | None
    node_id: str | None
    author: Person | None
    body: str | None
    mentions: list[Person]
    resolved: bool
    resolved_at: datetime | None
    resolved_by: uuid.UUID | None
    edited_at: datetime | None
    deleted: bool
    reply_count: int
    created_at: datetime


@dataclass(frozen=True)
class CommentDraft:
    body: str
    parent_id: uuid.UUID | None = None
    node_id: str | None = None


@dataclass(frozen=True)
class CommentFilter:
    parent_id: uuid.UUID | None = None  # None: the threads (top-level comments)
    node_id: str | None = None
    resolved: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class MentionsRateLimited(RateLimited):
    def __init__(self, limit: int, retry_after_s: int) -> None:
        super().__init__(
            f"You mentioned more than {limit} people in the last hour (A2N_COMMENT_MENTIONS_PER_HOUR);"
            " post without mentions or retry later"
        )
        self.retry_after_s = retry_after_s


# --- use cases --------------------------------------------------------------------------------------


def add_comment(
    principal: Principal, workflow_id: str, draft: CommentDraft, *, origin: Origin | None = None
) -> CommentView:
    """``POST /workflows/{id}/comments``: a new thread, or a reply to one (``parent_id``)."""
    from a2n.db.models import WorkflowComment
    from a2n.db.repositories.comments import CommentRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        workflow = _open_for_comment(uow.session, principal, workflow_id)
        repo = CommentRepository(uow.session)
        problems = _body_problems(draft.body)
        if draft.parent_id is not None:
            parent = repo.get_in_workspace(workflow.workspace_id, draft.parent_id)
            if parent is None or parent.workflow_id != workflow.id or parent.deleted_at is not None:
                problems.append(Problem("/parentId", "no comment of this workflow has this id"))
            elif parent.parent_id is not None:
                problems.append(
                    Problem("/parentId", "reply to the thread's first comment (threads are one level deep)")
                )
            if draft.node_id is not None:
                problems.append(Problem("/nodeId", "a reply belongs to its thread's node; leave nodeId out"))
        elif draft.node_id is not None and draft.node_id not in _node_ids(workflow):
            problems.append(Problem("/nodeId", "no node of the workflow (its draft) has this id"))
        if problems:
            raise ValidationFailed(problems)
        mentioned = _mentions(uow.session, workflow.workspace_id, draft.body)
        _check_mentions(uow.session, principal, len(mentioned))
        comment = WorkflowComment(
            workflow_id=workflow.id,
            workspace_id=workflow.workspace_id,
            parent_id=draft.parent_id,
            node_id=draft.node_id,
            author_id=uuid.UUID(principal.user_id),
            body=draft.body,
            mentions=[p.id for p in mentioned],
        )
        repo.add(comment)
        _audit(uow.session, principal, "comment.create", comment, {"mentions": len(mentioned)}, origin=origin)
        deliveries = _tell_mentioned(uow.session, comment, workflow, mentioned, principal)
        view = _view(comment, _people(uow.session, comment), reply_count=0)
        ensure_sent_eventually(deliveries, datetime.now(UTC))
        uow.commit()
    send_after_commit(deliveries)
    return view


def list_comments(
    principal: Principal, workflow_id: str, wanted: CommentFilter, page: PageRequest
) -> Page[CommentView]:
    """``GET /workflows/{id}/comments``: oldest first (a conversation reads that way); the threads by
    default, a thread's replies with ``parent_id``; ``node_id`` and ``resolved`` filter threads."""
    from a2n.db.repositories.base import Keyset
    from a2n.db.repositories.comments import CommentRepository
    from a2n.db.uow import UnitOfWork
    from a2n.pagination import Page, encode_cursor
    from a2n.services.workflow_access import open_workflow

    after = Keyset(page.cursor.sort_key_datetime(), page.cursor.id_uuid()) if page.cursor else None
    with UnitOfWork() as uow:
        workflow = open_workflow(uow.session, principal, workflow_id, Action.WORKFLOW_READ)
        rows, more = CommentRepository(uow.session).page(
            workflow.id,
            parent_id=wanted.parent_id,
            node_id=wanted.node_id,
            resolved=wanted.resolved,
            limit=page.limit,
            after=after,
        )
        people = _people(uow.session, *(row.comment for row in rows))
        items = [_view(row.comment, people, reply_count=row.replies) for row in rows]
    last = items[-1] if more and items else None
    return Page(items=items, next_cursor=encode_cursor(last.created_at, last.id) if last else None)


def update_comment(
    principal: Principal,
    workflow_id: str,
    comment_id: str,
    *,
    body: Any = None,
    resolved: bool | None = None,
    origin: Origin | None = None,
) -> CommentView:
    """``PATCH …/comments/{commentId}``: a new ``body`` (its author only; newly mentioned people are
    told), and/or ``resolved`` (a thread's first comment; anyone who may comment)."""
    from a2n.db.base import utcnow
    from a2n.db.repositories.comments import CommentRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        workflow = _open_for_comment(uow.session, principal, workflow_id)
        repo = CommentRepository(uow.session)
        comment = _comment_of(repo, workflow, comment_id, lock=True)
        now = utcnow()
        if body is not None:
            if comment.author_id is None or str(comment.author_id) != principal.user_id:
                raise Forbidden("Only its author edits a comment")
            problems = _body_problems(body)
            if problems:
                raise ValidationFailed(problems)
            mentioned = _mentions(uow.session, workflow.workspace_id, body)
            fresh = [p for p in mentioned if p.id not in set(comment.mentions)]
            _check_mentions(uow.session, principal, len(fresh))
            comment.body, comment.mentions, comment.edited_at = body, [p.id for p in mentioned], now
            changes = {"mentions": len(mentioned)}
            _audit(uow.session, principal, "comment.edit", comment, changes, origin=origin)
            _tell_mentioned(uow.session, comment, workflow, fresh, principal)
        if resolved is not None:
            if comment.parent_id is not None:
                raise ValidationFailed([Problem("/resolved", "resolve the thread's first comment")])
            if resolved != (comment.resolved_at is not None):
                comment.resolved_at = now if resolved else None
                comment.resolved_by = uuid.UUID(principal.user_id) if resolved else None
                action = "comment.resolve" if resolved else "comment.unresolve"
                _audit(uow.session, principal, action, comment, {}, origin=origin)
        comment.updated_at = now
        uow.session.flush()
        view = _view(comment, _people(uow.session, comment), reply_count=repo.reply_count(comment.id))
        uow.commit()
    return view


def delete_comment(
    principal: Principal, workflow_id: str, comment_id: str, *, origin: Origin | None = None
) -> None:
    """``DELETE …/comments/{commentId}``: by its author, or by an ADMIN+ of the workflow's workspace
    (moderation, audited as such). A thread's first comment with replies stays as a tombstone."""
    from a2n.db.base import utcnow
    from a2n.db.repositories.comments import CommentRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.workflow_access import open_workflow, workflow_access, workflow_uuid

    with UnitOfWork() as uow:
        workflow = open_workflow(uow.session, principal, workflow_id, Action.WORKFLOW_READ)
        repo = CommentRepository(uow.session)
        comment = _comment_of(repo, workflow, comment_id, lock=True)
        own = comment.author_id is not None and str(comment.author_id) == principal.user_id
        _, access = workflow_access(uow.session, principal, workflow_uuid(workflow_id))
        moderator = access.acting_there and access.role is not None and access.role.at_least(Role.ADMIN)
        if not own and not moderator:
            raise Forbidden("Only its author or a workspace ADMIN deletes a comment")
        _audit(uow.session, principal, "comment.delete", comment, {"moderated": not own}, origin=origin)
        if comment.parent_id is None and repo.reply_count(comment.id) > 0:
            comment.body, comment.mentions, comment.deleted_at = None, [], utcnow()
        else:
            repo.delete(comment)
        uow.commit()


# --- pieces -----------------------------------------------------------------------------------------


def _open_for_comment(session: Session, principal: Principal, workflow_id: str) -> Workflow:
    """The workflow if the caller may comment on it: anyone who may read it, unless the caller only
    views it (VIEWER role, or a view share) and its workspace lets only members comment."""
    from a2n.auth.policy import authorize_workflow
    from a2n.db.repositories.workflows import WorkflowRepository
    from a2n.services.workflow_access import workflow_access, workflow_uuid

    wanted = workflow_uuid(workflow_id)
    workspace_id, access = workflow_access(session, principal, wanted)
    authorize_workflow(principal, access, Action.WORKFLOW_COMMENT)
    role = access.role if access.acting_there else None
    share = None if principal.is_api_key else access.share_level
    only_views = (role is None or role is Role.VIEWER) and (share is None or share is ShareLevel.VIEW)
    if only_views and not _viewers_may_comment(session, workspace_id):
        raise Forbidden("In this workspace only members who may change or run a workflow comment on it")
    return WorkflowRepository(session).require_live(workspace_id, wanted)


def _viewers_may_comment(session: Session, workspace_id: uuid.UUID) -> bool:
    from a2n.db.models import Workspace

    workspace = session.get(Workspace, workspace_id)
    return workspace is None or workspace.viewers_may_comment


def _body_problems(body: str) -> list[Problem]:
    from a2n.storable import has_unstorable_text

    if not body.strip():
        return [Problem("/body", "a comment needs some text")]
    if has_unstorable_text(body):
        return [Problem("/body", "text contains NUL or an unpaired surrogate")]
    return []


def _node_ids(workflow: Workflow) -> set[str]:
    return {str(n.get("id")) for n in workflow.definition.get("nodes") or [] if isinstance(n, dict)}


def _mentions(session: Session, workspace_id: uuid.UUID, body: str) -> list[Person]:
    """Members of the workspace the body names as ``@email``; other addresses stay plain text (a
    mention never tells the author whether an address has an account)."""
    from a2n.db.repositories.comments import CommentRepository
    from a2n.settings import get_settings

    emails = list(dict.fromkeys(match.lower() for match in MENTION.findall(body)))
    limit = get_settings().comment_max_mentions
    if len(emails) > limit:
        raise ValidationFailed(
            [
                Problem(
                    "/body",
                    f"at most {limit} people may be mentioned in one comment (A2N_COMMENT_MAX_MENTIONS)",
                )
            ]
        )
    found = CommentRepository(session).members_by_email(workspace_id, emails)
    return [Person(user_id, email) for user_id, email in found]


def _check_mentions(session: Session, principal: Principal, adding: int) -> None:
    """Past A2N_COMMENT_MENTIONS_PER_HOUR mentions in an hour by one author, 429 (comments without
    mentions still go through)."""
    from a2n.db.base import utcnow
    from a2n.db.repositories.comments import CommentRepository
    from a2n.settings import get_settings

    if adding == 0:
        return
    limit = get_settings().comment_mentions_per_hour
    since = utcnow() - timedelta(hours=1)
    used, oldest = CommentRepository(session).mentions_since(uuid.UUID(principal.user_id), since)
    if used + adding > limit:
        wait = int(((oldest or utcnow()) + timedelta(hours=1) - utcnow()).total_seconds()) + 1
        raise MentionsRateLimited(limit, max(wait, 1))


def _tell_mentioned(
    session: Session,
    comment: WorkflowComment,
    workflow: Workflow,
    mentioned: list[Person],
    principal: Principal,
) -> list[uuid.UUID]:
    from a2n.services.notification_routing import mentioned_in_comment

    deliveries: list[uuid.UUID] = []
    author = uuid.UUID(principal.user_id)
    for person in mentioned:
        if person.id != author:
            deliveries += mentioned_in_comment(session, comment, workflow, person.id, author)
    return deliveries


def _comment_of(repo: Any, workflow: Workflow, comment_id: str, *, lock: bool) -> WorkflowComment:
    try:
        wanted = uuid.UUID(comment_id)
    except ValueError:
        raise NotFound("Comment not found") from None
    comment: WorkflowComment | None = repo.get_in_workspace(workflow.workspace_id, wanted, lock=lock)
    if comment is None or comment.workflow_id != workflow.id or comment.deleted_at is not None:
        raise NotFound("Comment not found")
    return comment


def _people(session: Session, *comments: WorkflowComment) -> dict[uuid.UUID, str]:
    from a2n.db.repositories.identity import UserRepository

    ids = {c.author_id for c in comments if c.author_id} | {m for c in comments for m in c.mentions}
    return UserRepository(session).emails(ids) if ids else {}


def _view(comment: WorkflowComment, people: dict[uuid.UUID, str], *, reply_count: int) -> CommentView:
    author = comment.author_id
    return CommentView(
        id=comment.id,
        workflow_id=comment.workflow_id,
        parent_id=comment.parent_id,
        node_id=comment.node_id,
        author=Person(author, people.get(author, "")) if author else None,
        body=comment.body,
        mentions=[Person(m, people[m]) for m in comment.mentions if m in people],
        resolved=comment.resolved_at is not None,
        resolved_at=comment.resolved_at,
        resolved_by=comment.resolved_by,
        edited_at=comment.edited_at,
        deleted=comment.deleted_at is not None,
        reply_count=reply_count,
        created_at=comment.created_at,
    )


def _audit(
    session: Session,
    principal: Principal,
    action: str,
    comment: WorkflowComment,
    changes: dict[str, Any],
    *,
    origin: Origin | None,
) -> None:
    # Ids, the anchor and counts: the text itself is the comment's, not the trail's.
    record_audit(
        session,
        workspace_id=comment.workspace_id,
        actor=Actor.of(principal),
        action=action,
        entity_type=ENTITY,
        entity_id=comment.id,
        changes={
            "workflowId": str(comment.workflow_id),
            "parentId": str(comment.parent_id) if comment.parent_id else None,
            "nodeId": comment.node_id,
            **changes,
        },
        origin=origin,
    )
