"""trigger.poll: on a schedule, repeats a request and starts one execution per new item.

Items are found with ``itemsPath`` and told apart with ``keyExpression`` (both bare JMESPath).
"""

from __future__ import annotations

from a2n.errors import Problem
from a2n.nodes.config import ExpressionText, NodeConfig, bare_expression_problems
from a2n.nodes.http_request import HttpRequestConfig
from a2n.nodes.spec import NodeSpec
from a2n.nodes.trigger_schedule import ScheduleExpression, Timezone, schedule_problems


class PollTriggerConfig(NodeConfig):
    """The schedule, the request and how to pick and key its items."""

    expression: ScheduleExpression
    timezone: Timezone = "UTC"
    request: HttpRequestConfig
    itemsPath: ExpressionText
    keyExpression: ExpressionText


def _config_problems(config: PollTriggerConfig, pointer: str) -> list[Problem]:
    return [
        *schedule_problems(config.expression, config.timezone, pointer),
        *bare_expression_problems(config.itemsPath, f"{pointer}/itemsPath"),
        *bare_expression_problems(config.keyExpression, f"{pointer}/keyExpression"),
    ]


SPEC = NodeSpec(
    type="trigger.poll",
    name="Polling trigger",
    category="trigger",
    description="Polls an HTTP endpoint on a schedule and starts the workflow once per new item.",
    config_model=PollTriggerConfig,
    output_schema={"description": "One new item found at itemsPath (any JSON value)."},
    inputs=(),
    is_trigger=True,
    accepts_credentials=True,
    config_problems=_config_problems,
)
