"""Applies the Alembic migrations to the database the stack points at.

Invoked after each deploy (``aws lambda invoke --function-name <stack>-migrate``); the event may
name a ``revision`` (default ``head``). Idempotent: an up-to-date database is left as it is.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from a2n.observability import get_logger

logger = get_logger()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any] | None, context: LambdaContext) -> dict[str, str]:
    from a2n.db.migrate import upgrade

    revision = str((event or {}).get("revision") or "head")
    upgrade(revision=revision)
    logger.info("database migrated", extra={"revision": revision})
    return {"status": "ok", "revision": revision}
