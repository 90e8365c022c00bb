"""Workflow folders: workspace-scoped lookups, the tree walks a move needs (ancestors, subtree
height) and what a folder still holds before it may be deleted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text

from a2n.db.models import WorkflowFolder
from a2n.db.repositories.base import Keyset, Slice, WorkspaceScopedRepository

FOLDER_NAME_TAKEN = "A folder with this name already exists here"

# Ancestors of a folder, itself first; bounded so a corrupt cycle could never loop forever.
_ANCESTORS = text("""
WITH RECURSIVE up(id, parent_id, depth) AS (
    SELECT id, parent_id, 1 FROM workflow_folders WHERE id = :f AND workspace_id = :ws
    UNION ALL
    SELECT f.id, f.parent_id, up.depth + 1 FROM workflow_folders f JOIN up ON f.id = up.parent_id
    WHERE up.depth < 100
)
SELECT id FROM up ORDER BY depth
""")

# How many levels a folder's subtree has (1 = no subfolders).
_HEIGHT = text("""
WITH RECURSIVE down(id, depth) AS (
    SELECT id, 1 FROM workflow_folders WHERE id = :f
    UNION ALL
    SELECT f.id, down.depth + 1 FROM workflow_folders f JOIN down ON f.parent_id = down.id
    WHERE down.depth < 100
)
SELECT max(depth) FROM down
""")

_CONTENTS = text("""
SELECT (SELECT count(*) FROM workflows WHERE folder_id = :f AND archived_at IS NULL),
       (SELECT count(*) FROM workflow_folders WHERE parent_id = :f)
""")

# A folder and every folder below it: `GET /workflows?folderId=…&includeSubfolders=true`.
SUBTREE = """
WITH RECURSIVE subtree(id, depth) AS (
    SELECT id, 1 FROM workflow_folders WHERE id = :folder AND workspace_id = :workspace
    UNION ALL
    SELECT f.id, subtree.depth + 1 FROM workflow_folders f JOIN subtree ON f.parent_id = subtree.id
    WHERE subtree.depth < 100
)
SELECT id FROM subtree
"""


@dataclass(frozen=True)
class FolderContents:
    workflows: int
    folders: int

    @property
    def empty(self) -> bool:
        return self.workflows == 0 and self.folders == 0


class FolderRepository(WorkspaceScopedRepository[WorkflowFolder]):
    model = WorkflowFolder

    def ancestors(self, workspace_id: uuid.UUID, folder_id: uuid.UUID) -> list[uuid.UUID]:
        """The folder then its parents up to the root; empty if it is not in the workspace."""
        rows = self.session.execute(_ANCESTORS, {"f": folder_id, "ws": workspace_id})
        return [row.id for row in rows]

    def height(self, folder_id: uuid.UUID) -> int:
        return int(self.session.execute(_HEIGHT, {"f": folder_id}).scalar_one() or 1)

    def contents(self, folder_id: uuid.UUID) -> FolderContents:
        workflows, folders = self.session.execute(_CONTENTS, {"f": folder_id}).one()
        return FolderContents(int(workflows), int(folders))

    def search(
        self,
        workspace_id: uuid.UUID,
        *,
        parent: uuid.UUID | None,
        root_only: bool,
        limit: int,
        after: Keyset | None,
    ) -> Slice[WorkflowFolder]:
        query: Any = select(WorkflowFolder).where(WorkflowFolder.workspace_id == workspace_id)
        if root_only:
            query = query.where(WorkflowFolder.parent_id.is_(None))
        elif parent is not None:
            query = query.where(WorkflowFolder.parent_id == parent)
        return self.page(query, limit=limit, after=after)
