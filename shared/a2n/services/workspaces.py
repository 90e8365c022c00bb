"""Workspaces and their members: create, list, read, delete; add, re-role and remove members.

A workspace always keeps at least one OWNER; only an OWNER grants OWNER. Every change is audited.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from a2n.auth.policy import Action, Role
from a2n.errors import Conflict, Forbidden, NotFound, Problem, ValidationFailed

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import Workspace, WorkspaceMember
    from a2n.services.audit import Origin

SLUG_MAX = 48
LAST_OWNER = "A workspace must keep at least one OWNER"
PERSONAL_UNDELETABLE = "A personal workspace cannot be deleted"
PERSONAL_OWNER_STAYS = "The owner of a personal workspace stays its OWNER (it is their default workspace)"


@dataclass(frozen=True)
class WorkspaceView:
    id: uuid.UUID
    name: str
    slug: str
    role: str


@dataclass(frozen=True)
class MemberView:
    user_id: uuid.UUID
    email: str
    role: str


@dataclass(frozen=True)
class Policies:
    """What a workspace asks of its members (issue 12)."""

    require_verified_email: bool = False
    require_two_factor: bool = False
    # Whether members who only view a workflow (VIEWER, or a view share) may comment (issue 13).
    viewers_may_comment: bool = True


@dataclass(frozen=True)
class WorkspaceDetail:
    workspace: WorkspaceView
    members: list[MemberView]
    policies: Policies = Policies()


def slugify(name: str) -> str:
    """Lower-case ASCII words joined by hyphens; "workspace" when nothing is left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:SLUG_MAX].strip("-")
    return slug or "workspace"


def create_owned_workspace(session: Session, owner_id: uuid.UUID, name: str) -> Workspace:
    """A new workspace with ``owner_id`` as OWNER and a free slug (inside the caller's transaction)."""
    workspace = new_workspace(session, name)
    add_owner(session, workspace.id, owner_id)
    return workspace


def new_workspace(session: Session, name: str) -> Workspace:
    """A new workspace row with a free slug, no members yet (registration adds the user after it,
    since the user row names it as its personal workspace)."""
    from a2n.db.models import Workspace
    from a2n.db.repositories.identity import WorkspaceRepository

    repo = WorkspaceRepository(session)
    base = slugify(name)
    taken = repo.slugs_like(base)
    slug = (
        base
        if base not in taken
        else next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)
    )
    # A concurrent create may take the same slug between our read and insert: retry with random bits.
    for candidate in (slug, f"{base}-{uuid.uuid4().hex[:6]}"):
        try:
            return repo.add(Workspace(name=name, slug=candidate), conflict="slug taken")
        except Conflict:
            continue
    raise Conflict("Could not allocate a workspace slug; retry")


def add_owner(session: Session, workspace_id: uuid.UUID, owner_id: uuid.UUID) -> None:
    from a2n.db.enums import WorkspaceRole
    from a2n.db.models import WorkspaceMember
    from a2n.db.repositories.identity import WorkspaceMemberRepository

    WorkspaceMemberRepository(session).add(
        WorkspaceMember(workspace_id=workspace_id, user_id=owner_id, role=WorkspaceRole.OWNER)
    )


def create_workspace(principal: Principal, name: str, *, origin: Origin | None = None) -> WorkspaceView:
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require
    from a2n.services.audit import Actor, record_audit

    with UnitOfWork() as uow:
        require(uow.session, principal, Action.WORKSPACE_CREATE)
        workspace = create_owned_workspace(uow.session, uuid.UUID(principal.user_id), name)
        record_audit(
            uow.session,
            workspace_id=workspace.id,
            actor=Actor.of(principal),
            action="workspace.create",
            entity_type="workspace",
            entity_id=workspace.id,
            changes={"name": name},
            origin=origin,
        )
        uow.commit()
    return WorkspaceView(workspace.id, workspace.name, workspace.slug, Role.OWNER.value)


def list_workspaces(principal: Principal) -> list[WorkspaceView]:
    from a2n.db.repositories.identity import WorkspaceRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require

    with UnitOfWork() as uow:
        require(uow.session, principal, Action.WORKSPACE_LIST)
        rows = WorkspaceRepository(uow.session).for_user(uuid.UUID(principal.user_id))
        if principal.is_api_key:  # a key is bound to one workspace and sees only that one
            rows = [(w, r) for w, r in rows if str(w.id) == principal.workspace_id]
        return [WorkspaceView(w.id, w.name, w.slug, r.value) for w, r in rows]


