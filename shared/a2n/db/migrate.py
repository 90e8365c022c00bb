"""Alembic driven from code: used by `a2n db`, `a2n dev`, the migration Lambda and the tests.

The script location is inside the package, so migrations ship in the first-party layer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config without an ini file; the URL defaults to the one the app would use."""
    from alembic.config import Config

    from a2n.db.url import resolve_database_url, to_pg8000_url
    from a2n.settings import get_settings

    resolved = to_pg8000_url(url) if url else resolve_database_url(get_settings())
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # "%" is interpolation syntax in ConfigParser; passwords may contain it.
    config.set_main_option(
        "sqlalchemy.url", resolved.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "-1") -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def current(url: str | None = None) -> str | None:
    """The revision the database is at (None when no migration was ever applied)."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    engine = create_engine(alembic_config(url).get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head() -> str | None:
    """The newest revision the shipped migrations define."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def revision(message: str, *, autogenerate: bool = False, url: str | None = None) -> None:
    from alembic import command

    command.revision(alembic_config(url), message=message, autogenerate=autogenerate)
