"""`a2n db upgrade|downgrade|revision|current`: Alembic against the configured database, or with
none configured, against the database of the `a2n dev` running from this checkout."""

from __future__ import annotations

import argparse
import sys


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="db_command", required=True)
    up = sub.add_parser("upgrade", help="apply migrations (default: to head)")
    up.add_argument("revision", nargs="?", default="head")
    down = sub.add_parser("downgrade", help="revert migrations to a revision (e.g. -1, base)")
    down.add_argument("revision")
    rev = sub.add_parser("revision", help="create a new migration file")
    rev.add_argument("-m", "--message", required=True)
    rev.add_argument("--autogenerate", action="store_true", help="diff the models against the database")
    sub.add_parser("current", help="show the revision the database is at")


def run(args: argparse.Namespace) -> int:
    from a2n.db import migrate
    from a2n.errors import ConfigurationError

    try:
        url = _running_dev_database()
        if args.db_command == "upgrade":
            migrate.upgrade(url, revision=args.revision)
        elif args.db_command == "downgrade":
            migrate.downgrade(url, revision=args.revision)
        elif args.db_command == "revision":
            migrate.revision(args.message, autogenerate=args.autogenerate, url=url)
        else:
            print(migrate.current(url) or "(no migration applied)")
    except ConfigurationError as error:
        print(f"a2n db: {error}", file=sys.stderr)
        return 2
    return 0


def _running_dev_database() -> str | None:
    """With no database configured, the database of the `a2n dev` running from this checkout (its
    .a2n/dev.json), said on stderr; None leaves the choice to the settings."""
    from a2n.local.state import running_dev, state_path, without_password
    from a2n.settings import get_settings

    settings = get_settings()
    if settings.database_url or settings.database_secret_arn:
        return None
    dev = running_dev(state_path(settings.local_postgres_dir))
    if dev is None:
        return None
    where = without_password(dev.database_url)
    print(f"a2n db: using the running `a2n dev`'s database ({where})", file=sys.stderr)
    return dev.database_url
