"""Notification channels and rules, and each channel's delivery log: a person manages their own in
the workspace they act in; the workspace's (channels everyone's rules may use, rules that only
deliver) are its ADMINs'. Every change is audited. Secrets (a Slack URL, a webhook's URL and signing
secret) are sealed at rest; the signing secret is shown once, at creation.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from a2n.auth.policy import Action
from a2n.errors import NotFound, Problem, ValidationFailed
from a2n.services.audit import Actor, Origin, record_audit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import NotificationChannel, NotificationDelivery, NotificationRule
    from a2n.pagination import Page, PageRequest

KINDS = ("email", "slack", "webhook")
CHANNEL_NOT_FOUND = "Notification channel not found"
RULE_NOT_FOUND = "Notification rule not found"


@dataclass(frozen=True)
class ChannelDraft:
    kind: str
    name: str
    workspace: bool = False  # the workspace's channel (ADMIN+) rather than the caller's own
    email: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class ChannelView:
    id: uuid.UUID
    kind: str
    name: str
    target: str
    scope: str  # "user" | "workspace"
    enabled: bool
    consecutive_failures: int
    disabled_reason: str | None
    created_at: datetime
    signing_secret: str | None = None  # a new webhook channel's, shown once


@dataclass(frozen=True)
class RuleDraft:
    event: str
    workspace: bool = False
    workflow_id: uuid.UUID | None = None
    folder_id: uuid.UUID | None = None
    threshold_seconds: int | None = None
    channel_ids: Sequence[uuid.UUID] = ()


@dataclass(frozen=True)
class RuleView:
    id: uuid.UUID
    event: str
    scope: str
    workflow_id: uuid.UUID | None
    folder_id: uuid.UUID | None
    threshold_seconds: int | None
    channel_ids: list[uuid.UUID]
    created_at: datetime


@dataclass(frozen=True)
class DeliveryView:
    id: uuid.UUID
    event: str
    title: str
    status: str
    attempts: int
    response_status: int | None
    last_error: str | None
    created_at: datetime
    attempted_at: datetime | None
    delivered_at: datetime | None


# --- channels ----------------------------------------------------------------------------------------


def create_channel(principal: Principal, draft: ChannelDraft, *, origin: Origin | None = None) -> ChannelView:
    from a2n.db.models import NotificationChannel
    from a2n.db.uow import UnitOfWork
    from a2n.services.notification_delivery import seal_channel_secret

    with UnitOfWork() as uow:
        _require(uow.session, principal, workspace=draft.workspace)
        channel_id = uuid.uuid4()
        target, secret = _destination(uow.session, principal, draft)
        channel = NotificationChannel(
            id=channel_id,
            workspace_id=uuid.UUID(principal.workspace_id),
            user_id=None if draft.workspace else uuid.UUID(principal.user_id),
            kind=draft.kind,
            name=draft.name,
            target=target,
            secret=seal_channel_secret(channel_id, secret) if secret else None,
            created_by=uuid.UUID(principal.user_id),
        )
        uow.session.add(channel)
        uow.session.flush()
        changes = {"kind": draft.kind, "name": draft.name, "target": target, "scope": _scope(channel)}
        _audit(
            uow.session,
            principal,
            "notification_channel.create",
            ("notification_channel", channel_id),
            changes,
            origin=origin,
        )
        view = _channel_view(channel, signing_secret=secret.get("signingSecret") if secret else None)
        uow.commit()
    return view


def list_channels(principal: Principal, page: PageRequest) -> Page[ChannelView]:
    from a2n.db.repositories.notification_channels import NotificationChannelRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        _require(uow.session, principal, workspace=False)
        found = NotificationChannelRepository(uow.session).visible(
            uuid.UUID(principal.workspace_id),
            uuid.UUID(principal.user_id),
            limit=page.limit,
            after=_after(page),
        )
        return _page([_channel_view(c) for c in found.items], found.next_keyset())


def update_channel(
    principal: Principal,
    channel_id: str,
    *,
    name: str | None,
    enabled: bool | None,
    origin: Origin | None = None,
) -> ChannelView:
    """Rename, disable, or enable again (which forgets the failures that disabled it)."""
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        channel = _managed_channel(uow.session, principal, channel_id)
        changes: dict[str, Any] = {}
        if name is not None and name != channel.name:
            channel.name, changes["name"] = name, name
        if enabled is not None and enabled != channel.enabled:
            channel.enabled, changes["enabled"] = enabled, enabled
            if enabled:
                channel.consecutive_failures, channel.disabled_reason = 0, None
            else:
                channel.disabled_reason = "disabled by a person"
        if changes:
            _audit(
                uow.session,
                principal,
                "notification_channel.update",
                ("notification_channel", channel.id),
                changes,
                origin=origin,
            )
        uow.session.flush()
        view = _channel_view(channel)
        uow.commit()
    return view


def delete_channel(principal: Principal, channel_id: str, *, origin: Origin | None = None) -> None:
    """The channel and its delivery log go; rules naming it keep their other channels."""
    from a2n.db.repositories.notification_channels import NotificationRuleRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        channel = _managed_channel(uow.session, principal, channel_id)
        NotificationRuleRepository(uow.session).drop_channel(channel.id)
        _audit(
            uow.session,
            principal,
            "notification_channel.delete",
            ("notification_channel", channel.id),
            {"name": channel.name, "kind": channel.kind},
            origin=origin,
        )
        uow.session.delete(channel)
        uow.commit()


def list_deliveries(principal: Principal, channel_id: str, page: PageRequest) -> Page[DeliveryView]:
    from a2n.db.repositories.notification_channels import NotificationDeliveryRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        channel = _managed_channel(uow.session, principal, channel_id)
        found = NotificationDeliveryRepository(uow.session).of_channel(
            channel.id, limit=page.limit, after=_after(page)
        )
        return _page([_delivery_view(d) for d in found.items], found.next_keyset())


# --- rules -------------------------------------------------------------------------------------------


def create_rule(principal: Principal, draft: RuleDraft, *, origin: Origin | None = None) -> RuleView:
    from a2n.db.models import NotificationRule
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        _require(uow.session, principal, workspace=draft.workspace)
        _check_rule(uow.session, principal, draft)
        rule = NotificationRule(
            workspace_id=uuid.UUID(principal.workspace_id),
            user_id=None if draft.workspace else uuid.UUID(principal.user_id),
            event=draft.event,
            workflow_id=draft.workflow_id,
            folder_id=draft.folder_id,
            threshold_s=draft.threshold_seconds,
            channel_ids=list(dict.fromkeys(draft.channel_ids)),
            created_by=uuid.UUID(principal.user_id),
        )
        uow.session.add(rule)
        uow.session.flush()
        view = _rule_view(rule)
        _audit(
            uow.session,
            principal,
            "notification_rule.create",
            ("notification_rule", rule.id),
            _rule_changes(view),
            origin=origin,
        )
        uow.commit()
    return view


def list_rules(principal: Principal, page: PageRequest) -> Page[RuleView]:
    from a2n.db.repositories.notification_channels import NotificationRuleRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        _require(uow.session, principal, workspace=False)
        found = NotificationRuleRepository(uow.session).visible(
            uuid.UUID(principal.workspace_id),
            uuid.UUID(principal.user_id),
            limit=page.limit,
            after=_after(page),
        )
        return _page([_rule_view(r) for r in found.items], found.next_keyset())


def delete_rule(principal: Principal, rule_id: str, *, origin: Origin | None = None) -> None:
    from a2n.db.models import NotificationRule
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import uuid_or_not_found

    with UnitOfWork() as uow:
        _require(uow.session, principal, workspace=False)
        rule = uow.session.get(NotificationRule, uuid_or_not_found(rule_id, RULE_NOT_FOUND))
        if rule is None or not _visible(rule.workspace_id, rule.user_id, principal):
            raise NotFound(RULE_NOT_FOUND)
        if rule.user_id is None:
            _require(uow.session, principal, workspace=True)
        _audit(
            uow.session,
            principal,
            "notification_rule.delete",
            ("notification_rule", rule.id),
            _rule_changes(_rule_view(rule)),
            origin=origin,
        )
        uow.session.delete(rule)
        uow.commit()


# --- checks ------------------------------------------------------------------------------------------


def _require(session: Session, principal: Principal, *, workspace: bool) -> None:
    from a2n.services.access import require

    require(session, principal, Action.NOTIFICATION_WORKSPACE if workspace else Action.NOTIFICATION_SETTINGS)


def _destination(session: Session, principal: Principal, draft: ChannelDraft) -> tuple[str, dict[str, str]]:
    """What the channel shows, and what is sealed: (address, {}) or (host, {url[, signingSecret]})."""
    if draft.kind == "email":
        return _email_target(session, principal, draft), {}
    if not draft.url:
        raise ValidationFailed([Problem("/url", f"a {draft.kind} channel needs the URL to post to")])
    host = _vetted_host(draft.url)
    secret = {"url": draft.url}
    if draft.kind == "webhook":
        secret["signingSecret"] = _new_signing_secret()
    return host, secret


def _email_target(session: Session, principal: Principal, draft: ChannelDraft) -> str:
    """Mail goes only to people of the workspace: your own address, or a member's for a workspace
    channel. Anything else would let anyone send our mail to any address."""
    from a2n.db.repositories.identity import UserRepository, WorkspaceRepository

    users = UserRepository(session)
    me = users.get(uuid.UUID(principal.user_id))
    own = me.email if me is not None else ""
    address = (draft.email or own).strip()
    if address.lower() == own.lower():
        return own
    if draft.workspace:
        other = users.get_by_email(address)
        if (
            other is not None
            and WorkspaceRepository(session).role_of(uuid.UUID(principal.workspace_id), other.id) is not None
        ):
            return other.email
    allowed = "your own address or a member's (workspace channels)" if draft.workspace else "your own address"
    raise ValidationFailed([Problem("/email", f"email notifications go to {allowed}")])


def _vetted_host(url: str) -> str:
    """The URL passes the HTTP node's SSRF guard now (and again at every delivery); its host."""
    from urllib.parse import urlsplit

    from a2n.nodes.context import NodeFailed
    from a2n.nodes.http.ssrf import vet_url
    from a2n.settings import get_settings

    try:
        target = vet_url(url, get_settings().http_allow_networks)
    except NodeFailed as refusal:
        raise ValidationFailed([Problem("/url", str(refusal))]) from None
    return urlsplit(url).hostname or target.host


