"""trigger.schedule: starts a workflow from an EventBridge Scheduler schedule.

The expression is checked with the same rules the scheduler adapter uses, so a schedule that
saves is a schedule that activates.
"""

from __future__ import annotations

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


def schedule_problems(expression: str, timezone: str, pointer: str) -> list[Problem]:
    """Problems of a schedule expression, pointed at the config's ``expression``."""
    from a2n.scheduling.expressions import validate_schedule

    return [Problem(f"{pointer}/expression", message) for message in validate_schedule(expression, timezone)]


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
