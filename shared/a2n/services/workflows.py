"""Workflow use cases: create, list, read, replace, delete, versions and restore, import/export and
validation. Each runs in one transaction, checks access first, scopes by workspace and audits changes;
every save validates the whole definition (ARCHITECTURE §4) and its credential references at once."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from a2n.auth.policy import Action
from a2n.errors import NotFound, Problem, ValidationFailed
from a2n.pagination import Page, PageRequest, encode_cursor
from a2n.services.audit import Actor, Origin, record_audit
from a2n.services.credential_sharing import attach
from a2n.services.integrations.installs import (
    integration_problems,
    package_versions,
    pin_package_versions,
    resolve_imported_versions,
)
from a2n.services.workflow_access import open_workflow
from a2n.services.workflow_definitions import (
    credential_refs,
    is_storable_text,
    redact_definition,
    restore_masked_secrets,
    unstorable_text_problems,
    with_credential_ids,
    with_credential_names,
    without_secrets,
)
from a2n.services.workflow_views import WorkflowView, workflow_view
from a2n.workflows.warnings import configured_warnings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import Workflow, WorkflowVersion
    from a2n.db.repositories.workflows import WorkflowFilter

__all__ = [
    "EXPORT_FORMAT",
    "VersionView",
    "WorkflowDraft",
    "WorkflowView",
    "create_workflow",
    "create_workflow_from_template",
    "delete_workflow",
    "export_workflow",
    "get_version",
    "get_workflow",
    "import_workflow",
    "list_versions",
    "list_workflows",
    "redact_definition",
    "replace_workflow",
    "restore_version",
    "validate_workflow_definition",
]

EXPORT_FORMAT = 1
DEFINITION = "/definition"


@dataclass(frozen=True)
class WorkflowDraft:
    """What a client may set on a workflow; everything else is the server's."""

    name: str
    definition: dict[str, Any]
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    # API.md's top-level ``variables``: stored as ``definition.variables``, its one home.
    variables: dict[str, Any] | None = None
    # Organisation, set on create (PATCH changes them later; a save leaves them as they are).
    folder_id: uuid.UUID | None = None
    category: str | None = None

    def with_variables_in_definition(self) -> tuple[WorkflowDraft, list[Problem]]:
        if self.variables is None:
            return self, []
        if "variables" in self.definition:
            return self, [Problem("/variables", "variables are also in definition.variables; send them once")]
        definition = {**self.definition, "variables": self.variables}
        return replace(self, definition=definition, variables=None), []


@dataclass(frozen=True)
class VersionView:
    version: int
    created_at: datetime
    created_by: uuid.UUID | None
    change_note: str | None
    definition: dict[str, Any] | None = None


def _version_view(row: WorkflowVersion, *, with_definition: bool) -> VersionView:
    return VersionView(
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        change_note=row.change_note,
        definition=redact_definition(row.definition) if with_definition else None,
    )


def _workspace(principal: Principal) -> uuid.UUID:
    return uuid.UUID(principal.workspace_id)


# --- validation -----------------------------------------------------------------------------------


def _credential_problems(
    session: Session, workspace_id: uuid.UUID, definition: Mapping[str, Any]
) -> list[Problem]:
    from a2n.db.repositories.workflows import CredentialReferences

    refs = credential_refs(definition, "credentialId")
    parsed: dict[int, uuid.UUID | None] = {}
    for index, text in refs.items():
        try:
            parsed[index] = uuid.UUID(text)
        except ValueError:
            parsed[index] = None
    known = CredentialReferences(session).existing_ids(workspace_id, {u for u in parsed.values() if u})
    return [
        Problem(f"{DEFINITION}/nodes/{index}/credentialId", "credential not found")
        for index, credential_id in parsed.items()
        if credential_id not in known
    ]


ERROR_WORKFLOW = f"{DEFINITION}/settings/errorWorkflowId"


