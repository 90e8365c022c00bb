"""The real Alembic migrations build exactly the schema the models describe, and undo cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from a2n.db import migrate
from a2n.db.models import Base


def _schema_diff(url: str) -> list[object]:
    engine = create_engine(migrate.alembic_config(url).get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(migrate.alembic_config(url).get_main_option("sqlalchemy.url") or "")
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_on_an_empty_database_match_the_models_without_drift(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)

    assert _schema_diff(empty_database_url) == []
    assert migrate.current(empty_database_url) == migrate.head() == "0003"
    assert {t.name for t in Base.metadata.sorted_tables} <= _tables(empty_database_url)


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)

    migrate.downgrade(empty_database_url, "base")
    assert _tables(empty_database_url) == {"alembic_version"}
    assert migrate.current(empty_database_url) is None

    migrate.upgrade(empty_database_url)
    assert _schema_diff(empty_database_url) == []
