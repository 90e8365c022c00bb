"""Shared fixtures. Postgres starts only when a test asks for ``database_url`` (directly or via
``db_session`` / ``uow`` / ``clean_db``), so unit tests pay nothing.

DATABASE_URL set → a fresh throwaway database on that server; else a throwaway embedded server.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ports_support import free_port
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

import a2n.db.session
from a2n.db.migrate import upgrade
from a2n.db.session import get_engine, reset_engine
from a2n.db.uow import UnitOfWork
from a2n.db.url import connect_args_for, to_pg8000_url
from a2n.settings import Settings, reset_settings


def world_searchable_tempdir(prefix: str) -> Path:
    """A temp dir the embedded server's unprivileged user can enter (mkdtemp makes it 0700)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def admin_engine(url: str | URL) -> Engine:
    """AUTOCOMMIT engine on an existing database, for CREATE/DROP DATABASE."""
    parsed = to_pg8000_url(url) if isinstance(url, str) else url
    return create_engine(
        parsed, isolation_level="AUTOCOMMIT", connect_args=connect_args_for(parsed, Settings())
    )


def create_throwaway_database(server_url: str) -> str:
    """A new empty database on the server of ``server_url``; returns its URL."""
    base = to_pg8000_url(server_url)
    name = f"a2n_test_{uuid.uuid4().hex[:12]}"
    engine = admin_engine(base)
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    target = to_pg8000_url(url)
    engine = admin_engine(target.set(database="postgres"))
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A URL of a Postgres server this session may create databases on."""
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    from a2n.local.postgres import EmbeddedPostgres

    workdir = world_searchable_tempdir("a2n-test-pg-")
    server = EmbeddedPostgres(workdir / "data", port=free_port())
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(postgres_server_url: str) -> Iterator[str]:
    """A migrated throwaway database; the app's settings and engine point at it."""
    url = create_throwaway_database(postgres_server_url)
    upgrade(url)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("A2N_DATABASE_URL", url)
        reset_settings()
        reset_engine()
        yield url
        reset_engine()
    reset_settings()
    drop_database(url)


@pytest.fixture
def db_session(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """A session inside a transaction rolled back after the test, even if the code commits.

    Every ``UnitOfWork()`` opened by the code under test joins the same transaction.
    """
    connection = get_engine().connect()
    outer = connection.begin()
    sessions = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    monkeypatch.setattr(a2n.db.session, "_sessions", sessions)
    session = sessions()
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def uow(db_session: Session) -> Iterator[UnitOfWork]:
    """A UnitOfWork on the test's rolled-back transaction."""
    with UnitOfWork() as unit:
        yield unit


def truncate_all_tables(engine: Engine) -> None:
    from a2n.db.models import Base

    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def truncate_tables(database_url: str) -> Callable[[], None]:
    """Empties every table of the session's database (for fixtures wider than one test)."""
    return lambda: truncate_all_tables(get_engine())


@pytest.fixture
def clean_db(database_url: str) -> Iterator[str]:
    """Empty tables before and after the test, for code that commits on other connections/threads."""
    truncate_all_tables(get_engine())
    yield database_url
    truncate_all_tables(get_engine())


@pytest.fixture
def empty_database_url(postgres_server_url: str) -> Iterator[str]:
    """A brand-new database with no tables (migration tests)."""
    url = create_throwaway_database(postgres_server_url)
    yield url
    drop_database(url)


@pytest.fixture(scope="module")
def module_empty_database_url(postgres_server_url: str) -> Iterator[str]:
    """A brand-new database with no tables for one test module (e.g. for an `a2n dev` it starts)."""
    url = create_throwaway_database(postgres_server_url)
    yield url
    drop_database(url)


@pytest.fixture
def pg_workdir() -> Iterator[Path]:
    """A directory for one embedded server's data, removed afterwards."""
    path = world_searchable_tempdir("a2n-pg-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


class AppEnv(pytest.MonkeyPatch):
    """Environment changes for one test; ``apply()`` re-reads settings and drops the engine."""

    def apply(self) -> None:
        reset_settings()
        reset_engine()


@pytest.fixture
def app_env() -> Iterator[AppEnv]:
    """``app_env.setenv(...)``, then ``app_env.apply()``; restored (and re-applied) afterwards."""
    patch = AppEnv()
    yield patch
    patch.undo()
    patch.apply()
