"""The custom JMESPath functions available in A2N expressions, beside JMESPath's built-ins.

All are pure over JSON values. `now()` reads the execution clock from the context instead of the
system clock, so an expression evaluates the same way every time it is re-run or tested.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jmespath import functions


class ExpressionError(ValueError):
    """An expression that does not parse, is too large, or fails while evaluating."""

    def __init__(self, message: str, position: int | None = None, hint: str | None = None) -> None:
        # `position` is a 0-based offset in the text; people count columns from 1.
        text = message if position is None else f"{message} (at column {position + 1})"
        super().__init__(text if hint is None else f"{text}: {hint}")
        self.message = message
        self.position = position
        self.hint = hint


# A strftime subset without padding flags or platform-specific directives (glibc-only %-d …).
_DATE_DIRECTIVES = frozenset("YmdHMSfyjaAbBpIzZ%")
_DIRECTIVE = re.compile(r"%(.?)")


class A2NFunctions(functions.Functions):
    """`now()`, `to_json`, `from_json`, `lower`, `upper`, `format_date` on top of JMESPath's own."""

    def __init__(self, clock: str | None = None) -> None:
        self._clock = clock

    @functions.signature()
    def _func_now(self) -> str | None:
        """The execution clock (`execution.now`, else `execution.startedAt`) as ISO 8601, or null."""
        return self._clock

    @functions.signature({"types": []})
    def _func_to_json(self, value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    @functions.signature({"types": ["string"]})
    def _func_from_json(self, text: str) -> Any:
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except ValueError as error:
            raise ExpressionError(f"from_json: not valid JSON: {error}") from None

    @functions.signature({"types": ["string"]})
    def _func_lower(self, text: str) -> str:
        return text.lower()

    @functions.signature({"types": ["string"]})
    def _func_upper(self, text: str) -> str:
        return text.upper()

    @functions.signature({"types": ["string"]}, {"types": ["string"], "variadic": True})
    def _func_format_date(self, iso: str, pattern: str, *zone: str) -> str:
        """Format an ISO 8601 date-time with %Y %m %d %H %M %S %f %y %j %a %A %b %B %p %I %z %Z %%,
        in the IANA time zone given third (e.g. 'Europe/Paris'; a time without an offset is UTC)."""
        if len(zone) > 1:
            raise ExpressionError("format_date() takes 2 or 3 arguments: (date, format, time zone?)")
        for match in _DIRECTIVE.finditer(pattern):
            if match.group(1) not in _DATE_DIRECTIVES:
                raise ExpressionError(f"format_date: unsupported directive %{match.group(1)}")
        try:
            moment = datetime.fromisoformat(iso)
        except ValueError:
            raise ExpressionError(f"format_date: not an ISO 8601 date-time: {iso!r}") from None
        if zone:
            moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(_zone(zone[0]))
        return moment.strftime(pattern)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ExpressionError(
            f"format_date: unknown time zone {name[:64]!r}; use an IANA name such as 'Europe/Paris' or 'UTC'"
        ) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def function_arity(name: str) -> tuple[int, bool] | None:
    """(number of parameters, variadic) of a known function, or None when it does not exist."""
    spec = A2NFunctions.FUNCTION_TABLE.get(name)
    if spec is None:
        return None
    signature = spec["signature"]
    return len(signature), bool(signature and signature[-1].get("variadic"))


# Variadic functions whose extra arguments are bounded: checked at save like a fixed arity.
MAX_ARGUMENTS = {"format_date": 3}
