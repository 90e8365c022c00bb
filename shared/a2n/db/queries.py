"""Small statements that belong to no table (SQL stays inside a2n.db)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def ping(session: Session, *, timeout_ms: int) -> None:
    """`SELECT 1` bounded by a transaction-local statement timeout."""
    session.execute(text(f"SET LOCAL statement_timeout = {int(timeout_ms)}"))
    session.execute(text("SELECT 1")).scalar_one()
