"""``a2n invoke FunctionLogicalId events/file.json``: run one function on one event, without Docker.

The Docker-free twin of ``sam local invoke``: moto serves the AWS APIs (queues of the template
exist), the function gets the template's environment, and its result is printed as JSON.
"""

from __future__ import annotations

import argparse
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


def run(args: argparse.Namespace) -> int:
    from a2n.errors import ConfigurationError
    from a2n.local.runtime import LocalRuntime

    try:
        event = _read_json(args.event)
        overrides = _env_overrides(args.env_vars, args.function)
    except (OSError, ValueError) as exc:
        print(f"a2n invoke: {exc}", file=sys.stderr)
        return 2
    try:
        with LocalRuntime(args.template, env_overrides=overrides, serve=False) as runtime:
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
