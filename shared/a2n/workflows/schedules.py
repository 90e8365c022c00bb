"""When a workflow's schedules fire next: the first thing to check about a cron line.

Read from the definition alone (active or not), so a person sees what `cron(0 9 ? * 2-6 *)` in
Europe/Paris means before activating it; times are given in the trigger's own time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SCHEDULED_TYPES = ("trigger.schedule", "trigger.poll")
PREVIEWED_FIRES = 5


@dataclass(frozen=True)
class SchedulePreview:
    node_id: str
    type: str
    expression: str
    timezone: str
    next_fire_times: list[datetime]  # aware, in `timezone`


def schedule_previews(definition: Any, now: datetime) -> list[SchedulePreview]:
    """One preview per schedule or poll trigger of `definition`, in node order."""
    from a2n.scheduling.expressions import next_fire_times

    nodes = definition.get("nodes") if isinstance(definition, Mapping) else None
    previews: list[SchedulePreview] = []
    for node in nodes if isinstance(nodes, list) else []:
        if not isinstance(node, Mapping) or node.get("type") not in SCHEDULED_TYPES:
            continue
        config = node.get("config")
        if not isinstance(config, Mapping):
            continue
        expression, timezone = config.get("expression"), config.get("timezone") or "UTC"
        if not isinstance(expression, str) or not isinstance(timezone, str):
            continue
        fires = next_fire_times(expression, timezone, now, PREVIEWED_FIRES)
        previews.append(SchedulePreview(str(node.get("id")), str(node["type"]), expression, timezone, fires))
    return previews
