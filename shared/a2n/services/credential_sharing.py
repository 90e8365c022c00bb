"""Sharing credentials for *use* and logging their use (issue 13 item 6).

A credential is usable by its creator and the workspace's ADMINs; its creator (or an ADMIN) shares it
with a member or the whole workspace to use — attach it to workflows, run with it — never to read
or change it (credential data never leaves the service anyway). A workflow may use a credential
while whoever attached it still may, so unsharing (or an expiry) takes it from their workflows:
removing a share, or deleting the credential, that active workflows depend on is a 409 listing them
unless forced. Every use by a step is logged by the statement that loads the credential.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from a2n.auth.policy import Action, Role
from a2n.errors import Conflict, Forbidden, NotFound, Problem, ValidationFailed
from a2n.services.audit import Actor, Origin, record_audit, share_changes

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import Credential, CredentialShare
    from a2n.db.repositories.credential_sharing import Dependent
    from a2n.pagination import Page, PageRequest


@dataclass(frozen=True)
class CredentialShareView:
    id: uuid.UUID
    credential_id: uuid.UUID
    grantee_user_id: uuid.UUID | None  # None: the whole workspace
    grantee_email: str | None
    level: str
    expires_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class UsageView:
    id: uuid.UUID
    workflow_id: uuid.UUID | None
    execution_id: uuid.UUID | None
    node_id: str
    attempt: int | None
    used_at: datetime


class CredentialInUse(Conflict):
    """409 with the active workflows that would lose the credential; ``?force=true`` goes ahead."""

    def __init__(self, what: str, dependents: list[Dependent]) -> None:
        names = ", ".join(d.name for d in dependents[:5])
        super().__init__(
            f"{what} would take this credential from {len(dependents)} active workflow(s) ({names});"
            " deactivate or change them first, or send ?force=true",
            extra={"workflows": [{"id": str(d.workflow_id), "name": d.name} for d in dependents]},
        )


# --- shares -----------------------------------------------------------------------------------------


def share_credential(
    principal: Principal,
    credential_id: str,
    email: str | None,
    *,
    expires_at: datetime | None,
    origin: Origin | None = None,
) -> CredentialShareView:
    """``POST /credentials/{id}/shares``: to a member (``email``) or the whole workspace (None), use only."""
    from a2n.db.models import CredentialShare
    from a2n.db.repositories.credential_sharing import CredentialShareRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        credential = _managed(uow.session, principal, credential_id)
        now = _now()
        if expires_at is not None and expires_at <= now:
            raise ValidationFailed([Problem("/expiresAt", "must be in the future")])
        grantee, grantee_email = _member(uow.session, principal, credential, email)
        shares = CredentialShareRepository(uow.session)
        shares.drop_expired(credential.id, grantee, now)
        if shares.of_grantee(credential.id, grantee) is not None:
            raise Conflict(
                "This credential is already shared with them; revoke that share first to change it"
            )
        share = CredentialShare(
            credential_id=credential.id,
            workspace_id=credential.workspace_id,
            grantee_user_id=grantee,
            expires_at=expires_at,
            created_by=uuid.UUID(principal.user_id),
        )
        shares.add(share, conflict="This credential is already shared with them")
        _audit(uow.session, principal, "credential.share", share, grantee_email, origin=origin)
        view = _view(share, grantee_email)
        uow.commit()
    return view


def list_credential_shares(principal: Principal, credential_id: str) -> list[CredentialShareView]:
    from a2n.db.repositories.credential_sharing import CredentialShareRepository
    from a2n.db.repositories.identity import UserRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        credential = _managed(uow.session, principal, credential_id)
        rows = CredentialShareRepository(uow.session).of_credential(credential.id)
        emails = UserRepository(uow.session).emails({r.grantee_user_id for r in rows if r.grantee_user_id})
        return [_view(r, emails.get(r.grantee_user_id) if r.grantee_user_id else None) for r in rows]


def unshare_credential(
    principal: Principal, credential_id: str, share_id: str, *, force: bool, origin: Origin | None = None
) -> None:
    """``DELETE /credentials/{id}/shares/{shareId}``: 409 listing the active workflows whose attacher
    would lose the credential, unless ``force`` (then their runs fail with a clear error)."""
    from a2n.db.repositories.credential_sharing import CredentialShareRepository
    from a2n.db.repositories.identity import UserRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        credential = _managed(uow.session, principal, credential_id)
        repo = CredentialShareRepository(uow.session)
        share = repo.get_in_workspace(credential.workspace_id, _parse(share_id, "Share"))
        if share is None or share.credential_id != credential.id:
            raise NotFound("Share not found")
        before = repo.dependents(credential.id)
        may_before = repo.who_may_use(credential.id, {d.attached_by for d in before})
        email = (
            UserRepository(uow.session).emails({share.grantee_user_id}).get(share.grantee_user_id)
            if (share.grantee_user_id)
            else None
        )
        repo.delete(share)
        losing = _losing(repo, credential.id, before, may_before)
        if losing and not force:
            raise CredentialInUse("Revoking this share", losing)
        _audit(
            uow.session,
            principal,
            "credential.unshare",
            share,
            email,
            origin=origin,
            extra={"forced": bool(losing), "workflows": [str(d.workflow_id) for d in losing]},
        )
        uow.commit()


def check_delete(session: Session, credential: Credential, *, force: bool) -> list[str]:
    """Before deleting a credential: 409 listing the active workflows using it, unless ``force``;
    returns their ids for the audit entry."""
    from a2n.db.repositories.credential_sharing import CredentialShareRepository

    dependents = CredentialShareRepository(session).dependents(credential.id)
    if dependents and not force:
        raise CredentialInUse("Deleting it", dependents)
    return [str(d.workflow_id) for d in dependents]


# --- usage ------------------------------------------------------------------------------------------


def credential_usage(principal: Principal, credential_id: str, page: PageRequest) -> Page[UsageView]:
    """``GET /credentials/{id}/usage``: each use by a step (or poll), newest first; its managers only."""
    from a2n.db.repositories.base import Keyset
    from a2n.db.repositories.credential_sharing import UsageRepository
    from a2n.db.uow import UnitOfWork
    from a2n.pagination import Page, encode_cursor

    after = Keyset(page.cursor.sort_key_datetime(), page.cursor.id_uuid()) if page.cursor else None
    with UnitOfWork() as uow:
        credential = _managed(uow.session, principal, credential_id, action=Action.CREDENTIAL_READ)
        rows, more = UsageRepository(uow.session).page(credential.id, limit=page.limit, after=after)
        items = [
            UsageView(r.id, r.workflow_id, r.execution_id, r.node_id, r.attempt, r.used_at) for r in rows
        ]
    last = items[-1] if more and items else None
    return Page(items=items, next_cursor=encode_cursor(last.used_at, last.id) if last else None)


# --- the save path (workflows) ---------------------------------------------------------------------


def attachment_problems(
    session: Session,
    principal: Principal,
    *,
    workflow_id: uuid.UUID | None,
    workspace_id: uuid.UUID,
    refs: Mapping[int, uuid.UUID],
    pointer: str,
) -> tuple[list[Problem], set[uuid.UUID]]:
    """Credentials a save newly attaches must be usable by the saver (a 422 per node otherwise);
    returns the problems and the credential ids to attach. One already attached to this workflow
    stays, whoever saves: editing a workflow never needs the right to attach what is already there."""
    from a2n.db.repositories.credential_sharing import AttachmentRepository, CredentialShareRepository

    attached = AttachmentRepository(session).attached(workflow_id) if workflow_id else set()
    fresh = {credential_id for credential_id in refs.values()} - attached
    usable = CredentialShareRepository(session).usable_by(workspace_id, uuid.UUID(principal.user_id), fresh)
    problems = [
        Problem(f"{pointer}/nodes/{index}/credentialId", "this credential is not shared with you")
        for index, credential_id in refs.items()
        if credential_id in fresh and credential_id not in usable
    ]
    return problems, fresh & usable


def attach(
    session: Session, principal: Principal, workflow_id: uuid.UUID, credential_ids: set[uuid.UUID]
) -> None:
    from a2n.db.repositories.credential_sharing import AttachmentRepository

    if credential_ids:
        AttachmentRepository(session).attach(workflow_id, credential_ids, uuid.UUID(principal.user_id))


def usable_ids(session: Session, principal: Principal, credential_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these credentials of the caller's workspace the caller may use (``canUse``)."""
    from a2n.db.repositories.credential_sharing import CredentialShareRepository

    return CredentialShareRepository(session).usable_by(
        uuid.UUID(principal.workspace_id), uuid.UUID(principal.user_id), credential_ids
    )