def _error_workflow_problems(
    session: Session, workspace_id: uuid.UUID, definition: Mapping[str, Any]
) -> list[Problem]:
    """``settings.errorWorkflowId`` must name a workflow of this workspace whose published version
    has a trigger.error node: anything else would only be found out when a run fails."""
    from a2n.db.repositories.workflows import WorkflowRepository
    from a2n.nodes.trigger_error import ERROR_TRIGGER

    settings = definition.get("settings")
    target = settings.get("errorWorkflowId") if isinstance(settings, Mapping) else None
    if not isinstance(target, str):
        return []  # absent, or a wrong type the shape check reports
    try:
        found = WorkflowRepository(session).require_live(workspace_id, uuid.UUID(target))
    except (ValueError, NotFound):
        return [Problem(ERROR_WORKFLOW, "no workflow with this id in this workspace")]
    running = found.published_definition or {}
    nodes = running.get("nodes") if isinstance(running, Mapping) else None
    if not any(isinstance(n, Mapping) and n.get("type") == ERROR_TRIGGER for n in nodes or []):
        return [Problem(
            ERROR_WORKFLOW,
            f"workflow {found.name!r} has no {ERROR_TRIGGER} node in its published version: add one (it "
            "receives the failed run) and publish it, then point errorWorkflowId at it",
        )]  # fmt: skip
    return []


def _definition_problems(session: Session, workspace_id: uuid.UUID, definition: Any) -> list[Problem]:
    from a2n.workflows.limits import limit_problems
    from a2n.workflows.validation import validate_definition

    limits = limit_problems(definition, DEFINITION)
    if limits:
        return limits  # a hostile document gets no further walks
    problems = validate_definition(definition, pointer_prefix=DEFINITION)
    problems += unstorable_text_problems(definition, DEFINITION)
    if isinstance(definition, Mapping):
        problems += _credential_problems(session, workspace_id, definition)
        problems += _error_workflow_problems(session, workspace_id, definition)
        problems += integration_problems(session, workspace_id, definition, DEFINITION)
    return list(dict.fromkeys(problems))


def _unmasked(draft: WorkflowDraft, stored: Mapping[str, Any] | None) -> tuple[WorkflowDraft, list[Problem]]:
    definition, problems = restore_masked_secrets(draft.definition, stored, DEFINITION)
    return replace(draft, definition=definition), problems


def _default_schedule_timezone(
    session: Session, principal: Principal, definition: Any, *, existing: Any = None
) -> None:
    """A new schedule trigger saved without a ``timezone`` gets the saving person's profile timezone
    (``PATCH /me``), written into the definition so it shows and stays; without one it stays UTC.
    Nodes already in ``existing`` (the stored definition) keep what they had: a profile change never
    moves a running schedule."""
    from a2n.db.repositories.identity import UserRepository

    nodes = definition.get("nodes") if isinstance(definition, dict) else None
    old_nodes = existing.get("nodes") if isinstance(existing, dict) else None
    known = {node.get("id") for node in old_nodes or [] if isinstance(node, dict)}
    unset = [
        node["config"]
        for node in nodes or []
        if isinstance(node, dict) and node.get("type") == "trigger.schedule" and node.get("id") not in known
        and isinstance(node.get("config"), dict) and "timezone" not in node["config"]
    ]  # fmt: skip
    if not unset:
        return
    user = UserRepository(session).get(uuid.UUID(principal.user_id))
    if user is not None and user.timezone:
        for config in unset:
            config["timezone"] = user.timezone


def _ensure_saveable(
    session: Session,
    principal: Principal,
    workspace_id: uuid.UUID,
    draft: WorkflowDraft,
    *,
    workflow_id: uuid.UUID | None = None,
    extra: list[Problem] | None = None,
) -> set[uuid.UUID]:
    """Every problem at once (422); returns the credentials this save newly attaches (README
    "Credential sharing": the saver must be allowed to use them)."""
    from a2n.services.credential_sharing import attachment_problems

    problems = list(extra or [])
    for where, text in (("/name", draft.name), ("/description", draft.description or "")):
        if not is_storable_text(text):
            problems.append(Problem(where, "text contains NUL or an unpaired surrogate"))
    problems += unstorable_text_problems(draft.tags, "/tags")
    pin_package_versions(session, workspace_id, draft.definition)  # the workflow records them
    problems += _definition_problems(session, workspace_id, draft.definition)
    refs = _known_refs(draft.definition)
    refused, to_attach = attachment_problems(
        session, principal, workflow_id=workflow_id, workspace_id=workspace_id, refs=refs, pointer=DEFINITION
    )
    problems += refused
    if problems:
        raise ValidationFailed(list(dict.fromkeys(problems)), "the workflow cannot be saved")
    return to_attach


