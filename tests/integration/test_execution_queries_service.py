"""Executions read side and delete: filters, keyset pages, nodes, log levels, tenancy, 404/409/403."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from identity_support import new_user
from sqlalchemy import func, select

from a2n.auth.principal import Principal
from a2n.db.enums import ExecutionMode, ExecutionStatus, LogLevel, NodeStatus, WorkspaceRole
from a2n.db.models import (
    AuditLog,
    Execution,
    ExecutionLog,
    ExecutionNodeState,
    Workflow,
    Workspace,
    WorkspaceMember,
)
from a2n.db.repositories.execution_queries import After, ExecutionFilter
from a2n.errors import Conflict, Forbidden, NotFound
from a2n.services import execution_commands, execution_queries

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Tenant:
    def __init__(self, session, role: WorkspaceRole = WorkspaceRole.OWNER) -> None:
        self.session = session
        self.user = new_user(session, name="u")
        self.workspace = Workspace(name="W", slug=f"w-{uuid.uuid4().hex[:8]}")
        session.add(self.workspace)
        session.flush()
        session.add(WorkspaceMember(workspace_id=self.workspace.id, user_id=self.user.id, role=role))
        self.workflow = self.new_workflow()
        self.principal = Principal(str(self.user.id), str(self.workspace.id), "jwt")

    def new_workflow(self) -> Workflow:
        workflow = Workflow(workspace_id=self.workspace.id, name="wf", definition={"nodes": []})
        self.session.add(workflow)
        self.session.flush()
        return workflow

    def execution(
        self,
        status: ExecutionStatus = ExecutionStatus.SUCCEEDED,
        started_at: datetime = T0,
        workflow: Workflow | None = None,
    ) -> Execution:
        ended = started_at + timedelta(seconds=2) if status not in ("QUEUED", "RUNNING", "WAITING") else None
        execution = Execution(
            workflow_id=(workflow or self.workflow).id,
            workflow_version=1,
            workspace_id=self.workspace.id,
            status=status,
            mode=ExecutionMode.MANUAL,
            started_at=started_at,
            ended_at=ended,
            duration_ms=2000 if ended else None,
            trigger_data={"x": 1},
        )
        self.session.add(execution)
        self.session.flush()
        return execution


@pytest.fixture
def me(db_session) -> Tenant:
    return Tenant(db_session)


@pytest.fixture
def stranger(db_session) -> Tenant:
    return Tenant(db_session)


def _all_pages(principal: Principal, where: ExecutionFilter, limit: int) -> list[list[uuid.UUID]]:
    pages, after = [], None
    while True:
        rows = execution_queries.list_executions(principal, where, limit=limit, after=after)
        page = rows[:limit]
        pages.append([e.id for e in page])
        if len(rows) <= limit:
            return pages
        after = After(page[-1].started_at, page[-1].id)


def test_list_is_newest_first_paginated_without_gaps_and_only_my_workspace(me, stranger) -> None:
    mine = [me.execution(started_at=T0 + timedelta(minutes=i)) for i in range(5)]
    # Two with the same start instant: the id breaks the tie, so neither is skipped nor repeated.
    mine += [me.execution(started_at=T0 + timedelta(minutes=10)) for _ in range(2)]
    stranger.execution()

    pages = _all_pages(me.principal, ExecutionFilter(), limit=2)

    flat = [i for page in pages for i in page]
    assert sorted(flat) == sorted(e.id for e in mine)
    assert len(flat) == len(set(flat)) == 7
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    starts = {e.id: e.started_at for e in mine}
    assert [starts[i] for i in flat] == sorted(starts[i] for i in flat)[::-1]


def test_filters_by_workflow_status_and_time_window(me) -> None:
    other_workflow = me.new_workflow()
    failed = me.execution(ExecutionStatus.FAILED, T0 + timedelta(hours=1))
    running = me.execution(ExecutionStatus.RUNNING, T0 + timedelta(hours=2))
    early = me.execution(ExecutionStatus.SUCCEEDED, T0)
    elsewhere = me.execution(ExecutionStatus.FAILED, T0 + timedelta(hours=1), workflow=other_workflow)

    def ids(where: ExecutionFilter) -> set[uuid.UUID]:
        return {e.id for e in execution_queries.list_executions(me.principal, where, limit=50, after=None)}

    assert ids(ExecutionFilter(workflow_id=other_workflow.id)) == {elsewhere.id}
    assert ids(ExecutionFilter(statuses=(ExecutionStatus.FAILED,))) == {failed.id, elsewhere.id}
    assert ids(ExecutionFilter(statuses=(ExecutionStatus.FAILED, ExecutionStatus.RUNNING))) == {
        failed.id,
        elsewhere.id,
        running.id,
    }
    # since is inclusive, until exclusive.
    window = ExecutionFilter(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=2))
    assert ids(window) == {failed.id, elsewhere.id}
    assert early.id in ids(ExecutionFilter(until=T0 + timedelta(seconds=1)))


def test_another_workspaces_workflow_filter_finds_nothing(me, stranger) -> None:
    stranger.execution()
    where = ExecutionFilter(workflow_id=stranger.workflow.id)
    assert execution_queries.list_executions(me.principal, where, limit=50, after=None) == []


def test_get_returns_nodes_in_run_order_and_hides_other_workspaces(db_session, me, stranger) -> None:
    execution = me.execution()
    for node_id, offset in (("second", 5), ("first", 1)):
        db_session.add(
            ExecutionNodeState(
                execution_id=execution.id,
                node_id=node_id,
                node_type="noop",
                status=NodeStatus.SUCCEEDED,
                attempt=1,
                started_at=T0 + timedelta(seconds=offset),
                ended_at=T0 + timedelta(seconds=offset, milliseconds=250),
                output={"ok": node_id},
            )
        )
    db_session.add(
        ExecutionNodeState(
            execution_id=execution.id, node_id="never", node_type="noop", status=NodeStatus.SKIPPED
        )
    )
    db_session.flush()

    detail = execution_queries.get_execution(me.principal, execution.id)

    assert [n.node_id for n in detail.nodes] == ["first", "second", "never"]
    assert detail.execution.trigger_data == {"x": 1}
    with pytest.raises(NotFound):
        execution_queries.get_execution(stranger.principal, execution.id)
    with pytest.raises(NotFound):
        execution_queries.get_execution(me.principal, uuid.uuid4())
    with pytest.raises(NotFound):
        execution_queries.execution_id_from_path("not-a-uuid")


def test_logs_filter_at_or_above_level_and_page_in_time_order(db_session, me) -> None:
    execution = me.execution()
    levels = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR, LogLevel.INFO]
    for i, level in enumerate(levels):
        db_session.add(
            ExecutionLog(
                execution_id=execution.id,
                node_id="n",
                level=level,
                message=f"m{i}",
                ts=T0 + timedelta(seconds=i),
            )
        )
    db_session.flush()

    def messages(level: LogLevel | None, limit: int = 50, after: After | None = None) -> list[str]:
        rows = execution_queries.list_execution_logs(
            me.principal, execution.id, level, limit=limit, after=after
        )
        return [r.message for r in rows]

    assert messages(None) == ["m0", "m1", "m2", "m3", "m4"]
    assert messages(LogLevel.INFO) == ["m1", "m2", "m3", "m4"]
    assert messages(LogLevel.WARN) == ["m2", "m3"]
    assert messages(LogLevel.ERROR) == ["m3"]
    first = execution_queries.list_execution_logs(me.principal, execution.id, None, limit=2, after=None)
    assert [r.message for r in first] == ["m0", "m1", "m2"]  # limit + 1: "there is more"
    assert messages(None, after=After(first[1].ts, first[1].id)) == ["m2", "m3", "m4"]


def test_delete_removes_a_finished_execution_with_its_nodes_and_audits(db_session, me) -> None:
    execution = me.execution(ExecutionStatus.FAILED)
    db_session.add(
        ExecutionNodeState(execution_id=execution.id, node_id="a", node_type="noop", status=NodeStatus.FAILED)
    )
    db_session.add(ExecutionLog(execution_id=execution.id, level=LogLevel.ERROR, message="boom"))
    db_session.flush()

    execution_id = execution.id
    execution_commands.delete(me.principal, execution_id)

    db_session.expunge_all()
    assert db_session.get(Execution, execution_id) is None
    remaining = db_session.scalar(
        select(func.count())
        .select_from(ExecutionNodeState)
        .where(ExecutionNodeState.execution_id == execution_id)
    )
    assert remaining == 0
    audit = db_session.scalars(select(AuditLog).where(AuditLog.entity_id == str(execution_id))).one()
    assert audit.action == "execution.delete"


def test_delete_refuses_active_executions_and_other_workspaces(db_session, me, stranger) -> None:
    running = me.execution(ExecutionStatus.RUNNING)
    with pytest.raises(Conflict):
        execution_commands.delete(me.principal, running.id)
    finished = me.execution()
    with pytest.raises(NotFound):
        execution_commands.delete(stranger.principal, finished.id)
    db_session.expire_all()
    assert db_session.get(Execution, running.id) is not None
    assert db_session.get(Execution, finished.id) is not None


def test_viewer_reads_but_cannot_delete(db_session, me) -> None:
    viewer = new_user(db_session, name="v")
    db_session.add(
        WorkspaceMember(workspace_id=me.workspace.id, user_id=viewer.id, role=WorkspaceRole.VIEWER)
    )
    db_session.flush()
    execution = me.execution()
    as_viewer = Principal(str(viewer.id), str(me.workspace.id), "jwt")

    assert execution_queries.get_execution(as_viewer, execution.id).execution.id == execution.id
    with pytest.raises(Forbidden):
        execution_commands.delete(as_viewer, execution.id)