# --- pieces -----------------------------------------------------------------------------------------


def _now() -> datetime:
    from a2n.db.base import utcnow

    return utcnow()


def _parse(text: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound(f"{what} not found") from None


def _managed(
    session: Session, principal: Principal, credential_id: str, *, action: Action = Action.CREDENTIAL_SHARE
) -> Credential:
    """The credential if the caller manages it: its creator, or an ADMIN+ of the workspace."""
    from a2n.db.repositories.credential_sharing import credential_of
    from a2n.services.access import require

    role = require(session, principal, action)
    credential = credential_of(
        session, uuid.UUID(principal.workspace_id), _parse(credential_id, "Credential")
    )
    if credential is None:
        raise NotFound("Credential not found")
    own = credential.created_by is not None and str(credential.created_by) == principal.user_id
    if not own and not (role is not None and role.at_least(Role.ADMIN)):
        raise Forbidden("Only the credential's owner or a workspace ADMIN manages its sharing")
    return credential


def _member(
    session: Session, principal: Principal, credential: Credential, email: str | None
) -> tuple[uuid.UUID | None, str | None]:
    from a2n.db.repositories.identity import UserRepository, WorkspaceRepository

    if email is None:
        return None, None
    user = UserRepository(session).get_by_email(email)
    if user is None or not user.is_active:
        raise NotFound("No user with this email can receive a share")
    if str(user.id) == principal.user_id:
        raise Conflict("You cannot share a credential with yourself")
    if WorkspaceRepository(session).role_of(credential.workspace_id, user.id) is None:
        raise ValidationFailed(
            [Problem("/email", "credentials are shared with members of their workspace only")]
        )
    return user.id, user.email


def _losing(
    repo: Any, credential_id: uuid.UUID, before: list[Dependent], may_before: Mapping[Any, bool]
) -> list[Dependent]:
    """Dependents whose attacher could use the credential before and cannot now (both asked inside
    the transaction that removed the share, so the answer is exact)."""
    may_after = repo.who_may_use(credential_id, {d.attached_by for d in before})
    return [d for d in before if may_before.get(d.attached_by) and not may_after.get(d.attached_by)]


def _view(share: CredentialShare, email: str | None) -> CredentialShareView:
    return CredentialShareView(
        share.id, share.credential_id, share.grantee_user_id, email, "use", share.expires_at, share.created_at
    )


def _audit(
    session: Session,
    principal: Principal,
    action: str,
    share: CredentialShare,
    email: str | None,
    *,
    origin: Origin | None,
    extra: dict[str, Any] | None = None,
) -> None:
    record_audit(
        session,
        workspace_id=share.workspace_id,
        actor=Actor.of(principal),
        action=action,
        entity_type="credential",
        entity_id=share.credential_id,
        changes={**share_changes(share, email, "use"), **(extra or {})},
        origin=origin,
    )
