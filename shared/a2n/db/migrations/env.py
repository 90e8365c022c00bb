"""Alembic environment: runs migrations online against the URL set by a2n.db.migrate.

Compares types and server defaults so autogenerate (and the drift test) sees every change.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

import a2n.db.models
from a2n.db.url import connect_args_for, to_pg8000_url
from a2n.settings import get_settings

target_metadata = a2n.db.models.Base.metadata


def run_migrations_online() -> None:
    url = to_pg8000_url(context.config.get_main_option("sqlalchemy.url") or "")
    args = connect_args_for(url, get_settings())
    # DDL may take long (index builds); the app's statement timeout must not cut it.
    args.pop("startup_params", None)
    engine = create_engine(url, poolclass=pool.NullPool, connect_args=args)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            compare_server_default=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run against a database.")
run_migrations_online()
