"""The template gallery: the built-in templates and those published from workflows, in one list with
usage counts and ratings. A workspace's members publish a workflow's published version as a template
of their workspace, optionally asking for the public gallery, which a platform admin approves.
``POST /workflows {templateId}`` instantiates any template the caller can see and counts the use.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from a2n.auth.policy import Action
from a2n.errors import Conflict, Forbidden, NotFound, Problem, ValidationFailed
from a2n.services.audit import Actor, Origin, record_audit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.repositories.templates import GalleryQuery, GalleryRow
    from a2n.pagination import Page, PageRequest

# Built-ins sort after every published template (they are the oldest entries of the gallery).
BUILTIN_SINCE = datetime(2026, 1, 1, tzinfo=UTC)
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


@dataclass(frozen=True)
class WorkflowTemplate:
    """A gallery entry. ``id`` is a built-in's slug or a published template's UUID (as text)."""

    id: str
    name: str
    description: str
    category: str
    definition: dict[str, Any]
    source: str = "builtin"  # builtin | workspace | public
    public_status: str | None = None
    required_credentials: tuple[dict[str, Any], ...] = ()
    node_types: tuple[str, ...] = ()
    usage_count: int = 0
    rating_count: int = 0
    rating_average: float | None = None
    created_at: datetime = BUILTIN_SINCE


@dataclass(frozen=True)
class GalleryFilter:
    category: str | None = None
    source: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class TemplatePublication:
    workflow_id: str
    name: str | None = None
    description: str | None = None
    category: str | None = None
    public: bool = False


# --- reading --------------------------------------------------------------------------------------


def list_templates(
    principal: Principal, page: PageRequest | None = None, wanted: GalleryFilter | None = None
) -> Page[WorkflowTemplate]:
    """``GET /templates``: built-ins, this workspace's templates and approved public ones (pending
    ones too for platform admins), newest first (built-ins last)."""
    from a2n.db.uow import UnitOfWork
    from a2n.pagination import Page, PageRequest, encode_cursor

    page = page or PageRequest()
    wanted = wanted or GalleryFilter()
    after = (page.cursor.sort_key_datetime(), page.cursor.id) if page.cursor else None
    with UnitOfWork() as uow:
        query = _query(
            uow.session, principal, category=wanted.category, source=wanted.source, status=wanted.status
        )
        rows, more = _gallery(uow.session, query, limit=page.limit, after=after)
    items = [_entry(row) for row in rows]
    last = items[-1] if more and items else None
    return Page(items=items, next_cursor=encode_cursor(last.created_at, last.id) if last else None)


def get_gallery_template(principal: Principal, key: str) -> WorkflowTemplate:
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        return _visible(uow.session, principal, key)


def get_template(template_id: str) -> WorkflowTemplate:
    """A fresh copy of one built-in template (callers may change its definition); 404 otherwise."""
    for raw in _catalogue():
        if raw["id"] == template_id:
            return _builtin(raw)
    raise NotFound(f"No template with id {template_id!r}")


def take_for_workflow(session: Session, principal: Principal, key: str) -> WorkflowTemplate:
    """The template a new workflow copies, if the caller can see it; its use is counted in the
    caller's transaction (so a refused save counts nothing)."""
    from a2n.db.repositories.templates import TemplateRepository

    template = _visible(session, principal, key)
    TemplateRepository(session).count_use(template.id)
    return template


# --- publishing, reviewing, rating, deleting --------------------------------------------------------


def publish_template(
    principal: Principal, wanted: TemplatePublication, *, origin: Origin | None = None
) -> WorkflowTemplate:
    """``POST /templates``: the workflow's published version, without credentials or secrets, as a
    template of its workspace; ``public`` asks for the public gallery (pending a platform admin)."""
    from a2n.db.models import WorkflowTemplate as Row
    from a2n.db.repositories.templates import TemplateRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.workflow_access import open_workflow

    with UnitOfWork() as uow:
        workflow = open_workflow(uow.session, principal, wanted.workflow_id, Action.TEMPLATE_PUBLISH)
        definition, required = _portable(
            uow.session, workflow.workspace_id, workflow.published_definition or {}
        )
        row = Row(
            workspace_id=workflow.workspace_id,
            created_by=uuid.UUID(principal.user_id),
            source_workflow_id=workflow.id,
            name=wanted.name or workflow.name,
            description=wanted.description
            if wanted.description is not None
            else (workflow.description or ""),
            category=wanted.category or workflow.category or "general",
            definition=definition,
            required_credentials=required,
            node_types=sorted({str(n.get("type")) for n in definition.get("nodes") or []}),
            public_status=PENDING if wanted.public else None,
        )
        TemplateRepository(uow.session).add(row)
        changes = {"name": row.name, "public": wanted.public}
        _audit(uow.session, principal, "template.publish", row, changes, origin=origin)
        template = _visible(uow.session, principal, str(row.id))
        uow.commit()
    return template


