"""Built-in workflow templates: the catalogue for ``GET /templates`` and lookups for
``POST /workflows {templateId}`` (the workflows service copies the definition into a new workflow)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from a2n.errors import NotFound

if TYPE_CHECKING:
    from a2n.auth.principal import Principal


@dataclass(frozen=True)
class WorkflowTemplate:
    id: str
    name: str
    description: str
    category: str
    definition: dict[str, Any]


def list_templates(principal: Principal) -> list[WorkflowTemplate]:
    """Every built-in template. Needs a valid caller (catalogue read), no workspace data."""
    from a2n.auth.policy import Action, authorize

    authorize(principal, None, Action.CATALOG_READ)
    return [_as_template(raw) for raw in _catalogue()]


def get_template(template_id: str) -> WorkflowTemplate:
    """A fresh copy of one template (callers may change its definition); 404 for an unknown id."""
    for raw in _catalogue():
        if raw["id"] == template_id:
            return _as_template(raw)
    raise NotFound(f"No template with id {template_id!r}")


def _catalogue() -> tuple[dict[str, Any], ...]:
    from a2n.templates import builtin_templates

    return builtin_templates()


def _as_template(raw: dict[str, Any]) -> WorkflowTemplate:
    return WorkflowTemplate(
        id=raw["id"],
        name=raw["name"],
        description=raw["description"],
        category=raw["category"],
        definition=copy.deepcopy(raw["definition"]),
    )
