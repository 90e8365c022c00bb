"""The template gallery: built-in templates (handed in from the package) and published ones in one
keyset-paged list with their usage and ratings; usage counting and rating upserts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text

from a2n.db.models import WorkflowTemplate
from a2n.db.repositories.base import WorkspaceScopedRepository

# Built-ins come in as a JSON parameter; a workspace's own templates, approved public ones and (for
# platform admins) those awaiting review come from the table. One ordering for all: newest first.
_GALLERY = text("""
WITH builtin AS (
    SELECT b.key, NULL::uuid AS id, b.name, b.description, b.category, b.created_at, 'builtin' AS source,
           NULL::text AS public_status, NULL::jsonb AS definition, '[]'::jsonb AS required_credentials,
           b.node_types
    FROM jsonb_to_recordset(CAST(:builtins AS jsonb))
        AS b(key text, name text, description text, category text, created_at timestamptz, node_types text[])
), published AS (
    SELECT t.id::text, t.id, t.name, t.description, t.category, t.created_at,
           CASE WHEN t.workspace_id = :ws THEN 'workspace' ELSE 'public' END, t.public_status, t.definition,
           t.required_credentials, t.node_types
    FROM workflow_templates t
    WHERE t.workspace_id = :ws OR t.public_status = 'approved' OR (:admin AND t.public_status IS NOT NULL)
), gallery AS (SELECT * FROM builtin UNION ALL SELECT * FROM published)
SELECT g.*, coalesce(s.usage_count, 0) AS usage_count, coalesce(s.rating_count, 0) AS rating_count,
       coalesce(s.rating_sum, 0) AS rating_sum
FROM gallery g LEFT JOIN template_stats s ON s.template_key = g.key
WHERE (CAST(:key AS text) IS NULL OR g.key = :key)
  AND (CAST(:category AS text) IS NULL OR lower(g.category) = lower(:category))
  AND (CAST(:source AS text) IS NULL OR g.source = :source)
  AND (CAST(:status AS text) IS NULL OR g.public_status = :status)
  AND (CAST(:after_at AS timestamptz) IS NULL
       OR (g.created_at, g.key) < (CAST(:after_at AS timestamptz), CAST(:after_key AS text)))
ORDER BY g.created_at DESC, g.key DESC
LIMIT :limit
""")

_COUNT_USE = text("""
INSERT INTO template_stats (template_key, usage_count) VALUES (:k, 1)
ON CONFLICT (template_key) DO UPDATE SET usage_count = template_stats.usage_count + 1
""")

# One rating per user: a new one replaces theirs; the totals move by the difference, in one statement.
_RATE = text("""
WITH previous AS (SELECT stars FROM template_ratings WHERE template_key = :k AND user_id = :u FOR UPDATE),
rated AS (
    INSERT INTO template_ratings (template_key, user_id, stars, rated_at) VALUES (:k, :u, :stars, now())
    ON CONFLICT (template_key, user_id) DO UPDATE SET stars = excluded.stars, rated_at = excluded.rated_at
    RETURNING stars
)
INSERT INTO template_stats (template_key, rating_count, rating_sum)
SELECT :k, CASE WHEN EXISTS (SELECT 1 FROM previous) THEN 0 ELSE 1 END,
       (SELECT stars FROM rated) - coalesce((SELECT stars FROM previous), 0)
ON CONFLICT (template_key) DO UPDATE SET
    rating_count = template_stats.rating_count + excluded.rating_count,
    rating_sum = template_stats.rating_sum + excluded.rating_sum
""")


@dataclass(frozen=True)
class GalleryRow:
    key: str
    id: uuid.UUID | None
    name: str
    description: str
    category: str
    created_at: datetime
    source: str  # builtin | workspace | public
    public_status: str | None
    definition: dict[str, Any] | None  # None for built-ins (the package has them)
    required_credentials: list[dict[str, Any]]
    node_types: list[str]
    usage_count: int
    rating_count: int
    rating_sum: int


@dataclass(frozen=True)
class GalleryQuery:
    workspace_id: uuid.UUID
    platform_admin: bool = False
    key: str | None = None
    category: str | None = None
    source: str | None = None
    status: str | None = None


class TemplateRepository(WorkspaceScopedRepository[WorkflowTemplate]):
    model = WorkflowTemplate

    def gallery(
        self,
        builtins: Sequence[Mapping[str, Any]],
        wanted: GalleryQuery,
        *,
        limit: int,
        after: tuple[datetime, str] | None = None,
    ) -> tuple[list[GalleryRow], bool]:
        rows = self.session.execute(
            _GALLERY,
            {
                "builtins": json.dumps(list(builtins), default=str),
                "ws": wanted.workspace_id,
                "admin": wanted.platform_admin,
                "key": wanted.key,
                "category": wanted.category,
                "source": wanted.source,
                "status": wanted.status,
                "after_at": after[0] if after else None,
                "after_key": after[1] if after else None,
                "limit": limit + 1,
            },
        ).all()
        found = [GalleryRow(*row) for row in rows[:limit]]
        return found, len(rows) > limit

    def count_use(self, key: str) -> None:
        self.session.execute(_COUNT_USE, {"k": key})

    def rate(self, key: str, user_id: uuid.UUID, stars: int) -> None:
        self.session.execute(_RATE, {"k": key, "u": user_id, "stars": stars})

    def forget(self, key: str) -> None:
        """A deleted template's usage and ratings go with it (they are keyed by text, not a foreign key)."""
        self.session.execute(text("DELETE FROM template_ratings WHERE template_key = :k"), {"k": key})
        self.session.execute(text("DELETE FROM template_stats WHERE template_key = :k"), {"k": key})
