"""``a2n dev``: the whole stack on this machine — Postgres, moto, the HTTP API, pollers, schedules.

Postgres is ``DATABASE_URL`` if set, else an embedded server whose data in ``.a2n/pg`` survives
restarts. Ctrl-C (or SIGTERM) stops everything, Postgres last so its data is flushed.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

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


def run(args: argparse.Namespace) -> int:
    from a2n.errors import ConfigurationError

    stopping = threading.Event()
    _on_stop_signals(stopping)
    postgres: Any = None
    runtime: Any = None
    try:
        database_url, postgres = _database(args)
        _progress("Starting moto and the local runtime …")
        from a2n.local.runtime import LocalRuntime

        runtime = LocalRuntime(
            args.template, port=args.port, moto_port=args.moto_port, database_url=database_url
        ).start()
        _resync_schedules()
        print(_banner(runtime, database_url), flush=True)
        stopping.wait()
    except (ConfigurationError, OSError) as exc:
        print(f"a2n dev: {exc}", file=sys.stderr)
        return 1
    finally:
        _progress("Stopping …")
        if runtime is not None:
            runtime.stop()
        if postgres is not None:
            postgres.stop()
    _progress("Stopped.")
    return 0


def _database(args: argparse.Namespace) -> tuple[str, Any]:
    """The migrated database URL, and the embedded server to stop later (None with DATABASE_URL)."""
    from a2n.local.postgres import prepare_local_database
    from a2n.settings import get_settings

    settings = get_settings()
    overrides = {"local_postgres_dir": args.data_dir, "local_postgres_port": args.postgres_port}
    settings = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    if not settings.database_url:
        _progress(f"Starting embedded PostgreSQL (data in {settings.local_postgres_dir}) …")
    return prepare_local_database(settings)


def _resync_schedules() -> None:
    """moto keeps schedules in memory: re-create those of active workflows from Postgres."""
    from a2n.services.activation import resync_all

    _progress(f"Re-created {resync_all()} schedule(s) of active workflows")


def _on_stop_signals(stopping: threading.Event) -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def _banner(runtime: Any, database_url: str) -> str:
    template = runtime.template
    schedules = len(template.schedules)
    return "\n".join(
        [
            "",
            f"  A2N is running at {runtime.url}   (try: curl {runtime.url}/health)",
            f"  PostgreSQL   {_without_password(database_url)}",
            f"  moto (AWS)   {runtime.moto.endpoint}",
            f"  {len(template.routes)} routes · {len(template.queues)} queues · "
            f"{len(template.sqs_sources)} SQS pollers · {schedules} template schedules",
            "  Ctrl-C to stop",
            "",
        ]
    )


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
