"""trigger.schedule: starts a workflow from an EventBridge Scheduler schedule.

The expression is checked with the same rules the scheduler adapter uses, so a schedule that
saves is a schedule that activates.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from a2n.errors import Problem
from a2n.nodes.config import NodeConfig
from a2n.nodes.spec import NodeSpec

ScheduleExpression = Annotated[str, Field(min_length=1, max_length=256)]
Timezone = Annotated[str, Field(min_length=1, max_length=64)]


class ScheduleTriggerConfig(NodeConfig):
    """``cron(...)`` or ``rate(...)`` in an IANA timezone."""

    expression: ScheduleExpression
    timezone: Timezone = "UTC"


def schedule_problems(
    expression: str, timezone: str, pointer: str, *, now: datetime | None = None
) -> list[Problem]:
    """Problems of a schedule, each pointed at the config field to change (``expression`` or
    ``timezone``); with ``now``, a schedule that never fires again is one too (activation)."""
    from a2n.scheduling.expressions import schedule_problems as problems_by_field

    found = problems_by_field(expression, timezone, now=now)
    return [Problem(f"{pointer}/{field}", message) for field, message in found]


def _config_problems(config: ScheduleTriggerConfig, pointer: str) -> list[Problem]:
    return schedule_problems(config.expression, config.timezone, pointer)


SPEC = NodeSpec(
    type="trigger.schedule",
    name="Schedule trigger",
    category="trigger",
    description="Starts the workflow on a cron(...) or rate(...) schedule; outputs the scheduled time.",
    config_model=ScheduleTriggerConfig,
    output_schema={
        "type": "object",
        "properties": {"scheduledTime": {"type": "string", "format": "date-time"}},
        "required": ["scheduledTime"],
    },
    inputs=(),
    is_trigger=True,
    config_problems=_config_problems,
)
