"""Sharing one workflow with a user (inside or outside its workspace) or with its whole workspace,
at view, run or edit, optionally until a time; the shares of a workflow and the workflows shared
with me. What a share allows is decided by the policy (a2n.auth.policy.authorize_workflow) on every
request, so a revocation or an expiry applies at the next one.

The credential rule: a share never carries the owner's credentials out of their workspace. Inside
it, a run share runs with the workspace's credentials (its members may use them already); outside
it a share is ``view`` only, and a recipient who wants to run the workflow exports it and imports
it into a workspace of their own, where names resolve to their own credentials (README "Sharing").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from a2n.auth.policy import Action
from a2n.db.enums import ShareLevel
from a2n.errors import Conflict, NotFound, Problem, ValidationFailed
from a2n.services.audit import Actor, Origin, record_audit, share_changes
from a2n.services.notification_routing import ensure_sent_eventually, send_after_commit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import WorkflowShare
    from a2n.pagination import Page, PageRequest

OUTSIDE_IS_VIEW_ONLY = (
    "outside the workflow's workspace a share is view only: the recipient would otherwise run or "
    "edit with this workspace's credentials. Add them to the workspace, or they can export the "
    "workflow and import it with credentials of their own"
)


@dataclass(frozen=True)
class ShareView:
    id: uuid.UUID
    workflow_id: uuid.UUID
    grantee_user_id: uuid.UUID | None  # None: the whole workspace
    grantee_email: str | None
    level: str
    effective_level: str | None  # what it allows today (view outside the workspace; None: expired)
    expires_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class SharedWithMe:
    share_id: uuid.UUID
    workflow_id: uuid.UUID
    name: str
    description: str | None
    workspace_id: uuid.UUID
    workspace_name: str
    level: str
    shared_by: str | None
    expires_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class ShareRequest:
    """``email`` None shares with the workflow's whole workspace."""

    email: str | None
    level: ShareLevel
    expires_at: datetime | None = None


def share_workflow(
    principal: Principal, workflow_id: str, wanted: ShareRequest, *, origin: Origin | None = None
) -> ShareView:
    """``POST /workflows/{id}/shares``. An unknown email is a 404 that says nothing about where the
    person is a member; sharing with oneself, or again with someone who holds a live share, is a 409."""
    from a2n.db.models import WorkflowShare
    from a2n.db.repositories.shares import ShareRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.workflow_access import open_workflow

    with UnitOfWork() as uow:
        workflow = open_workflow(uow.session, principal, workflow_id, Action.WORKFLOW_SHARE, lock=True)
        now = _now()
        _check_expiry(wanted.expires_at, now)
        grantee, email, member = _grantee(uow.session, principal, workflow.workspace_id, wanted.email)
        _check_level(wanted.level, member)
        shares = ShareRepository(uow.session)
        shares.drop_expired(workflow.id, grantee, now)
        if shares.of_grantee(workflow.id, grantee) is not None:
            raise Conflict("This workflow is already shared with them; change that share instead")
        share = WorkflowShare(
            workflow_id=workflow.id,
            workspace_id=workflow.workspace_id,
            grantee_user_id=grantee,
            level=wanted.level,
            expires_at=wanted.expires_at,
            created_by=uuid.UUID(principal.user_id),
        )
        shares.add(share, conflict="This workflow is already shared with them; change that share instead")
        _audit(uow.session, principal, "workflow.share", share, email, origin=origin)
        deliveries = _tell_grantee(uow.session, share, workflow.name)
        view = _view(share, email, member)
        ensure_sent_eventually(deliveries, now)
        uow.commit()
    send_after_commit(deliveries)
    return view


def update_share(
    principal: Principal,
    workflow_id: str,
    share_id: str,
    *,
    level: ShareLevel | None,
    expires_at: Any,
    origin: Origin | None = None,
) -> ShareView:
    """``PATCH /workflows/{id}/shares/{shareId}``: another level and/or expiry (``expires_at`` None
    removes it; UNSET leaves it)."""
    from a2n.db.repositories.shares import ShareRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.workflow_access import open_workflow

    with UnitOfWork() as uow:
        workflow = open_workflow(uow.session, principal, workflow_id, Action.WORKFLOW_SHARE, lock=True)
        share = _share_of(ShareRepository(uow.session), workflow.id, workflow.workspace_id, share_id)
        email, member = _grantee_facts(uow.session, workflow.workspace_id, share.grantee_user_id)
        if level is not None:
            _check_level(level, member)
            share.level = level
        if expires_at is not UNSET:
            _check_expiry(expires_at, _now())
            share.expires_at = expires_at
        uow.session.flush()
        _audit(uow.session, principal, "workflow.share_update", share, email, origin=origin)
        view = _view(share, email, member)
        uow.commit()
    return view


def revoke_share(
    principal: Principal, workflow_id: str, share_id: str, *, origin: Origin | None = None
) -> None:
    """``DELETE /workflows/{id}/shares/{shareId}``: gone at once; the next request decides without it."""
    from a2n.db.repositories.shares import ShareRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.workflow_access import open_workflow

    with UnitOfWork() as uow:
        workflow = open_workflow(uow.session, principal, workflow_id, Action.WORKFLOW_SHARE, lock=True)
        repo = ShareRepository(uow.session)
        share = _share_of(repo, workflow.id, workflow.workspace_id, share_id)
        email, _ = _grantee_facts(uow.session, workflow.workspace_id, share.grantee_user_id)
        _audit(uow.session, principal, "workflow.unshare", share, email, origin=origin)
        repo.delete(share)
        uow.commit()