def _known_refs(definition: Any) -> dict[int, uuid.UUID]:
    """node index → the credential id it names (well-formed ids only; others are problems already)."""
    found: dict[int, uuid.UUID] = {}
    if isinstance(definition, Mapping):
        for index, text in credential_refs(definition, "credentialId").items():
            try:
                found[index] = uuid.UUID(text)
            except ValueError:
                continue
    return found


def _ensure_folder(session: Session, principal: Principal, draft: WorkflowDraft) -> None:
    from a2n.services.workflow_access import require_folder

    if draft.folder_id is not None:
        require_folder(session, _workspace(principal), draft.folder_id, "/folderId")


def validate_workflow_definition(principal: Principal, definition: Any) -> list[Problem]:
    """``POST /workflows/validate``: the warnings if the definition could be saved, else 422 with
    every problem."""
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require

    with UnitOfWork() as uow:
        require(uow.session, principal, Action.WORKFLOW_WRITE)
        problems = _definition_problems(uow.session, _workspace(principal), definition)
    if problems:
        raise ValidationFailed(problems, "the workflow definition is invalid")
    return configured_warnings(definition)


# --- create / read --------------------------------------------------------------------------------


def _save_new(
    session: Session, principal: Principal, draft: WorkflowDraft, *, action: str, origin: Origin | None
) -> WorkflowView:
    """Version 1, published at once: nothing ran before it, so publishing it changes no run."""
    from a2n.db.models import Workflow, WorkflowVersion
    from a2n.db.repositories.workflows import WorkflowRepository, WorkflowVersionRepository
    from a2n.services.activation import split_webhook_secrets
    from a2n.services.publishing import publish_version

    # Webhook secrets go to sealed trigger storage; no row holding the definition ever has them.
    stored, fresh = split_webhook_secrets(draft.definition)
    workflow = Workflow(
        workspace_id=_workspace(principal),
        created_by=uuid.UUID(principal.user_id),
        name=draft.name,
        description=draft.description,
        definition=stored,
        version=1,
        tags=list(dict.fromkeys(draft.tags)),
        folder_id=draft.folder_id,
        category=draft.category,
    )
    WorkflowRepository(session).add(workflow)
    first = WorkflowVersionRepository(session).add(
        WorkflowVersion(workflow_id=workflow.id, version=1, definition=stored, created_by=workflow.created_by)
    )
    publish_version(session, workflow, first, publisher=workflow.created_by, fresh=fresh)
    _audit(
        session,
        principal,
        action=action,
        workflow=workflow,
        changes={"name": draft.name, "version": 1},
        origin=origin,
    )
    session.flush()
    return workflow_view(workflow)


def create_workflow(
    principal: Principal, draft: WorkflowDraft, *, origin: Origin | None = None
) -> WorkflowView:
    """``POST /workflows``: version 1 and its version row, validated and audited, in one transaction."""
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require

    with UnitOfWork() as uow:
        require(uow.session, principal, Action.WORKFLOW_WRITE)
        draft, problems = draft.with_variables_in_definition()
        draft, masked = _unmasked(draft, None)
        _default_schedule_timezone(uow.session, principal, draft.definition)
        to_attach = _ensure_saveable(
            uow.session, principal, _workspace(principal), draft, extra=problems + masked
        )
        _ensure_folder(uow.session, principal, draft)
        view = _save_new(uow.session, principal, draft, action="workflow.create", origin=origin)
        attach(uow.session, principal, view.id, to_attach)
        uow.commit()
    return view