def _new_signing_secret() -> str:
    import base64
    import secrets

    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _check_rule(session: Session, principal: Principal, draft: RuleDraft) -> None:
    from a2n.db.repositories.notification_channels import NotificationChannelRepository
    from a2n.services.notification_routing import EVENTS, EXECUTION_SLOW, PERSONAL_EVENTS

    problems: list[Problem] = []
    workspace_id = uuid.UUID(principal.workspace_id)
    if draft.event not in EVENTS:
        problems.append(Problem("/event", f"one of {', '.join(EVENTS)}"))
    if (draft.event == EXECUTION_SLOW) != (draft.threshold_seconds is not None):
        problems.append(Problem("/thresholdSeconds", f"required for {EXECUTION_SLOW}, and only for it"))
    if draft.event in PERSONAL_EVENTS:
        if draft.workspace:
            problems.append(
                Problem("/workspace", "mentions, shares and expiring credentials concern one person")
            )
        if draft.workflow_id or draft.folder_id:
            problems.append(Problem("/workflowId", "this event is not about a workflow"))
    if draft.workflow_id and draft.folder_id:
        problems.append(Problem("/folderId", "name a workflow or a folder, not both"))
    problems += _unknown_targets(session, workspace_id, draft)
    owner = None if draft.workspace else uuid.UUID(principal.user_id)
    usable = set(NotificationChannelRepository(session).usable(workspace_id, owner, draft.channel_ids))
    for index, channel_id in enumerate(draft.channel_ids):
        if channel_id not in usable:
            problems.append(Problem(f"/channelIds/{index}", "no channel this rule may use has this id"))
    if problems:
        raise ValidationFailed(problems)


