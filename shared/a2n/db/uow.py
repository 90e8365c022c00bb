"""Unit of work: one session, one transaction, committed only when the caller says so.

Services own the transaction boundary; repositories receive ``uow.session`` and never commit.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session, sessionmaker

_AFTER_COMMIT = "a2n_after_commit"


def after_commit(bind: Session | Connection, callback: Callable[[], None]) -> None:
    """Run `callback` once the transaction `bind` (a unit of work's session or connection) is in
    commits; forgotten if it rolls back. For a side effect that must wait until the change is
    durable and whose failure must not undo it (deleting an engine timer nobody needs any more):
    the callback handles its own errors."""
    bind.info.setdefault(_AFTER_COMMIT, []).append(callback)


def _run_after_commit(*infos: MutableMapping[Any, Any]) -> None:
    for info in infos:
        for callback in info.pop(_AFTER_COMMIT, ()):
            callback()


def _forget_after_commit(*infos: MutableMapping[Any, Any]) -> None:
    # A connection's info outlives the checkout (it belongs to the pooled DBAPI connection).
    for info in infos:
        info.pop(_AFTER_COMMIT, None)


class UnitOfWork:
    """``with UnitOfWork() as uow: ...; uow.commit()`` — leaving without commit rolls back."""

    def __init__(self, sessions: sessionmaker[Session] | None = None) -> None:
        self._sessions = sessions
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork.session used outside its `with` block")
        return self._session

    def __enter__(self) -> Self:
        if self._sessions is None:
            from a2n.db.session import get_sessionmaker

            self._sessions = get_sessionmaker()
        self._session = self._sessions()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            session.rollback()  # no-op after commit; discards anything uncommitted
        finally:
            _forget_after_commit(session.info)
            session.close()
            self._session = None

    def commit(self) -> None:
        self.session.commit()
        _run_after_commit(self.session.info)

    def rollback(self) -> None:
        self.session.rollback()
        _forget_after_commit(self.session.info)

    def flush(self) -> None:
        self.session.flush()


class ConnectionUnitOfWork:
    """A unit of work on a Core connection, for the engine's hot path (a node step): the ORM
    session's transaction machinery cost ~130 Python calls a transaction that SQL-only work does
    not need (§11). Code that needs the ORM uses ``session``, which joins the same transaction.
    ``with ConnectionUnitOfWork() as uow: ...; uow.commit()`` — leaving without commit rolls back."""

    def __init__(self) -> None:
        self._connection: Connection | None = None
        self._session: Session | None = None

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("ConnectionUnitOfWork.connection used outside its `with` block")
        return self._connection

    @property
    def session(self) -> Session:
        """An ORM session inside this unit's transaction (made on first use)."""
        if self._session is None:
            from sqlalchemy.orm import Session

            connection = self.connection
            if not connection.in_transaction():
                connection.begin()  # so the session joins it instead of owning one
            self._session = Session(bind=connection, join_transaction_mode="rollback_only",
                                    expire_on_commit=False)  # fmt: skip
        return self._session

    def __enter__(self) -> Self:
        from a2n.db.session import get_engine

        self._connection = get_engine().connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection = self.connection
        try:
            if self._session is not None:
                _forget_after_commit(self._session.info)
                self._session.close()
            connection.rollback()  # no-op after commit; discards anything uncommitted
        finally:
            _forget_after_commit(connection.info)
            connection.close()
            self._connection = self._session = None

    def commit(self) -> None:
        if self._session is not None:
            self._session.flush()
        self.connection.commit()
        _run_after_commit(self.connection.info, *([self._session.info] if self._session is not None else []))