def create_workflow_from_template(
    principal: Principal,
    template_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    tags: list[str] | None = None,
    variables: dict[str, Any] | None = None,
    folder_id: uuid.UUID | None = None,
    category: str | None = None,
    origin: Origin | None = None,
) -> WorkflowView:
    """``POST /workflows {templateId}``: a new workflow holding a copy of a gallery template's
    definition (name and description default to the template's; ``variables`` override its own),
    counted as a use of the template. An id the caller cannot see is a 422 at ``/templateId``: it is
    a bad field of this request, not a missing URL."""
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require
    from a2n.services.templates import take_for_workflow

    with UnitOfWork() as uow:
        require(uow.session, principal, Action.WORKFLOW_WRITE)
        try:
            template = take_for_workflow(uow.session, principal, template_id)
        except NotFound:
            refused = Problem("/templateId", "no template in your gallery has this id")
            raise ValidationFailed([refused]) from None
        definition = template.definition
        if variables is not None:
            definition["variables"] = {**(definition.get("variables") or {}), **variables}
        draft = WorkflowDraft(
            name=name or template.name,
            description=template.description if description is None else description,
            definition=definition,
            tags=list(tags or []),
            folder_id=folder_id,
            category=template.category if category is None else category,
        )
        _default_schedule_timezone(uow.session, principal, draft.definition)
        _ensure_saveable(uow.session, principal, _workspace(principal), draft)
        _ensure_folder(uow.session, principal, draft)
        view = _save_new(uow.session, principal, draft, action="workflow.create", origin=origin)
        uow.commit()
    return view


def get_workflow(principal: Principal, workflow_id: str) -> WorkflowView:
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        workflow = open_workflow(uow.session, principal, workflow_id, Action.WORKFLOW_READ)
        return workflow_view(workflow)


def list_workflows(
    principal: Principal, page: PageRequest, wanted: WorkflowFilter | None = None
) -> Page[WorkflowView]:
    """Newest first, without definitions; ``wanted.words`` are full-text prefixes (all must match)."""
    from a2n.db.repositories.base import Keyset
    from a2n.db.repositories.workflows import WorkflowFilter, WorkflowRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require

    after = None
    if page.cursor is not None:
        after = Keyset(page.cursor.sort_key_datetime(), page.cursor.id_uuid())
    with UnitOfWork() as uow:
        require(uow.session, principal, Action.WORKFLOW_READ)
        found = WorkflowRepository(uow.session).search(
            _workspace(principal), wanted or WorkflowFilter(), limit=page.limit, after=after
        )
        items = [workflow_view(w, with_definition=False) for w in found.items]
        keyset = found.next_keyset()  # inside: leaving the unit of work expires the rows
    return Page(items=items, next_cursor=encode_cursor(keyset.created_at, keyset.id) if keyset else None)



# --- replace / delete / restore -------------------------------------------------------------------


def _save_version(
    session: Session,
    principal: Principal,
    workflow: Workflow,
    draft: WorkflowDraft,
    *,
    change_note: str | None,
    action: str,
    origin: Origin | None,
    sealed: Mapping[str, Any] | None = None,
) -> WorkflowView:
    """The workflow (row-locked by the caller) gets ``draft`` as its next draft version. What runs
    (the published version, its triggers and schedules) is left alone; new webhook secrets are sealed
    on the version row until it is published. ``sealed`` carries a restored version's own."""
    from a2n.db.models import WorkflowVersion
    from a2n.db.repositories.workflows import VERSION_CONFLICT, WorkflowVersionRepository
    from a2n.services.activation import split_webhook_secrets
    from a2n.services.publishing import sealed_draft_secrets

    versions = WorkflowVersionRepository(session)
    stored, fresh = split_webhook_secrets(draft.definition)
    if sealed is None:
        sealed = versions.require_version(workflow.id, workflow.version).sealed_secrets
    version = workflow.version + 1
    versions.add(
        WorkflowVersion(
            workflow_id=workflow.id,
            version=version,
            definition=stored,
            change_note=change_note,
            created_by=uuid.UUID(principal.user_id),
            sealed_secrets=sealed_draft_secrets(workflow.id, stored, fresh, sealed),
        ),
        conflict=VERSION_CONFLICT,  # the row lock serialises saves; the unique key is the last guard
    )
    workflow.name, workflow.description = draft.name, draft.description
    workflow.definition, workflow.tags = stored, list(dict.fromkeys(draft.tags))
    workflow.version = version
    workflow.updated_at = datetime.now(UTC)
    _audit(
        session,
        principal,
        action=action,
        workflow=workflow,
        changes={"name": draft.name, "version": version},
        origin=origin,
    )
    session.flush()
    return workflow_view(workflow)


def save_as_next_version(
    session: Session, principal: Principal, workflow: Workflow, definition: dict[str, Any], *,
    change_note: str, action: str,
) -> None:  # fmt: skip
    """A system-made change (a package upgrade re-pinning its nodes) as the next version of a
    row-locked workflow, audited like a user's save."""
    draft = WorkflowDraft(workflow.name, definition, workflow.description, list(workflow.tags))
    _save_version(session, principal, workflow, draft, change_note=change_note, action=action, origin=None)


