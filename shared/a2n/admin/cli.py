"""``a2n admin grant EMAIL`` / ``a2n admin revoke EMAIL``: designate platform admins, who may then
list, deactivate and reactivate users and force password resets over the API (``/admin/…``).

Run where the database is reachable (``DATABASE_URL``, or ``A2N_DATABASE_SECRET_ARN`` with AWS
credentials). Both are audited, platform-wide.
"""

from __future__ import annotations

import argparse
import sys


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="admin_command", required=True)
    grant = sub.add_parser("grant", help="make the account of EMAIL a platform admin")
    grant.add_argument("email")
    revoke = sub.add_parser("revoke", help="take platform administration away from EMAIL")
    revoke.add_argument("email")


def run(args: argparse.Namespace) -> int:
    from a2n.errors import A2NError
    from a2n.services.platform_admin import grant

    try:
        outcome = grant(args.email, admin=args.admin_command == "grant")
    except A2NError as error:
        print(f"a2n admin: {error.detail}", file=sys.stderr)
        return 2
    verb = "is now" if args.admin_command == "grant" else "is no longer"
    note = "" if outcome.changed else " (no change)"
    print(f"{outcome.email} {verb} a platform admin{note}")
    return 0
