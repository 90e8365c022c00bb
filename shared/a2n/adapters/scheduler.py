"""EventBridge Scheduler adapter: create, update and delete schedules (one per trigger, and the
engine's one-time timers), idempotently.

The only module that talks to the Scheduler API. Locally the same calls reach moto, whose schedules
the local runtime's ticker fires; moto validates nothing, so expressions are checked before we get here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from a2n.errors import ServiceUnavailable

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient

# AWS maximums: a fire keeps being retried for up to a day, then goes to the DLQ. The schedule
# function's own lateness limit (Settings.schedule_max_lateness_s) matches the 24 h event age.
MAX_EVENT_AGE_S = 86_400
MAX_RETRY_ATTEMPTS = 185


@dataclass(frozen=True)
class ScheduleSpec:
    """Everything one trigger's schedule needs; ``input`` is the JSON text the target receives."""

    name: str
    group: str
    expression: str
    timezone: str
    target_arn: str
    role_arn: str
    input: str
    dlq_arn: str | None = None
    description: str = ""
    # One-time (at()) schedules of the engine's timers delete themselves once they have fired.
    delete_after_completion: bool = False


def put_schedule(spec: ScheduleSpec) -> str:
    """Create the schedule, or replace it if it exists (same call twice = same state); its ARN."""
    ensure_group(spec.group)
    request = _schedule_request(spec)
    with _scheduler_errors():
        try:
            answer: Any = _client().update_schedule(**request)
        except _client().exceptions.ResourceNotFoundException:
            answer = _create_or_update(request)
    return str(answer["ScheduleArn"])


def create_schedule(spec: ScheduleSpec) -> bool:
    """Create the schedule unless one of that name exists (names are idempotency keys); True when
    this call created it."""
    ensure_group(spec.group)
    with _scheduler_errors():
        try:
            _client().create_schedule(**_schedule_request(spec))
        except _client().exceptions.ConflictException:
            return False
    return True


def delete_schedule(name: str, group: str) -> None:
    """Delete it; a schedule that is already gone counts as deleted."""
    with _scheduler_errors():
        try:
            _client().delete_schedule(Name=name, GroupName=group)
        except _client().exceptions.ResourceNotFoundException:
            return


def schedule_exists(name: str, group: str) -> bool:
    with _scheduler_errors():
        try:
            _client().get_schedule(Name=name, GroupName=group)
        except _client().exceptions.ResourceNotFoundException:
            return False
    return True


def ensure_group(group: str) -> None:
    """The stack creates its group on AWS (the functions may not create groups); a fresh moto
    (``a2n dev``, tests: an endpoint URL is set) has none yet."""
    from a2n.settings import get_settings

    if group == "default" or group in _known_groups or not get_settings().aws_endpoint_url:
        return
    with _scheduler_errors():
        try:
            _client().create_schedule_group(Name=group)
        except _client().exceptions.ConflictException:
            pass
    _known_groups.add(group)


def reset_client() -> None:
    """Forget the cached client and groups (tests switch endpoints and mocks)."""
    _client_for.cache_clear()
    _known_groups.clear()


_known_groups: set[str] = set()


def _create_or_update(request: dict[str, Any]) -> Any:
    # Two activations racing: whoever creates second gets ConflictException and updates instead.
    try:
        return _client().create_schedule(**request)
    except _client().exceptions.ConflictException:
        return _client().update_schedule(**request)


def _schedule_request(spec: ScheduleSpec) -> dict[str, Any]:
    target: dict[str, Any] = {
        "Arn": spec.target_arn,
        "RoleArn": spec.role_arn,
        "Input": spec.input,
        "RetryPolicy": {
            "MaximumEventAgeInSeconds": MAX_EVENT_AGE_S,
            "MaximumRetryAttempts": MAX_RETRY_ATTEMPTS,
        },
    }
    if spec.dlq_arn:
        target["DeadLetterConfig"] = {"Arn": spec.dlq_arn}
    request: dict[str, Any] = {
        "Name": spec.name,
        "GroupName": spec.group,
        "ScheduleExpression": spec.expression,
        "ScheduleExpressionTimezone": spec.timezone,
        # Off: a flexible window would let a fire drift, and (trigger, scheduled time) is our dedupe key.
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "State": "ENABLED",
        "Description": spec.description[:512],
        "Target": target,
    }
    if spec.delete_after_completion:
        request["ActionAfterCompletion"] = "DELETE"
    return request


def _client() -> EventBridgeSchedulerClient:
    from a2n.settings import get_settings

    settings = get_settings()
    return _client_for(settings.aws_region, settings.aws_endpoint_url)


@lru_cache(maxsize=4)
def _client_for(region: str, endpoint_url: str | None) -> EventBridgeSchedulerClient:
    # Keyed by endpoint: the local runtime points the process at moto after import.
    import boto3

    return boto3.client("scheduler", region_name=region, endpoint_url=endpoint_url)


@contextmanager
def _scheduler_errors() -> Iterator[None]:
    """Anything the Scheduler API refuses or cannot answer is a 503 for the caller."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise ServiceUnavailable(f"scheduler error: {code}") from exc
    except BotoCoreError as exc:
        raise ServiceUnavailable("scheduler unreachable") from exc