def list_shares(principal: Principal, workflow_id: str, page: PageRequest) -> Page[ShareView]:
    from a2n.db.repositories.base import Keyset
    from a2n.db.repositories.identity import WorkspaceRepository
    from a2n.db.repositories.shares import ShareRepository
    from a2n.db.uow import UnitOfWork
    from a2n.pagination import Page, encode_cursor
    from a2n.services.workflow_access import open_workflow

    after = Keyset(page.cursor.sort_key_datetime(), page.cursor.id_uuid()) if page.cursor else None
    with UnitOfWork() as uow:
        workflow = open_workflow(uow.session, principal, workflow_id, Action.WORKFLOW_SHARE)
        rows, more = ShareRepository(uow.session).of_workflow(workflow.id, limit=page.limit, after=after)
        members = WorkspaceRepository(uow.session)
        items = [
            _view(
                row.share,
                row.grantee_email,
                row.share.grantee_user_id is None
                or members.role_of(workflow.workspace_id, row.share.grantee_user_id) is not None,
            )
            for row in rows
        ]
    last = items[-1] if more and items else None
    return Page(items=items, next_cursor=encode_cursor(last.created_at, last.id) if last else None)


def shared_with_me(principal: Principal, page: PageRequest) -> Page[SharedWithMe]:
    """``GET /shared-with-me``: live shares to the caller, newest first, at the level each allows."""
    from a2n.auth.policy import authorize
    from a2n.db.repositories.base import Keyset
    from a2n.db.repositories.shares import ShareRepository
    from a2n.db.uow import UnitOfWork
    from a2n.pagination import Page, encode_cursor

    authorize(principal, None, Action.SHARED_WITH_ME_READ)
    after = Keyset(page.cursor.sort_key_datetime(), page.cursor.id_uuid()) if page.cursor else None
    with UnitOfWork() as uow:
        rows, more = ShareRepository(uow.session).shared_with(
            uuid.UUID(principal.user_id), limit=page.limit, after=after
        )
    items = [
        SharedWithMe(
            r.share_id,
            r.workflow_id,
            r.name,
            r.description,
            r.workspace_id,
            r.workspace_name,
            _effective(r.level, r.member).value,
            r.shared_by,
            r.expires_at,
            r.created_at,
        )
        for r in rows
    ]
    last = items[-1] if more and items else None
    return Page(items=items, next_cursor=encode_cursor(last.created_at, last.share_id) if last else None)


# --- pieces -----------------------------------------------------------------------------------------


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def _now() -> datetime:
    from a2n.db.base import utcnow

    return utcnow()


def _check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed([Problem("/expiresAt", "must be in the future")])


def _check_level(level: ShareLevel, member: bool) -> None:
    if not member and level is not ShareLevel.VIEW:
        raise ValidationFailed([Problem("/level", OUTSIDE_IS_VIEW_ONLY)])


def _effective(level: ShareLevel, member: bool) -> ShareLevel:
    return level if member else ShareLevel.VIEW


def _grantee(
    session: Session, principal: Principal, workspace_id: uuid.UUID, email: str | None
) -> tuple[uuid.UUID | None, str | None, bool]:
    """(user id, email, is a member of the workflow's workspace); None for the whole workspace."""
    from a2n.db.repositories.identity import UserRepository, WorkspaceRepository

    if email is None:
        return None, None, True
    user = UserRepository(session).get_by_email(email)
    if user is None or not user.is_active:
        raise NotFound("No user with this email can receive a share")
    if str(user.id) == principal.user_id:
        raise Conflict("You cannot share a workflow with yourself")
    member = WorkspaceRepository(session).role_of(workspace_id, user.id) is not None
    return user.id, user.email, member


def _grantee_facts(
    session: Session, workspace_id: uuid.UUID, grantee: uuid.UUID | None
) -> tuple[str | None, bool]:
    from a2n.db.repositories.identity import UserRepository, WorkspaceRepository

    if grantee is None:
        return None, True
    return (
        UserRepository(session).emails({grantee}).get(grantee),
        WorkspaceRepository(session).role_of(workspace_id, grantee) is not None,
    )


def _share_of(repo: Any, workflow_id: uuid.UUID, workspace_id: uuid.UUID, share_id: str) -> WorkflowShare:
    try:
        wanted = uuid.UUID(share_id)
    except ValueError:
        raise NotFound("Share not found") from None
    share: WorkflowShare | None = repo.get_in_workspace(workspace_id, wanted)
    if share is None or share.workflow_id != workflow_id:
        raise NotFound("Share not found")
    return share


def _view(share: WorkflowShare, email: str | None, member: bool) -> ShareView:
    live = share.expires_at is None or share.expires_at > _now()
    return ShareView(
        id=share.id,
        workflow_id=share.workflow_id,
        grantee_user_id=share.grantee_user_id,
        grantee_email=email,
        level=share.level.value,
        effective_level=_effective(share.level, member).value if live else None,
        expires_at=share.expires_at,
        created_at=share.created_at,
    )


def _audit(
    session: Session,
    principal: Principal,
    action: str,
    share: WorkflowShare,
    email: str | None,
    *,
    origin: Origin | None,
) -> None:
    record_audit(
        session,
        workspace_id=share.workspace_id,
        actor=Actor.of(principal),
        action=action,
        entity_type="workflow",
        entity_id=share.workflow_id,
        changes=share_changes(share, email, share.level.value),
        origin=origin,
    )


def _tell_grantee(session: Session, share: WorkflowShare, workflow_name: str) -> list[uuid.UUID]:
    """The recipient's inbox hears of it; a workspace-wide share tells no one in particular."""
    from a2n.services.notification_routing import share_received

    return share_received(session, share, workflow_name)