def review_template(
    principal: Principal, template_id: str, *, approved: bool, origin: Origin | None = None
) -> WorkflowTemplate:
    """``POST /templates/{id}/review``: a platform admin approves (public gallery) or rejects a
    template asking for it."""
    from a2n.db.repositories.templates import TemplateRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.platform_admin import require_platform_admin

    with UnitOfWork() as uow:
        require_platform_admin(uow.session, principal, Action.TEMPLATE_REVIEW)
        row = TemplateRepository(uow.session).get(_uuid(template_id))
        if row is None or row.public_status is None:
            raise NotFound("No template awaits a public review under this id")
        row.public_status = APPROVED if approved else REJECTED
        row.reviewed_by, row.reviewed_at = uuid.UUID(principal.user_id), datetime.now(UTC)
        _audit(
            uow.session, principal, "template.review", row, {"publicStatus": row.public_status}, origin=origin
        )
        uow.session.flush()
        template = _entry(_row(uow.session, principal, str(row.id), admin=True))
        uow.commit()
    return template


def rate_template(principal: Principal, key: str, stars: int) -> WorkflowTemplate:
    """``PUT /templates/{id}/rating``: 1-5, one per user (a new rating replaces the caller's)."""
    from a2n.auth.policy import authorize
    from a2n.db.repositories.templates import TemplateRepository
    from a2n.db.uow import UnitOfWork

    authorize(principal, None, Action.TEMPLATE_RATE)
    if not 1 <= stars <= 5:
        raise ValidationFailed([Problem("/stars", "a rating is 1 to 5 stars")])
    with UnitOfWork() as uow:
        template = _visible(uow.session, principal, key)
        TemplateRepository(uow.session).rate(template.id, uuid.UUID(principal.user_id), stars)
        rated = _visible(uow.session, principal, key)
        uow.commit()
    return rated


def delete_template(principal: Principal, template_id: str, *, origin: Origin | None = None) -> None:
    """By its publisher, or an ADMIN+ of its workspace; built-ins cannot be deleted."""
    from a2n.auth.policy import Role
    from a2n.db.repositories.templates import TemplateRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require

    if _is_builtin(template_id):
        raise Conflict("Built-in templates cannot be deleted")
    with UnitOfWork() as uow:
        role = require(uow.session, principal, Action.TEMPLATE_PUBLISH)
        repo = TemplateRepository(uow.session)
        row = repo.get_in_workspace(uuid.UUID(principal.workspace_id), _uuid(template_id))
        if row is None:
            raise NotFound("Template not found")
        own = row.created_by is not None and str(row.created_by) == principal.user_id
        if not own and not (role is not None and role.at_least(Role.ADMIN)):
            raise Forbidden("Only its publisher or a workspace ADMIN deletes a template")
        _audit(uow.session, principal, "template.delete", row, {"name": row.name}, origin=origin)
        repo.forget(str(row.id))
        repo.delete(row)
        uow.commit()


# --- pieces -----------------------------------------------------------------------------------------


def _catalogue() -> tuple[dict[str, Any], ...]:
    from a2n.templates import builtin_templates

    return builtin_templates()


def _is_builtin(key: str) -> bool:
    return any(raw["id"] == key for raw in _catalogue())


def _builtin(raw: dict[str, Any], row: GalleryRow | None = None) -> WorkflowTemplate:
    definition = copy.deepcopy(raw["definition"])
    return WorkflowTemplate(
        id=raw["id"],
        name=raw["name"],
        description=raw["description"],
        category=raw["category"],
        definition=definition,
        node_types=tuple(sorted({str(n.get("type")) for n in definition.get("nodes") or []})),
        **(_stats(row) if row is not None else {}),
    )