def _unknown_targets(session: Session, workspace_id: uuid.UUID, draft: RuleDraft) -> list[Problem]:
    from a2n.db.models import Workflow
    from a2n.db.repositories.folders import FolderRepository

    problems = []
    if draft.workflow_id is not None:
        workflow = session.get(Workflow, draft.workflow_id)
        if workflow is None or workflow.workspace_id != workspace_id:
            problems.append(Problem("/workflowId", "no workflow of this workspace has this id"))
    if (
        draft.folder_id is not None
        and FolderRepository(session).get_in_workspace(workspace_id, draft.folder_id) is None
    ):
        problems.append(Problem("/folderId", "no folder of this workspace has this id"))
    return problems


def _managed_channel(session: Session, principal: Principal, channel_id: str) -> NotificationChannel:
    """The caller's own channel, or (for ADMIN+) one of the workspace's; 404 for anything else."""
    from a2n.db.models import NotificationChannel
    from a2n.services.access import uuid_or_not_found

    _require(session, principal, workspace=False)
    channel = session.get(NotificationChannel, uuid_or_not_found(channel_id, CHANNEL_NOT_FOUND))
    if channel is None or not _visible(channel.workspace_id, channel.user_id, principal):
        raise NotFound(CHANNEL_NOT_FOUND)
    if channel.user_id is None:
        _require(session, principal, workspace=True)
    return channel


