"""`a2n db upgrade|downgrade|revision|current`: Alembic against the configured database."""

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
        if args.db_command == "upgrade":
            migrate.upgrade(revision=args.revision)
        elif args.db_command == "downgrade":
            migrate.downgrade(revision=args.revision)
        elif args.db_command == "revision":
            migrate.revision(args.message, autogenerate=args.autogenerate)
        else:
            print(migrate.current() or "(no migration applied)")
    except ConfigurationError as error:
        print(f"a2n db: {error}", file=sys.stderr)
        return 2
    return 0
