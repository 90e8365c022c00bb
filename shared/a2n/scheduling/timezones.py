"""IANA time-zone lookup and wall-clock to UTC conversion with EventBridge Scheduler's DST rules.

A wall time skipped by spring-forward does not exist; one repeated by fall-back maps to its first instant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from a2n.scheduling.model import ScheduleExpressionError


def is_valid_timezone(timezone: str) -> bool:
    """True when `timezone` names an IANA zone this host knows (e.g. Europe/Paris, UTC)."""
    try:
        load_zone(timezone)
    except ScheduleExpressionError:
        return False
    return True


def load_zone(timezone: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name, or a ScheduleExpressionError saying what a valid name looks like."""
    try:
        # ZoneInfo raises ValueError for path-like keys ("../x", "/etc/localtime") and TypeError for non-str.
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ScheduleExpressionError(
            f"Unknown time zone {timezone!r}: use an IANA name such as 'Europe/Paris', "
            "'America/New_York' or 'UTC'."
        ) from None


def existing_wall_time_to_utc(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """UTC instant of a naive local wall time; None when DST skips it, the first instant when it repeats."""
    utc = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    # fold=0 silently shifts a non-existent time by the gap; the round trip exposes that.
    if utc.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return utc


def wall_time_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """UTC instant of a naive local wall time; a skipped one moves on by the gap, a repeated one is first."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
