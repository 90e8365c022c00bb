"""The migration Lambda brings an empty database to the head revision, and is safe to re-run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lambda_handlers import FakeLambdaContext, load_function, sample_event
from sqlalchemy import create_engine, inspect

from a2n.db.migrate import current
from a2n.db.url import to_pg8000_url
from a2n.settings import reset_settings


@pytest.fixture
def app_on_empty_database(empty_database_url: str) -> Iterator[str]:
    """The app's settings point at a database with no tables at all."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("A2N_DATABASE_URL", empty_database_url)
        reset_settings()
        yield empty_database_url
    reset_settings()


def test_migrate_upgrades_an_empty_database_to_head_and_reruns_cleanly(app_on_empty_database: str) -> None:
    handler = load_function("functions/ops/migrate").lambda_handler

    first = handler(sample_event("migrate.json"), FakeLambdaContext())
    second = handler({}, FakeLambdaContext())

    assert first == {"status": "ok", "revision": "head"}
    assert second == first
    assert current(app_on_empty_database) is not None
    engine = create_engine(to_pg8000_url(app_on_empty_database))
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"users", "workflows", "executions"} <= tables
