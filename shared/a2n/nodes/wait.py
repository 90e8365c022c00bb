"""wait: pauses a branch for a duration, until a time, or until resumed through the API.

One flat config with ``mode`` deciding which other field applies; the rule is checked in
``config_problems`` so each problem points at the field concerned.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field

from a2n.errors import Problem
from a2n.nodes.config import NodeConfig
from a2n.nodes.context import NodeContext, NodeFailed, NodeResult, WaitRequest, parse_config, render_config
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


def run(ctx: NodeContext) -> NodeResult:
    """A WaitRequest; the step service parks the node and builds its output on resume."""
    config = parse_config(WaitConfig, ctx)
    if config.mode == "duration":
        return NodeResult(wait=WaitRequest(until=ctx.now + timedelta(seconds=config.seconds or 0)))
    if config.mode == "until":
        return NodeResult(wait=WaitRequest(until=_wake_time(render_config(config.at, ctx))))
    timeout_at = None if config.timeoutSeconds is None else ctx.now + timedelta(seconds=config.timeoutSeconds)
    return NodeResult(wait=WaitRequest(until=None, resume=True, timeout_at=timeout_at))


def resumed_output(resumed_at: datetime, data: Any = None) -> dict[str, Any]:
    """The output of a wait node once it continues: when, and the data the resume call sent."""
    moment = resumed_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"resumedAt": moment, "data": data}


def _wake_time(at: Any) -> datetime:
    # A time in the past is returned as is: the service wakes the node at once.
    if not isinstance(at, str):
        raise NodeFailed(f"'at' must render to an ISO-8601 date-time string, got {type(at).__name__}")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise NodeFailed(f"'at' is not an ISO-8601 date-time: {at[:100]!r}") from None
    if moment.tzinfo is None:
        raise NodeFailed("'at' must carry a timezone offset (e.g. 'Z' or '+02:00')")
    return moment.astimezone(UTC)