def get_workspace(principal: Principal, workspace_id: str) -> WorkspaceDetail:
    from a2n.db.repositories.identity import WorkspaceRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require

    target = _workspace_uuid(workspace_id)
    with UnitOfWork() as uow:
        role = require(uow.session, principal, Action.WORKSPACE_READ, workspace_id=str(target))
        repo = WorkspaceRepository(uow.session)
        workspace = repo.require(target)
        members = [MemberView(m.user_id, email, m.role.value) for m, email in repo.members(target)]
        assert role is not None  # WORKSPACE_READ needs a membership
        view = WorkspaceView(workspace.id, workspace.name, workspace.slug, role.value)
        policies = Policies(
            workspace.require_verified_email, workspace.require_two_factor, workspace.viewers_may_comment
        )
        return WorkspaceDetail(view, members, policies)


def set_policies(
    principal: Principal,
    workspace_id: str,
    *,
    require_verified_email: bool | None,
    require_two_factor: bool | None,
    viewers_may_comment: bool | None = None,
    origin: Origin | None = None,
) -> Policies:
    """ADMIN+: change what the workspace asks of its members. Requiring two-factor needs the admin to
    have it on (else they would lock themselves out) and is refused on a personal workspace, where
    every request without X-Workspace-Id acts — including turning two-factor on."""
    from a2n.db.repositories.identity import UserRepository, WorkspaceRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require
    from a2n.services.audit import Actor, record_audit

    target = _workspace_uuid(workspace_id)
    with UnitOfWork() as uow:
        require(uow.session, principal, Action.WORKSPACE_ADMIN, workspace_id=str(target))
        workspace = WorkspaceRepository(uow.session).require(target)
        changes: dict[str, bool] = {}
        if require_two_factor is not None and require_two_factor != workspace.require_two_factor:
            if require_two_factor:
                users = UserRepository(uow.session)
                if users.owner_of_personal(target) is not None:
                    raise Conflict("A personal workspace cannot require two-factor authentication")
                admin = users.get(uuid.UUID(principal.user_id))
                if admin is None or admin.totp_enabled_at is None:
                    raise Conflict("Turn two-factor authentication on for yourself first (POST /me/2fa/totp)")
            workspace.require_two_factor = changes["requireTwoFactor"] = require_two_factor
        if require_verified_email is not None and require_verified_email != workspace.require_verified_email:
            workspace.require_verified_email = changes["requireVerifiedEmail"] = require_verified_email
        if viewers_may_comment is not None and viewers_may_comment != workspace.viewers_may_comment:
            workspace.viewers_may_comment = changes["viewersMayComment"] = viewers_may_comment
        if changes:
            record_audit(
                uow.session,
                workspace_id=target,
                actor=Actor.of(principal),
                action="workspace.policies",
                entity_type="workspace",
                entity_id=target,
                changes=changes,
                origin=origin,
            )
        policies = Policies(
            workspace.require_verified_email, workspace.require_two_factor, workspace.viewers_may_comment
        )
        uow.commit()
    return policies


def delete_workspace(principal: Principal, workspace_id: str, *, origin: Origin | None = None) -> None:
    """OWNER only. Nobody's personal workspace can go: requests without X-Workspace-Id act in it."""
    from a2n.db.repositories.identity import UserRepository, WorkspaceRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require
    from a2n.services.audit import Actor, record_audit

    target = _workspace_uuid(workspace_id)
    with UnitOfWork() as uow:
        require(uow.session, principal, Action.WORKSPACE_DELETE, workspace_id=str(target))
        if UserRepository(uow.session).owner_of_personal(target) is not None:
            raise Conflict(PERSONAL_UNDELETABLE)
        repo = WorkspaceRepository(uow.session)
        workspace = repo.require(target)
        # Audit rows outlive the workspace (workspace_id null on delete): record before deleting.
        record_audit(
            uow.session,
            workspace_id=None,
            actor=Actor.of(principal),
            action="workspace.delete",
            entity_type="workspace",
            entity_id=target,
            changes={"name": workspace.name},
            origin=origin,
        )
        repo.delete(workspace)
        uow.commit()


def add_member(
    principal: Principal, workspace_id: str, email: str, role: Role, *, origin: Origin | None = None
) -> MemberView:
    """ADMIN+ adds a registered user; unknown email → 404, already a member → 409."""
    from a2n.db.enums import WorkspaceRole
    from a2n.db.models import WorkspaceMember
    from a2n.db.repositories.identity import UserRepository, WorkspaceMemberRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require
    from a2n.services.audit import Actor, record_audit

    target = _workspace_uuid(workspace_id)
    with UnitOfWork() as uow:
        caller_role = require(uow.session, principal, Action.WORKSPACE_ADMIN, workspace_id=str(target))
        _check_can_grant(caller_role, role)
        user = UserRepository(uow.session).get_by_email(email)
        if user is None or not user.is_active:
            # A body field, not the URL's resource: a 404 here would read as "no such workspace".
            raise ValidationFailed([Problem("/email", "no active user has this email")])
        member = WorkspaceMember(workspace_id=target, user_id=user.id, role=WorkspaceRole(role.value))
        WorkspaceMemberRepository(uow.session).add(member, conflict="Already a member of this workspace")
        record_audit(
            uow.session,
            workspace_id=target,
            actor=Actor.of(principal),
            action="member.add",
            entity_type="user",
            entity_id=user.id,
            changes={"email": user.email, "role": role.value},
            origin=origin,
        )
        uow.commit()
    return MemberView(user.id, user.email, role.value)


