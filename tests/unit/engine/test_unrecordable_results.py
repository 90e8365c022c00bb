"""Which completion errors fail the node at once (permanent) and which redeliver (transient)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, StatementError

from a2n.execution.steps import unrecordable_reason


def db_error(code: str, *, invalidated: bool = False) -> DBAPIError:
    orig = Exception({"S": "ERROR", "C": code, "M": f"refused {code}"})
    return DBAPIError("UPDATE …", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize("code", ["22P02", "22P05", "23505", "54000"])
def test_data_and_limit_errors_are_permanent_and_carry_postgres_reason(code: str) -> None:
    assert unrecordable_reason(db_error(code)) == f"refused {code} (SQLSTATE {code})"


@pytest.mark.parametrize("code", ["40001", "40P01", "57014", "55P03", "08006", "53300"])
def test_transient_errors_are_left_to_redelivery(code: str) -> None:
    assert unrecordable_reason(db_error(code)) is None


def test_a_lost_connection_is_transient_whatever_its_code() -> None:
    assert unrecordable_reason(db_error("22P02", invalidated=True)) is None


def test_a_value_the_driver_cannot_send_is_permanent() -> None:
    error = StatementError("cannot send", "UPDATE …", {}, TypeError("unsupported type"))
    assert unrecordable_reason(error) == "TypeError: unsupported type"