def replace_workflow(
    principal: Principal,
    workflow_id: str,
    draft: WorkflowDraft,
    *,
    change_note: str | None = None,
    expected_version: int | None = None,
    origin: Origin | None = None,
) -> WorkflowView:
    """``PUT /workflows/{id}``: the next version; ``expected_version`` (If-Match) must be current."""
    from a2n.db.uow import UnitOfWork
    from a2n.errors import Conflict

    with UnitOfWork() as uow:
        workflow = open_workflow(uow.session, principal, workflow_id, Action.WORKFLOW_WRITE, lock=True)
        if expected_version is not None and expected_version != workflow.version:
            raise Conflict(
                f"If-Match is version {expected_version} but the workflow is at {workflow.version}"
            )
        draft, problems = draft.with_variables_in_definition()
        draft, masked = _unmasked(draft, workflow.definition)
        _default_schedule_timezone(uow.session, principal, draft.definition, existing=workflow.definition)
        to_attach = _ensure_saveable(
            uow.session, principal, workflow.workspace_id, draft,
            workflow_id=workflow.id, extra=problems + masked,
        )  # fmt: skip
        attach(uow.session, principal, workflow.id, to_attach)
        view = _save_version(
            uow.session,
            principal,
            workflow,
            draft,
            change_note=change_note,
            action="workflow.update",
            origin=origin,
        )
        uow.commit()
    return view


def delete_workflow(principal: Principal, workflow_id: str, *, origin: Origin | None = None) -> None:
    """``DELETE /workflows/{id}``: archived, not erased, so its executions stay readable; every
    workflow lookup skips archived rows, so it is gone for the API."""
    from a2n.db.uow import UnitOfWork
    from a2n.services.activation import detach_triggers

    with UnitOfWork() as uow:
        workflow = open_workflow(uow.session, principal, workflow_id, Action.WORKFLOW_DELETE, lock=True)
        detach_triggers(uow.session, workflow)  # schedules deleted, webhooks 404, before archiving
        workflow.archived_at = datetime.now(UTC)
        workflow.is_active = False
        _audit(
            uow.session,
            principal,
            action="workflow.delete",
            workflow=workflow,
            changes={"name": workflow.name},
            origin=origin,
        )
        uow.commit()


def list_versions(principal: Principal, workflow_id: str, page: PageRequest) -> Page[VersionView]:
    """Newest first; the cursor carries the last version number returned."""
    from a2n.db.repositories.workflows import WorkflowVersionRepository
    from a2n.db.uow import UnitOfWork
    from a2n.errors import BadRequest

    before = None
    if page.cursor is not None:
        if not isinstance(page.cursor.sort_key, int) or isinstance(page.cursor.sort_key, bool):
            raise BadRequest("Invalid cursor")
        before = page.cursor.sort_key
    with UnitOfWork() as uow:
        workflow = open_workflow(uow.session, principal, workflow_id, Action.WORKFLOW_READ)
        rows = WorkflowVersionRepository(uow.session).of_workflow(
            workflow.id, limit=page.limit, before=before
        )
        items = [_version_view(row, with_definition=False) for row in rows[: page.limit]]
        workflow_uuid = workflow.id  # read inside: leaving the unit of work expires the row
    more = len(rows) > page.limit
    return Page(items=items, next_cursor=encode_cursor(items[-1].version, workflow_uuid) if more else None)


def _load_version(
    session: Session, principal: Principal, workflow_id: str, version: int
) -> tuple[Workflow, WorkflowVersion]:
    from a2n.db.repositories.workflows import WorkflowVersionRepository

    workflow = open_workflow(session, principal, workflow_id, Action.WORKFLOW_WRITE, lock=True)
    return workflow, WorkflowVersionRepository(session).require_version(workflow.id, version)


def get_version(principal: Principal, workflow_id: str, version: int) -> VersionView:
    from a2n.db.repositories.workflows import WorkflowVersionRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        workflow = open_workflow(uow.session, principal, workflow_id, Action.WORKFLOW_READ)
        row = WorkflowVersionRepository(uow.session).require_version(workflow.id, version)
        return _version_view(row, with_definition=True)