def update_member(
    principal: Principal, workspace_id: str, user_id: str, role: Role, *, origin: Origin | None = None
) -> MemberView:
    from a2n.db.enums import WorkspaceRole
    from a2n.db.repositories.identity import UserRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require
    from a2n.services.audit import Actor, record_audit

    target, member_id = _workspace_uuid(workspace_id), _user_uuid(user_id)
    with UnitOfWork() as uow:
        caller_role = require(uow.session, principal, Action.WORKSPACE_ADMIN, workspace_id=str(target))
        member = _locked_member(uow.session, target, member_id)
        # Changing an OWNER's role, or making one, is an OWNER's decision.
        _check_can_grant(caller_role, Role.OWNER if member.role == WorkspaceRole.OWNER else role)
        if member.role == WorkspaceRole.OWNER and role is not Role.OWNER:
            _keep_personal_owner(uow.session, target, member_id)
            _keep_an_owner(uow.session, target, member_id)
        before = member.role.value
        member.role = WorkspaceRole(role.value)
        user = UserRepository(uow.session).require(member_id)
        record_audit(
            uow.session,
            workspace_id=target,
            actor=Actor.of(principal),
            action="member.update",
            entity_type="user",
            entity_id=member_id,
            changes={"role": {"from": before, "to": role.value}},
            origin=origin,
        )
        uow.commit()
    return MemberView(member_id, user.email, role.value)


def remove_member(
    principal: Principal, workspace_id: str, user_id: str, *, origin: Origin | None = None
) -> None:
    """ADMIN+ removes a member; the member's API keys in this workspace are revoked with it."""
    from a2n.db.enums import WorkspaceRole
    from a2n.db.repositories.identity import ApiKeyRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require
    from a2n.services.audit import Actor, record_audit

    target, member_id = _workspace_uuid(workspace_id), _user_uuid(user_id)
    with UnitOfWork() as uow:
        caller_role = require(uow.session, principal, Action.WORKSPACE_ADMIN, workspace_id=str(target))
        member = _locked_member(uow.session, target, member_id)
        if member.role == WorkspaceRole.OWNER:
            _check_can_grant(caller_role, Role.OWNER)
            _keep_personal_owner(uow.session, target, member_id)
            _keep_an_owner(uow.session, target, member_id)
        uow.session.delete(member)
        # Their keys leave with them, and stay revoked if they are ever added back.
        revoked = ApiKeyRepository(uow.session).revoke_for_member(target, member_id, datetime.now(UTC))
        record_audit(
            uow.session,
            workspace_id=target,
            actor=Actor.of(principal),
            action="member.remove",
            entity_type="user",
            entity_id=member_id,
            changes={"role": member.role.value, "apiKeysRevoked": revoked},
            origin=origin,
        )
        uow.commit()


def _check_can_grant(caller_role: Role | None, role: Role) -> None:
    if role is Role.OWNER and caller_role is not Role.OWNER:
        raise Forbidden("Only an OWNER can grant or change the OWNER role")


def _keep_personal_owner(session: Session, workspace_id: uuid.UUID, leaving: uuid.UUID) -> None:
    """A personal workspace is where its owner's requests land by default: another OWNER of it may
    not demote or remove them, or the account would act in a workspace it cannot use."""
    from a2n.db.repositories.identity import UserRepository

    if UserRepository(session).owner_of_personal(workspace_id) == leaving:
        raise Conflict(PERSONAL_OWNER_STAYS)


def _keep_an_owner(session: Session, workspace_id: uuid.UUID, leaving: uuid.UUID) -> None:
    from a2n.db.repositories.identity import WorkspaceRepository

    owners = WorkspaceRepository(session).owners_locked(workspace_id)
    if not [owner for owner in owners if owner != leaving]:
        raise Conflict(LAST_OWNER)


def _locked_member(session: Session, workspace_id: uuid.UUID, user_id: uuid.UUID) -> WorkspaceMember:
    from a2n.db.repositories.identity import WorkspaceRepository

    member = WorkspaceRepository(session).membership(workspace_id, user_id, lock=True)
    if member is None:
        raise NotFound("Member not found")
    return member


def _workspace_uuid(value: str) -> uuid.UUID:
    from a2n.services.access import uuid_or_not_found

    return uuid_or_not_found(value, "Workspace not found")


def _user_uuid(value: str) -> uuid.UUID:
    from a2n.services.access import uuid_or_not_found

    return uuid_or_not_found(value, "Member not found")
