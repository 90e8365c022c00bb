"""``a2n invoke FunctionLogicalId events/file.json``: run one function on one event, without Docker.

The Docker-free twin of ``sam local invoke``: moto serves the AWS APIs (queues of the template
exist), the function gets the template's environment, and its result is printed as JSON.

While ``a2n dev`` runs (its ``.a2n/dev.json`` names a live pid), the function uses that stack's
database and moto, so what it writes or enqueues is what the running stack sees; ``DATABASE_URL``
still wins for the database. Which ones it uses is said on stderr; stdout stays the JSON result.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import traceback
from pathlib import Path
from typing import Any


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("function", help="logical id of the function in the template")
    parser.add_argument("event", type=Path, help="JSON event file; '-' reads stdin")
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument(
        "--env-vars", type=Path, help="JSON file of variables: {Function: {K: V}} or {Parameters: {K: V}}"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="data dir of the `a2n dev` to use, as given to it (default .a2n/pg, A2N_LOCAL_POSTGRES_DIR)",
    )


def run(args: argparse.Namespace) -> int:
    from a2n.errors import ConfigurationError
    from a2n.local.runtime import LocalRuntime

    try:
        event = _read_json(args.event)
        overrides = _env_overrides(args.env_vars, args.function)
    except (OSError, ValueError) as exc:
        print(f"a2n invoke: {exc}", file=sys.stderr)
        return 2
    database_url, moto_endpoint = _stack(args.data_dir)
    try:
        # stdout is the result alone (scripts parse it); what the function logs goes to stderr.
        with contextlib.redirect_stdout(sys.stderr), LocalRuntime(
            args.template,
            env_overrides=overrides,
            database_url=database_url,
            moto_endpoint=moto_endpoint,
            serve=False,
        ) as runtime:
            result = runtime.invoke(args.function, event)
    except ConfigurationError as exc:
        print(f"a2n invoke: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        traceback.print_exc()
        # The shape the Lambda service reports for an unhandled error, so scripts can parse it.
        print(json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}))
        return 1
    print(json.dumps(result, indent=2, default=str))
    return 0


def _stack(data_dir: Path | None) -> tuple[str | None, str | None]:
    """The database URL and moto endpoint to use (None: the settings' database, a private moto),
    said on stderr."""
    from a2n.local.state import running_dev, state_path, without_password
    from a2n.settings import get_settings

    settings = get_settings()
    state_file = state_path(data_dir or settings.local_postgres_dir)
    dev = running_dev(state_file)
    if dev is not None:
        _say(f"using the running `a2n dev` (pid {dev.pid}, {state_file}): moto {dev.moto_endpoint}")
    else:
        _say(f"no `a2n dev` running (no live {state_file}): moto is a private, empty server for this call")
    if settings.database_url:
        _say(f"PostgreSQL {without_password(settings.database_url)} (DATABASE_URL)")
        return None, dev.moto_endpoint if dev else None
    if dev is not None:
        _say(f"PostgreSQL {without_password(dev.database_url)} (that `a2n dev`'s)")
        return dev.database_url, dev.moto_endpoint
    _say("no database: functions that need one fail (run `make dev` in another shell, or set DATABASE_URL)")
    return None, None


def _say(message: str) -> None:
    print(f"a2n invoke: {message}", file=sys.stderr)


def _read_json(path: Path) -> Any:
    text = sys.stdin.read() if str(path) == "-" else path.read_text()
    return json.loads(text)


def _env_overrides(path: Path | None, function: str) -> dict[str, str]:
    """``sam local invoke --env-vars`` format: per-function keys, with ``Parameters`` for all."""
    if path is None:
        return {}
    data = _read_json(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    values = {**(data.get("Parameters") or {}), **(data.get(function) or {})}
    return {str(k): str(v) for k, v in values.items()}
