"""ConnectionUnitOfWork: SQL on a Core connection and ORM work through its session are one
transaction — committed together, or rolled back together when the block is left without commit."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from a2n.db.models import Workspace
from a2n.db.uow import ConnectionUnitOfWork, UnitOfWork


def _names(ids: list[uuid.UUID]) -> set[str]:
    with UnitOfWork() as uow:
        rows = uow.session.execute(text("SELECT name FROM workspaces WHERE id = ANY(:ids)"), {"ids": ids})
        return {row[0] for row in rows}


def _write_both(uow: ConnectionUnitOfWork, by_sql: uuid.UUID, by_orm: uuid.UUID) -> None:
    uow.connection.execute(
        text("INSERT INTO workspaces (id, name, slug) VALUES (:id, 'sql', :slug)"),
        {"id": by_sql, "slug": f"s-{by_sql.hex[:10]}"},
    )
    uow.session.add(Workspace(id=by_orm, name="orm", slug=f"o-{by_orm.hex[:10]}"))


def test_sql_and_orm_writes_commit_together(clean_db: str) -> None:
    by_sql, by_orm = uuid.uuid4(), uuid.uuid4()
    with ConnectionUnitOfWork() as uow:
        _write_both(uow, by_sql, by_orm)
        uow.commit()
    assert _names([by_sql, by_orm]) == {"sql", "orm"}


def test_leaving_without_commit_rolls_both_back(clean_db: str) -> None:
    by_sql, by_orm = uuid.uuid4(), uuid.uuid4()
    with ConnectionUnitOfWork() as uow:
        _write_both(uow, by_sql, by_orm)
        uow.session.flush()  # written, but not committed
    assert _names([by_sql, by_orm]) == set()


def test_an_error_inside_the_block_rolls_back_and_propagates(clean_db: str) -> None:
    by_sql, by_orm = uuid.uuid4(), uuid.uuid4()
    with pytest.raises(RuntimeError, match="boom"), ConnectionUnitOfWork() as uow:
        _write_both(uow, by_sql, by_orm)
        raise RuntimeError("boom")
    assert _names([by_sql, by_orm]) == set()


def test_the_session_started_first_still_shares_the_connection_transaction(clean_db: str) -> None:
    by_sql, by_orm = uuid.uuid4(), uuid.uuid4()
    with ConnectionUnitOfWork() as uow:
        uow.session.add(Workspace(id=by_orm, name="orm", slug=f"o-{by_orm.hex[:10]}"))
        uow.session.flush()
        uow.connection.execute(
            text("INSERT INTO workspaces (id, name, slug) VALUES (:id, 'sql', :slug)"),
            {"id": by_sql, "slug": f"s-{by_sql.hex[:10]}"},
        )
    assert _names([by_sql, by_orm]) == set()