def _visible(workspace_id: uuid.UUID, user_id: uuid.UUID | None, principal: Principal) -> bool:
    own = user_id is None or str(user_id) == principal.user_id
    return str(workspace_id) == principal.workspace_id and own


# --- views -------------------------------------------------------------------------------------------


def _scope(row: Any) -> str:
    return "workspace" if row.user_id is None else "user"


def _channel_view(channel: NotificationChannel, *, signing_secret: str | None = None) -> ChannelView:
    return ChannelView(
        id=channel.id,
        kind=channel.kind,
        name=channel.name,
        target=channel.target,
        scope=_scope(channel),
        enabled=channel.enabled,
        consecutive_failures=channel.consecutive_failures,
        disabled_reason=channel.disabled_reason,
        created_at=channel.created_at,
        signing_secret=signing_secret,
    )


def _rule_view(rule: NotificationRule) -> RuleView:
    return RuleView(
        id=rule.id,
        event=rule.event,
        scope=_scope(rule),
        workflow_id=rule.workflow_id,
        folder_id=rule.folder_id,
        threshold_seconds=rule.threshold_s,
        channel_ids=list(rule.channel_ids),
        created_at=rule.created_at,
    )


def _rule_changes(view: RuleView) -> dict[str, Any]:
    return {
        "event": view.event,
        "scope": view.scope,
        "workflowId": str(view.workflow_id) if view.workflow_id else None,
        "folderId": str(view.folder_id) if view.folder_id else None,
        "thresholdSeconds": view.threshold_seconds,
        "channelIds": [str(c) for c in view.channel_ids],
    }


def _delivery_view(delivery: NotificationDelivery) -> DeliveryView:
    return DeliveryView(
        id=delivery.id,
        event=delivery.event,
        title=str(delivery.payload.get("title", "")),
        status=delivery.status,
        attempts=delivery.attempts,
        response_status=delivery.response_status,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        attempted_at=delivery.attempted_at,
        delivered_at=delivery.delivered_at,
    )


def _audit(
    session: Session,
    principal: Principal,
    action: str,
    entity: tuple[str, uuid.UUID],
    changes: dict[str, Any],
    *,
    origin: Origin | None,
) -> None:
    entity_type, entity_id = entity
    record_audit(
        session,
        workspace_id=principal.workspace_id,
        actor=Actor.of(principal),
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        changes=changes,
        origin=origin,
    )


def _after(page: PageRequest) -> Any:
    from a2n.db.repositories.base import Keyset

    return Keyset(page.cursor.sort_key_datetime(), page.cursor.id_uuid()) if page.cursor else None


def _page(items: list[Any], keyset: Any) -> Page[Any]:
    from a2n.pagination import Page, encode_cursor

    return Page(items=items, next_cursor=encode_cursor(keyset.created_at, keyset.id) if keyset else None)
