"""What the local scheduler fires: schedules gathered from the Scheduler API and the template, and
the event each fire delivers (Input with EventBridge Scheduler's context attributes substituted).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from a2n.local.template import Template

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient

    from a2n.scheduling.expressions import ScheduleExpression


@dataclass(frozen=True)
class TrackedSchedule:
    key: str
    name: str
    group: str
    arn: str
    expression: ScheduleExpression
    timezone: str
    function: str  # logical id of the target
    input: str | None
    start: datetime | None = None
    end: datetime | None = None
    delete_after_completion: bool = False
    is_rule: bool = False


def template_schedules(template: Template) -> list[TrackedSchedule]:
    from a2n.scheduling.expressions import parse_schedule

    return [
        TrackedSchedule(
            key=f"template/{s.name}",
            name=s.name,
            group="template",
            arn=f"arn:aws:events:{template.region}:123456789012:rule/{s.name}",
            expression=parse_schedule(s.expression),
            timezone=s.timezone,
            function=s.function,
            input=s.input,
            is_rule=s.is_rule,
        )
        for s in template.schedules
        if s.enabled
    ]


def api_schedules(client: EventBridgeSchedulerClient, template: Template) -> list[TrackedSchedule]:
    """Enabled schedules of every group whose target is a function of this template."""
    from a2n.scheduling.expressions import ScheduleExpressionError, parse_schedule

    tracked: list[TrackedSchedule] = []
    for page in client.get_paginator("list_schedules").paginate(State="ENABLED"):
        for summary in page.get("Schedules", []):
            detail = client.get_schedule(Name=summary["Name"], GroupName=summary.get("GroupName", "default"))
            function = template.function_by_arn(detail["Target"]["Arn"])
            if function is None:
                continue  # targets outside this stack (SQS, other accounts) are not emulated
            try:
                expression = parse_schedule(detail["ScheduleExpression"])
            except ScheduleExpressionError:
                continue  # AWS would have refused it at creation; moto does not validate
            tracked.append(
                TrackedSchedule(
                    key=f"{detail['GroupName']}/{detail['Name']}/{detail['ScheduleExpression']}",
                    name=detail["Name"],
                    group=detail["GroupName"],
                    arn=detail["Arn"],
                    expression=expression,
                    timezone=detail.get("ScheduleExpressionTimezone") or "UTC",
                    function=function.logical_id,
                    input=detail["Target"].get("Input"),
                    start=detail.get("StartDate"),
                    end=detail.get("EndDate"),
                    delete_after_completion=detail.get("ActionAfterCompletion") == "DELETE",
                )
            )
    return tracked


def schedule_event(schedule: TrackedSchedule, fire_time: datetime) -> Any:
    """The payload the target receives for the fire at `fire_time` (aware UTC)."""
    stamp = fire_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    if schedule.input is None:
        if schedule.is_rule:
            return _scheduled_event(schedule, stamp)
        return {}
    text = (
        schedule.input.replace("<aws.scheduler.scheduled-time>", stamp)
        .replace("<aws.scheduler.execution-id>", str(uuid.uuid4()))
        .replace("<aws.scheduler.attempt-number>", "1")
        .replace("<aws.scheduler.schedule-arn>", schedule.arn)
    )
    try:
        return json.loads(text)
    except ValueError:
        return text


def _scheduled_event(schedule: TrackedSchedule, stamp: str) -> dict[str, Any]:
    """What an EventBridge rule sends when the template's Schedule event has no Input."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": stamp,
        "region": schedule.arn.split(":")[3],
        "resources": [schedule.arn],
        "detail": {},
    }
