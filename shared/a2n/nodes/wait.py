"""wait: pauses a branch for a duration, until a time, or until resumed through the API.

One flat config with ``mode`` deciding which other field applies; the rule is checked in
``config_problems`` so each problem points at the field concerned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from a2n.errors import Problem
from a2n.nodes.config import NodeConfig
from a2n.nodes.spec import NodeSpec

MAX_WAIT_SECONDS = 366 * 24 * 3600
FIELDS_BY_MODE = {"duration": "seconds", "until": "at", "resume": "timeoutSeconds"}


class WaitConfig(NodeConfig):
    """duration: ``seconds``; until: ``at`` (ISO-8601 or a template); resume: ``timeoutSeconds?``."""

    mode: Literal["duration", "until", "resume"]
    seconds: Annotated[float, Field(ge=0, le=MAX_WAIT_SECONDS)] | None = None
    at: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    timeoutSeconds: Annotated[int, Field(ge=1, le=MAX_WAIT_SECONDS)] | None = None


def _config_problems(config: WaitConfig, pointer: str) -> list[Problem]:
    own = FIELDS_BY_MODE[config.mode]
    problems = [
        Problem(f"{pointer}/{field}", f"'{field}' applies only to mode '{mode}'")
        for mode, field in FIELDS_BY_MODE.items()
        if field != own and getattr(config, field) is not None
    ]
    if config.mode == "duration" and config.seconds is None:
        problems.append(Problem(f"{pointer}/seconds", "mode 'duration' needs 'seconds'"))
    if config.mode == "until":
        problems += _at_problems(config.at, f"{pointer}/at")
    return problems


def _at_problems(at: str | None, pointer: str) -> list[Problem]:
    if at is None:
        return [Problem(pointer, "mode 'until' needs 'at'")]
    if "{{" in at:
        return []  # resolved at run time; the template itself is parsed with every config string
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return [Problem(pointer, "must be an ISO-8601 date-time or a {{ }} template")]
    if moment.tzinfo is None:
        return [Problem(pointer, "must carry a timezone offset (e.g. 'Z' or '+02:00')")]
    return []


SPEC = NodeSpec(
    type="wait",
    name="Wait",
    category="flow",
    description="Waits for a duration, until a date-time, or until resumed with its token; then continues.",
    config_model=WaitConfig,
    output_schema={
        "type": "object",
        "properties": {"resumedAt": {"type": "string", "format": "date-time"}, "data": {}},
        "required": ["resumedAt"],
    },
    config_problems=_config_problems,
)
