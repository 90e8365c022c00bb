"""API times are ISO-8601 strings with a zone: numbers (read by pydantic as Unix times) are 422s."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ValidationError

from a2n.api.schemas import UtcDatetime


class Window(BaseModel):
    since: UtcDatetime


@pytest.mark.parametrize("value", ["0.5", "1700000000", 1700000000, 0.5, "1e9", "2026-01-01T00:00:00"])
def test_numbers_and_naive_times_are_refused(value: object) -> None:
    with pytest.raises(ValidationError):
        Window.model_validate({"since": value})


def test_iso_times_with_a_zone_are_normalised_to_utc() -> None:
    assert Window.model_validate({"since": "2026-01-01T01:00:00+01:00"}).since == datetime(
        2026, 1, 1, tzinfo=UTC
    )
