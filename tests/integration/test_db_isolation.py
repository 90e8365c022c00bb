"""Tests are isolated: what one test writes, even through a committing UnitOfWork, the next never sees.

The two tests run in file order; the second would fail if the first's commit had leaked.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from a2n.db.models import Workspace
from a2n.db.uow import UnitOfWork

SLUG = "isolation-probe"


def test_first_writes_and_commits_through_a_unit_of_work(db_session: Session) -> None:
    with UnitOfWork() as uow:
        uow.session.add(Workspace(name="Probe", slug=SLUG))
        uow.commit()

    assert db_session.scalar(select(func.count()).where(Workspace.slug == SLUG)) == 1


def test_second_sees_nothing_of_the_first(db_session: Session) -> None:
    assert db_session.scalar(select(func.count()).select_from(Workspace)) == 0


def test_clean_db_empties_tables_committed_on_other_connections(clean_db: str) -> None:
    from a2n.db.session import get_sessionmaker

    with UnitOfWork(get_sessionmaker()) as uow:
        uow.session.add(Workspace(name="Probe", slug=SLUG))
        uow.commit()
    with UnitOfWork(get_sessionmaker()) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Workspace)) == 1


def test_clean_db_left_nothing_behind(clean_db: str) -> None:
    from a2n.db.session import get_sessionmaker

    with UnitOfWork(get_sessionmaker()) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Workspace)) == 0


def test_unit_of_work_without_commit_rolls_back(db_session: Session) -> None:
    with UnitOfWork() as uow:
        uow.session.add(Workspace(name="Never", slug="never-committed"))
        uow.flush()

    assert db_session.scalar(select(func.count()).where(Workspace.slug == "never-committed")) == 0
