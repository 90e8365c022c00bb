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
POSTGRES_PORT = 54329


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=3000, help="HTTP API port (default 3000)")
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument("--moto-port", type=int, default=MOTO_PORT, help="moto server port (default 4566)")
    parser.add_argument("--data-dir", type=Path, default=Path(".a2n/pg"), help="embedded Postgres data")


def run(args: argparse.Namespace) -> int:
    from a2n.errors import ConfigurationError

    stopping = threading.Event()
    _on_stop_signals(stopping)
    postgres: Any = None
    runtime: Any = None
    try:
        database_url, postgres = _database(args.data_dir)
        _progress("Applying database migrations …")
        from a2n.db.migrate import upgrade

        upgrade(database_url)
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


def _database(data_dir: Path) -> tuple[str, Any]:
    """The database URL, and the embedded server to stop later (None when DATABASE_URL is set)."""
    from a2n.settings import get_settings

    configured = get_settings().database_url
    if configured:
        return configured, None
    from a2n.local.postgres import EmbeddedPostgres

    _progress(f"Starting embedded PostgreSQL (data in {data_dir}) …")
    postgres = EmbeddedPostgres(data_dir, port=POSTGRES_PORT)
    return postgres.start(), postgres


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
