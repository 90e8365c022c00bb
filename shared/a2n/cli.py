"""The ``a2n`` command: local development, one-off invocations, migrations, maintenance.

Each subcommand lives beside the code it drives and is imported only when chosen, so
``a2n --help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

# name → (module, help). Each module exposes ``register(parser)`` and ``run(args) -> int``.
COMMANDS: dict[str, tuple[str, str]] = {
    "dev": ("a2n.local.dev", "run the whole stack locally (embedded Postgres, moto, HTTP API)"),
    "invoke": ("a2n.local.invoke", "run one function on one event, without Docker"),
    "db": ("a2n.db.cli", "database migrations: upgrade, downgrade, revision, current"),
    "bench": ("a2n.bench.cli", "measure engine overhead, throughput, latency, imports, routes, AWS cost"),
    "credentials": ("a2n.crypto.cli", "credential keys: rotate-key [--dry-run], new-key (local master key)"),
    "admin": ("a2n.admin.cli", "platform admins: grant EMAIL, revoke EMAIL"),


    "docs": ("a2n.docs.cli", "regenerate the API and node references in docs/ [--check]"),
}


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the chosen command's module is imported to add its arguments."""
    parser = argparse.ArgumentParser(prog="a2n", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        p.set_defaults(_module=module)
        if name == chosen:
            importlib.import_module(module).register(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Misconfiguration (a malformed variable, a busy port …) is one line on
    stderr saying what to do, and exit status 2 — never a traceback."""
    from a2n.errors import ConfigurationError
    from a2n.settings import get_settings

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    run: Callable[[argparse.Namespace], int] = importlib.import_module(args._module).run
    try:
        get_settings()  # every command reads them: a malformed variable is reported before anything starts
        return run(args)
    except ConfigurationError as error:
        print(f"a2n {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
