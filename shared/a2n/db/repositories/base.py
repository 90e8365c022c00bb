"""Generic repository pieces: load by id, workspace scoping, unique-conflict mapping, keyset pages.

Repositories take a Session and never commit: the unit of work owned by the service does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, inspect, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from a2n.db.base import Base
from a2n.errors import Conflict, NotFound

M = TypeVar("M", bound=Base)
UNIQUE_VIOLATION = "23505"


@dataclass(frozen=True)
class Keyset:
    """Where a page starts: strictly after the row with this (created_at, id), newest first."""

    created_at: datetime
    id: uuid.UUID


@dataclass(frozen=True)
class Slice(Generic[M]):
    items: Sequence[M]
    has_more: bool

    def next_keyset(self) -> Keyset | None:
        if not self.has_more or not self.items:
            return None
        last: Any = self.items[-1]
        return Keyset(last.created_at, last.id)


class Repository(Generic[M]):
    model: ClassVar[type[Base]]

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, entity_id: uuid.UUID) -> M | None:
        found: M | None = self.session.get(self.model, entity_id)  # type: ignore[assignment]
        return found

    def require(self, entity_id: uuid.UUID) -> M:
        found = self.get(entity_id)
        if found is None:
            raise NotFound(f"{self.model.__name__} not found")
        return found

    def add(self, entity: M, *, conflict: str | None = None) -> M:
        """Insert now (flush), so a unique violation becomes ``Conflict(conflict)`` at this line.

        The savepoint keeps the caller's transaction usable after the violation.
        """
        try:
            with self.session.begin_nested():
                self.session.add(entity)
        except IntegrityError as error:
            if conflict is not None and _sqlstate(error) == UNIQUE_VIOLATION:
                raise Conflict(conflict) from error
            raise
        return entity

    def save(self, *, conflict: str) -> None:
        """Flush pending changes now, so a unique violation is ``Conflict(conflict)`` at this line."""
        try:
            with self.session.begin_nested():
                self.session.flush()
        except IntegrityError as error:
            if _sqlstate(error) == UNIQUE_VIOLATION:
                raise Conflict(conflict) from error
            raise

    def delete(self, entity: M) -> None:
        self.session.delete(entity)
        self.session.flush()

    def page(self, query: Select[Any], *, limit: int, after: Keyset | None = None) -> Slice[M]:
        """Newest first by (created_at, id); fetches one extra row to know whether more exist."""
        created_at = self._column("created_at")
        id_column = self._column("id")
        if after is not None:
            query = query.where(tuple_(created_at, id_column) < tuple_(after.created_at, after.id))
        rows = self.session.scalars(query.order_by(created_at.desc(), id_column.desc()).limit(limit + 1))
        items: list[M] = list(rows)
        return Slice(items=items[:limit], has_more=len(items) > limit)

    def _column(self, name: str) -> ColumnElement[Any]:
        column: ColumnElement[Any] = inspect(self.model).columns[name]
        return column


class WorkspaceScopedRepository(Repository[M]):
    """For tables with ``workspace_id``: another workspace's row is indistinguishable from none."""

    def get_in_workspace(self, workspace_id: uuid.UUID, entity_id: uuid.UUID) -> M | None:
        query = select(self.model).where(
            self._column("id") == entity_id, self._column("workspace_id") == workspace_id
        )
        found: M | None = self.session.scalars(query).one_or_none()  # type: ignore[assignment]
        return found

    def require_in_workspace(self, workspace_id: uuid.UUID, entity_id: uuid.UUID) -> M:
        found = self.get_in_workspace(workspace_id, entity_id)
        if found is None:
            raise NotFound(f"{self.model.__name__} not found")
        return found

    def list_in_workspace(
        self, workspace_id: uuid.UUID, *, limit: int, after: Keyset | None = None
    ) -> Slice[M]:
        query = select(self.model).where(self._column("workspace_id") == workspace_id)
        return self.page(query, limit=limit, after=after)


def _sqlstate(error: IntegrityError) -> str | None:
    """pg8000 puts the server's error fields in args[0] as a dict; C = SQLSTATE."""
    details = error.orig.args[0] if error.orig is not None and error.orig.args else None
    return details.get("C") if isinstance(details, dict) else None
