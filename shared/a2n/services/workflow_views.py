"""What the API shows of a workflow: the draft head, organisation, stats and the published version.

Shared by every use case that answers with a workflow (saving, publishing, organising, sharing).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from a2n.errors import Problem
from a2n.services.workflow_definitions import redact_definition
from a2n.workflows.schedules import SchedulePreview, schedule_previews
from a2n.workflows.warnings import configured_warnings

if TYPE_CHECKING:
    from a2n.db.models import Workflow


@dataclass(frozen=True)
class PublishedView:
    """The version triggers run (``GET /workflows/{id}``'s ``published``)."""

    version: int
    published_at: datetime | None
    published_by: uuid.UUID | None
    definition: dict[str, Any] | None


@dataclass(frozen=True)
class WorkflowView:
    id: uuid.UUID
    name: str
    description: str | None
    definition: dict[str, Any] | None  # None in lists
    version: int
    is_active: bool
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    execution_count: int
    success_count: int
    failure_count: int
    last_executed_at: datetime | None
    # Not errors: what will not work as saved (e.g. a URL the SSRF guard refuses); with definitions.
    warnings: list[Problem] = field(default_factory=list)
    folder_id: uuid.UUID | None = None
    category: str | None = None
    archived_at: datetime | None = None
    published: PublishedView | None = None
    # When the draft's schedule triggers fire next (active or not); with definitions.
    schedules: list[SchedulePreview] = field(default_factory=list)


def workflow_view(workflow: Workflow, *, with_definition: bool = True) -> WorkflowView:
    """What the API shows of a workflow: the draft head, organisation, stats and the published version."""
    published = None
    if workflow.published_version is not None:
        published = PublishedView(
            version=workflow.published_version,
            published_at=workflow.published_at,
            published_by=workflow.published_by,
            definition=redact_definition(workflow.published_definition or {}) if with_definition else None,
        )
    return WorkflowView(
        id=workflow.id,
        name=workflow.name,
        description=workflow.description,
        definition=redact_definition(workflow.definition) if with_definition else None,
        version=workflow.version,
        is_active=workflow.is_active,
        tags=list(workflow.tags),
        created_at=workflow.created_at,
        updated_at=workflow.updated_at,
        execution_count=workflow.execution_count,
        success_count=workflow.success_count,
        failure_count=workflow.failure_count,
        last_executed_at=workflow.last_executed_at,
        warnings=configured_warnings(workflow.definition) if with_definition else [],
        folder_id=workflow.folder_id,
        category=workflow.category,
        archived_at=workflow.archived_at,
        published=published,
        schedules=schedule_previews(workflow.definition, datetime.now(UTC)) if with_definition else [],
    )