def restore_version(
    principal: Principal, workflow_id: str, version: int, *, origin: Origin | None = None
) -> WorkflowView:
    """A new version equal to ``version``'s definition, validated again (a credential deleted since
    makes it a 422). Name, description and tags stay as they are now."""
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        workflow, old = _load_version(uow.session, principal, workflow_id, version)
        draft = WorkflowDraft(
            name=workflow.name,
            description=workflow.description,
            definition=dict(old.definition),
            tags=list(workflow.tags),
        )
        to_attach = _ensure_saveable(
            uow.session, principal, workflow.workspace_id, draft, workflow_id=workflow.id
        )
        attach(uow.session, principal, workflow.id, to_attach)
        view = _save_version(
            uow.session,
            principal,
            workflow,
            draft,
            change_note=f"Restored from version {version}",
            action="workflow.restore",
            origin=origin,
            sealed=old.sealed_secrets or {},  # its own unpublished secrets, not the head's
        )
        uow.commit()
    return view


# --- export / import ------------------------------------------------------------------------------


def export_workflow(principal: Principal, workflow_id: str) -> dict[str, Any]:
    """The portable document: credentials by name, webhook secrets removed, no ids of this workspace."""
    from a2n.db.repositories.workflows import CredentialReferences
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        workflow = open_workflow(uow.session, principal, workflow_id, Action.WORKFLOW_READ)
        ids = {
            uuid.UUID(t) for t in credential_refs(workflow.definition, "credentialId").values() if _is_uuid(t)
        }
        names = CredentialReferences(uow.session).names_by_id(workflow.workspace_id, ids)
        definition = with_credential_names(
            without_secrets(workflow.definition), {str(k): v for k, v in names.items()}
        )
        return {
            "a2nExport": EXPORT_FORMAT,
            "name": workflow.name,
            "description": workflow.description,
            "tags": list(workflow.tags),
            "definition": definition,
            # The package versions its integration nodes use: an import resolves them (informative).
            "packages": package_versions(definition),
        }


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def import_workflow(
    principal: Principal, draft: WorkflowDraft, *, origin: Origin | None = None
) -> WorkflowView:
    """``POST /workflows/import``: ``credentialName``s resolve to this workspace's credentials by
    name; ids from elsewhere mean nothing here, so ``credentialId`` is refused."""
    from a2n.db.repositories.workflows import CredentialReferences
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require

    with UnitOfWork() as uow:
        require(uow.session, principal, Action.WORKFLOW_WRITE)
        problems = [
            Problem(f"{DEFINITION}/nodes/{i}/credentialId", "imports name credentials with credentialName")
            for i in credential_refs(draft.definition, "credentialId")
        ]
        wanted = credential_refs(draft.definition, "credentialName")
        found = CredentialReferences(uow.session).ids_by_name(_workspace(principal), set(wanted.values()))
        problems += [
            Problem(
                f"{DEFINITION}/nodes/{i}/credentialName", f"no credential named {name!r} in this workspace"
            )
            for i, name in wanted.items()
            if name not in found
        ]
        resolved = {i: str(found[name]) for i, name in wanted.items() if name in found}
        saveable, masked = _unmasked(
            WorkflowDraft(
                name=draft.name,
                description=draft.description,
                definition=with_credential_ids(draft.definition, resolved),
                tags=draft.tags,
            ),
            None,
        )
        _default_schedule_timezone(uow.session, principal, saveable.definition)
        workspace_id = _workspace(principal)
        problems += resolve_imported_versions(uow.session, workspace_id, saveable.definition, DEFINITION)
        to_attach = _ensure_saveable(uow.session, principal, workspace_id, saveable, extra=problems + masked)
        view = _save_new(uow.session, principal, saveable, action="workflow.import", origin=origin)
        attach(uow.session, principal, view.id, to_attach)
        uow.commit()
    return view


def _audit(
    session: Session,
    principal: Principal,
    *,
    action: str,
    workflow: Workflow,
    changes: Mapping[str, Any],
    origin: Origin | None,
) -> None:
    record_audit(
        session,
        workspace_id=workflow.workspace_id,
        actor=Actor.of(principal),
        action=action,
        entity_type="workflow",
        entity_id=workflow.id,
        changes=changes,
        origin=origin,
    )
