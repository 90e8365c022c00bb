"""Node templates: a configured node (type and config, never a credential or a webhook secret) saved
under a name in the workspace, next to the templates the installed packages ship. Using one gives
the node to paste into a definition; a shipped template is the package's and cannot be deleted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from a2n.auth.policy import Action
from a2n.errors import Conflict, NotFound, ValidationFailed
from a2n.services.integrations.workspace import _require, _workspace

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.pagination import Page, PageRequest

# A workspace's own templates are few by nature; the cap keeps the merged, name-sorted list cheap.
MAX_WORKSPACE_TEMPLATES = 500


@dataclass(frozen=True)
class NodeTemplateView:
    id: str
    name: str
    description: str | None
    source: str  # "workspace" or "package:<name>"
    node: dict[str, Any]
    created_at: datetime | None


def list_node_templates(principal: Principal, page: PageRequest) -> Page[NodeTemplateView]:
    """The workspace's templates and those of its installed packages, by name."""
    from a2n.db.uow import UnitOfWork
    from a2n.pagination import page_of

    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.WORKFLOW_READ)
        every = sorted(_all(uow.session, _workspace(principal)), key=lambda t: (t.name.lower(), t.id))
    if page.cursor is not None:
        after = (str(page.cursor.sort_key), page.cursor.id)
        every = [t for t in every if (t.name.lower(), t.id) > after]
    return page_of(every[: page.limit + 1], page.limit, lambda t: (t.name.lower(), t.id))


def get_node_template(principal: Principal, template_id: str) -> NodeTemplateView:
    """One template: its ``node`` is ready to paste (a package's is pinned to the installed version)."""
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.WORKFLOW_READ)
        found = next((t for t in _all(uow.session, _workspace(principal)) if t.id == template_id), None)
    if found is None:
        raise NotFound(f"No node template {template_id!r}")
    return found


def save_node_template(
    principal: Principal, name: str, description: str | None, node: dict[str, Any]
) -> NodeTemplateView:
    """Save ``{type, config}`` under ``name`` (unique in the workspace, 409); the config is checked
    as a workflow save would check it; credentials and webhook secrets are never kept."""
    from a2n.db.models import NodeTemplate
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.integrations.installs import installed_manifests, node_problems
    from a2n.services.workflow_definitions import without_secrets
    from a2n.workflows.validation import single_node_problems

    kept = {"id": "template", "type": node["type"], "config": node.get("config") or {}}
    kept = without_secrets({"nodes": [kept]})["nodes"][0]
    with UnitOfWork() as uow:
        session = uow.session
        _require(session, principal, Action.WORKFLOW_WRITE)
        problems = single_node_problems(kept, "/node")
        if not problems and kept["type"] in ("integration", "trigger.integration"):
            manifests = installed_manifests(session, _workspace(principal))
            found = node_problems(kept, manifests, None, "/node")
            problems = [p for p in found if not p.pointer.endswith("/credentialId")]
        if problems:
            raise ValidationFailed(problems, "The node cannot be saved as a template")
        repo = IntegrationRepository(session)
        if repo.node_template_count(_workspace(principal)) >= MAX_WORKSPACE_TEMPLATES:
            raise Conflict(f"a workspace keeps at most {MAX_WORKSPACE_TEMPLATES} node templates; delete some")
        row = repo.add(
            NodeTemplate(
                workspace_id=_workspace(principal),
                name=name,
                description=description,
                node={"type": kept["type"], "config": kept["config"]},
                created_by=uuid.UUID(principal.user_id),
            ),
            conflict=f"a node template named {name!r} exists in this workspace",
        )
        uow.commit()
        return _own(row)


def delete_node_template(principal: Principal, template_id: str) -> None:
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        session = uow.session
        _require(session, principal, Action.WORKFLOW_WRITE)
        if template_id.startswith("package:"):
            raise Conflict("a template shipped with a package goes away when the package is uninstalled")
        try:
            key = uuid.UUID(template_id)
        except ValueError:
            raise NotFound(f"No node template {template_id!r}") from None
        row = IntegrationRepository(session).node_template(_workspace(principal), key)
        if row is None:
            raise NotFound(f"No node template {template_id!r}")
        IntegrationRepository(session).delete(row)
        uow.commit()


def _all(session: Session, workspace_id: uuid.UUID) -> list[NodeTemplateView]:
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.services.integrations.installs import installed_manifests

    own = IntegrationRepository(session).all_node_templates(workspace_id)
    shipped: list[NodeTemplateView] = []
    for name, manifest in installed_manifests(session, workspace_id).items():
        for index, template in enumerate(manifest.get("nodeTemplates") or []):
            config = {
                "package": name,
                "version": manifest["version"],
                "action": template["action"],
                "input": template.get("input") or {},
            }
            shipped.append(
                NodeTemplateView(
                    f"package:{name}:{index}",
                    template["name"],
                    None,
                    f"package:{name}",
                    {"type": "integration", "config": config},
                    None,
                )
            )
    return [_own(row) for row in own] + shipped


def _own(row: Any) -> NodeTemplateView:
    return NodeTemplateView(
        str(row.id), row.name, row.description, "workspace", dict(row.node), row.created_at
    )
