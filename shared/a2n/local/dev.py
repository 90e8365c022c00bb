"""``a2n dev``: the whole stack on this machine — Postgres, moto, the HTTP API, pollers, schedules.

Postgres is ``DATABASE_URL`` if set, else an embedded server whose data in ``.a2n/pg`` survives
restarts. While it runs, ``dev.json`` beside the data directory (``.a2n/dev.json``) says where the
stack is, for ``a2n invoke``. Ctrl-C (or SIGTERM) stops everything, Postgres last so its data is flushed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from a2n.local.state import without_password

if TYPE_CHECKING:
    from a2n.settings import Settings

MOTO_PORT = 4566


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=3000, help="HTTP API port (default 3000)")
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument("--moto-port", type=int, default=MOTO_PORT, help="moto server port (default 4566)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="embedded Postgres data (default .a2n/pg, A2N_LOCAL_POSTGRES_DIR)",
    )
    parser.add_argument(
        "--postgres-port",
        type=int,
        default=None,
        help="embedded Postgres port (default 54329, A2N_LOCAL_POSTGRES_PORT)",
    )
    parser.add_argument(
        "--allow-network",
        dest="allow_networks",
        action="append",
        type=_network,
        default=[],
        metavar="CIDR",
        help="let the HTTP node reach this range despite the SSRF guard, e.g. 127.0.0.1/32 "
        "(repeatable; adds to A2N_HTTP_ALLOW_NETWORKS)",
    )


def _network(value: str) -> str:
    from a2n.settings import allowed_network

    try:
        return allowed_network(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    from a2n.errors import ConfigurationError
    from a2n.local.state import DevState, forget, state_path

    stopping = threading.Event()
    previous_handlers = _on_stop_signals(stopping)
    postgres: Any = None
    runtime: Any = None
    settings = _local_settings(args)
    state_file = state_path(settings.local_postgres_dir)
    try:
        _ensure_ports_free(args)
        allowed = _allowed_networks(args)
        if not settings.database_url:
            _progress(f"Starting embedded PostgreSQL (data in {settings.local_postgres_dir}) …")
        from a2n.local.postgres import prepare_local_database

        database_url, postgres = prepare_local_database(settings)
        _progress("Starting moto and the local runtime …")
        from a2n.local.runtime import LocalRuntime

        env = {"A2N_HTTP_ALLOW_NETWORKS": json.dumps(allowed)} if allowed else {}
        runtime = LocalRuntime(
            args.template,
            port=args.port,
            moto_port=args.moto_port,
            database_url=database_url,
            env_overrides=env,
            on_mail=_print_mail,
        ).start()
        _resync_schedules()
        DevState(os.getpid(), runtime.url, database_url, runtime.moto.endpoint).write(state_file)
        print(_banner(runtime, database_url, allowed, state_file), flush=True)
        stopping.wait()
    except (ConfigurationError, OSError) as exc:
        print(f"a2n dev: {exc}", file=sys.stderr)
        return 1
    finally:
        for signum, handler in previous_handlers.items():
            signal.signal(signum, handler)
        if runtime is not None or postgres is not None:
            _progress("Stopping …")
            forget(state_file)
        if runtime is not None:
            runtime.stop()
        if postgres is not None:
            postgres.stop()
    _progress("Stopped.")
    return 0


def _ensure_ports_free(args: argparse.Namespace) -> None:
    """The API's and moto's ports, checked before Postgres starts, so a clash costs nothing."""
    from a2n.local.ports import API_REMEDY, MOTO_REMEDY, ensure_port_free

    ensure_port_free(args.port, "the HTTP API", API_REMEDY)
    ensure_port_free(args.moto_port, "moto (the local AWS APIs)", MOTO_REMEDY)


def _allowed_networks(args: argparse.Namespace) -> list[str]:
    """A2N_HTTP_ALLOW_NETWORKS plus every --allow-network, each once."""
    from a2n.settings import get_settings

    return list(dict.fromkeys([*get_settings().http_allow_networks, *args.allow_networks]))


def _local_settings(args: argparse.Namespace) -> Settings:
    """The settings with the embedded Postgres flags (--data-dir, --postgres-port) applied."""
    from a2n.settings import get_settings

    overrides = {"local_postgres_dir": args.data_dir, "local_postgres_port": args.postgres_port}
    return get_settings().model_copy(update={k: v for k, v in overrides.items() if v is not None})


def _resync_schedules() -> None:
    """moto keeps schedules in memory: re-create those of active workflows from Postgres."""
    from a2n.services.activation import resync_all

    _progress(f"Re-created {resync_all()} schedule(s) of active workflows")


def _on_stop_signals(stopping: threading.Event) -> dict[int, Any]:
    """Ctrl-C and SIGTERM stop the stack; returns the handlers they had, to put back."""

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    return {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}


def _banner(runtime: Any, database_url: str, allowed: list[str], state_file: Path) -> str:
    template = runtime.template
    schedules = len(template.schedules)
    reach = [f"  HTTP node    may also reach {', '.join(allowed)} (SSRF guard allow list)"] if allowed else []
    return "\n".join(
        [
            "",
            f"  A2N is running at {runtime.url}   (try: curl {runtime.url}/health)",
            f"  PostgreSQL   {without_password(database_url)}",
            f"  moto (AWS)   {runtime.moto.endpoint}",
            f"  Mailbox      {runtime.url}/dev/mailbox   (every email sent; each is printed here too)",
            *reach,
            f"  {len(template.routes)} routes · {len(template.queues)} queues · "
            f"{len(template.sqs_sources)} SQS pollers · {schedules} template schedules",
            f"  State        {state_file}   (`a2n invoke` uses this stack while it runs)",
            "  Ctrl-C to stop",
            "",
        ]
    )


def _print_mail(message: Any) -> None:
    from a2n.local.mailbox import describe

    print(describe(message), flush=True)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