def _stats(row: GalleryRow) -> dict[str, Any]:
    average = round(row.rating_sum / row.rating_count, 2) if row.rating_count else None
    return {"usage_count": row.usage_count, "rating_count": row.rating_count, "rating_average": average}


def _entry(row: GalleryRow) -> WorkflowTemplate:
    if row.source == "builtin":
        raw = next(r for r in _catalogue() if r["id"] == row.key)
        return _builtin(raw, row)
    return WorkflowTemplate(
        id=row.key,
        name=row.name,
        description=row.description,
        category=row.category,
        definition=copy.deepcopy(row.definition or {}),
        source=row.source,
        public_status=row.public_status,
        required_credentials=tuple(row.required_credentials),
        node_types=tuple(row.node_types),
        created_at=row.created_at,
        **_stats(row),
    )


def _builtin_rows() -> list[dict[str, Any]]:
    return [
        {
            "key": raw["id"],
            "name": raw["name"],
            "description": raw["description"],
            "category": raw["category"],
            "created_at": BUILTIN_SINCE.isoformat(),
            "node_types": sorted({str(n.get("type")) for n in raw["definition"].get("nodes") or []}),
        }
        for raw in _catalogue()
    ]


def _query(session: Session, principal: Principal, **filters: Any) -> GalleryQuery:
    from a2n.auth.policy import authorize
    from a2n.db.repositories.templates import GalleryQuery

    authorize(principal, None, Action.CATALOG_READ)
    return GalleryQuery(
        workspace_id=uuid.UUID(principal.workspace_id),
        platform_admin=_is_platform_admin(session, principal),
        **filters,
    )


def _gallery(
    session: Session, query: GalleryQuery, *, limit: int, after: tuple[datetime, str] | None = None
) -> tuple[list[GalleryRow], bool]:
    from a2n.db.repositories.templates import TemplateRepository

    return TemplateRepository(session).gallery(_builtin_rows(), query, limit=limit, after=after)


def _row(session: Session, principal: Principal, key: str, *, admin: bool | None = None) -> GalleryRow:
    from dataclasses import replace

    query = _query(session, principal, key=key)
    if admin is not None:
        query = replace(query, platform_admin=admin)
    rows, _ = _gallery(session, query, limit=1)
    if not rows:
        raise NotFound("Template not found")
    return rows[0]


def _visible(session: Session, principal: Principal, key: str) -> WorkflowTemplate:
    """The template if the caller can see it (same rule as the gallery); NotFound otherwise."""
    return _entry(_row(session, principal, key))


def _is_platform_admin(session: Session, principal: Principal) -> bool:
    from a2n.services.platform_admin import is_platform_admin

    return not principal.is_api_key and is_platform_admin(session, principal)


def _portable(
    session: Session, workspace_id: uuid.UUID, definition: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The definition without secrets or credential ids, and which credential type each node needs."""
    from a2n.db.repositories.workflows import CredentialReferences
    from a2n.services.workflow_definitions import credential_refs, without_secrets

    portable = without_secrets(definition)
    refs = credential_refs(portable, "credentialId")
    ids = {_maybe_uuid(text) for text in refs.values()} - {None}
    types = CredentialReferences(session).types_by_id(workspace_id, ids)  # type: ignore[arg-type]
    required: list[dict[str, Any]] = []
    nodes = portable.get("nodes") or []
    for index, text in refs.items():
        node = nodes[index]
        node.pop("credentialId", None)
        credential_type = types.get(_maybe_uuid(text))  # type: ignore[arg-type]
        if credential_type is not None:
            required.append({"nodeId": node.get("id"), "type": credential_type})
    return portable, required


def _maybe_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _uuid(text: str) -> uuid.UUID:
    parsed = _maybe_uuid(text)
    if parsed is None:
        raise NotFound("Template not found")
    return parsed


def _audit(
    session: Session,
    principal: Principal,
    action: str,
    row: Any,
    changes: dict[str, Any],
    *,
    origin: Origin | None,
) -> None:
    record_audit(
        session,
        workspace_id=row.workspace_id,
        actor=Actor.of(principal),
        action=action,
        entity_type="template",
        entity_id=row.id,
        changes=changes,
        origin=origin,
    )
