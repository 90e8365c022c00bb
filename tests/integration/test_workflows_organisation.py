"""Organising workflows (issue 13 item 1): nested folders, category and tags, full-text search in
the list, details changed without a new version, un-archiving, and retention purging archived
workflows while their executions stay."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from credential_support import member
from sqlalchemy import text
from sqlalchemy.orm import Session

from a2n.api.pagination import PageRequest
from a2n.auth.principal import Principal
from a2n.db.enums import WorkspaceRole
from a2n.db.models import AuditLog, Workflow
from a2n.db.repositories.workflows import WorkflowFilter
from a2n.errors import Conflict, Forbidden, NotFound, ValidationFailed
from a2n.services import organisation, workflows
from a2n.services.organisation import MAX_FOLDER_DEPTH, UNCHANGED, WorkflowDetails
from a2n.services.retention import apply_retention
from a2n.services.workflows import WorkflowDraft
from a2n.settings import Settings


def definition() -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual", "config": {}},
            {"id": "n", "type": "noop", "config": {}},
        ],
        "connections": [{"source": "start", "target": "n"}],
    }


@pytest.fixture
def owner(db_session: Session) -> Principal:
    return member(db_session).principal


def make(owner: Principal, name: str, **kw: Any) -> uuid.UUID:
    return workflows.create_workflow(owner, WorkflowDraft(name, definition(), **kw)).id


def names(owner: Principal, **wanted: Any) -> list[str]:
    found = workflows.list_workflows(owner, PageRequest(limit=200), WorkflowFilter(**wanted))
    return sorted(v.name for v in found.items)


# --- full-text search, category, tags ----------------------------------------------------------


def test_search_matches_every_word_as_a_prefix_over_name_tags_and_description(owner: Principal) -> None:
    make(owner, "Stripe refunds to Slack", tags=["billing"], description="posts each refund")
    make(owner, "Order sync", tags=["shop", "nightly"], description="copies orders to the warehouse")
    make(owner, "Uptime check", description="pings the shop every minute")

    assert names(owner, words=("refund",)) == ["Stripe refunds to Slack"]  # a prefix of "refunds"
    assert names(owner, words=("shop",)) == ["Order sync", "Uptime check"]  # a tag, a description
    assert names(owner, words=("shop", "nightl")) == ["Order sync"]  # every word must match
    assert names(owner, words=("bill",)) == ["Stripe refunds to Slack"]  # tags are searched
    assert names(owner, words=("warehouse", "refund")) == []
    assert names(owner, words=()) == []  # nothing searchable finds nothing


def test_search_text_is_data_never_tsquery_syntax(owner: Principal) -> None:
    """Operators and quotes a user types (& | ! : * ( ) ') never reach to_tsquery: only word runs
    do, each a quoted prefix, so no input can make the query fail or widen the match."""
    make(owner, "Order sync")
    for hostile in (("order'",), ("or'der", "x"), ("a:*",), ("!order",), ("order|sync",)):
        found = workflows.list_workflows(owner, PageRequest(), WorkflowFilter(words=hostile))
        assert [v.name for v in found.items] in ([], ["Order sync"])


def test_the_route_splits_query_text_into_words_and_drops_operators() -> None:
    from a2n.api.routes.workflows import WorkflowFilterIn

    wanted = WorkflowFilterIn(q="Order's | !sync & *:(").as_filter()

    assert wanted.words == ("order", "s", "sync")


def test_category_filter_is_case_insensitive_and_tags_filter_exactly(owner: Principal) -> None:
    make(owner, "a", category="Billing", tags=["eu"])
    make(owner, "b", category="ops", tags=["eu", "us"])
    make(owner, "c")

    assert names(owner, category="billing") == ["a"]
    assert names(owner, tag="us") == ["b"]
    assert names(owner, tag="e") == []


# --- folders --------------------------------------------------------------------------------------


def test_folders_nest_and_the_list_filters_by_folder_with_or_without_subfolders(owner: Principal) -> None:
    sales = organisation.create_folder(owner, "Sales", None)
    eu = organisation.create_folder(owner, "EU", sales.id)
    make(owner, "top")
    make(owner, "in sales", folder_id=sales.id)
    make(owner, "in eu", folder_id=eu.id)

    assert names(owner, root_only=True) == ["top"]
    assert names(owner, folder_id=sales.id) == ["in sales"]
    assert names(owner, folder_id=sales.id, include_subfolders=True) == ["in eu", "in sales"]
    children = organisation.list_folders(owner, PageRequest(), parent=str(sales.id)).items
    assert [f.name for f in children] == ["EU"]
    assert [f.name for f in organisation.list_folders(owner, PageRequest(), parent="root").items] == ["Sales"]


def test_sibling_folder_names_are_unique_case_insensitively_but_may_repeat_elsewhere(
    owner: Principal,
) -> None:
    sales = organisation.create_folder(owner, "Sales", None)
    organisation.create_folder(owner, "Archive", sales.id)
    organisation.create_folder(owner, "Archive", None)  # another parent: fine

    with pytest.raises(Conflict):
        organisation.create_folder(owner, "sales", None)
    other = organisation.create_folder(owner, "Other", None)
    with pytest.raises(Conflict):
        organisation.update_folder(owner, str(other.id), name="SALES")


def test_a_folder_cannot_move_below_itself_nor_nest_deeper_than_the_limit(owner: Principal) -> None:
    chain = [organisation.create_folder(owner, "level-1", None)]
    for depth in range(2, MAX_FOLDER_DEPTH + 1):
        chain.append(organisation.create_folder(owner, f"level-{depth}", chain[-1].id))

    with pytest.raises(ValidationFailed) as too_deep:
        organisation.create_folder(owner, "one too many", chain[-1].id)
    assert too_deep.value.problems[0].pointer == "/parentId"
    with pytest.raises(ValidationFailed) as cycle:
        organisation.update_folder(owner, str(chain[0].id), parent_id=chain[3].id)
    assert "itself" in cycle.value.problems[0].message
    loose = organisation.create_folder(owner, "two deep", None)
    organisation.create_folder(owner, "child", loose.id)
    with pytest.raises(ValidationFailed):  # its subtree would end below the limit
        organisation.update_folder(owner, str(loose.id), parent_id=chain[-2].id)

    moved = organisation.update_folder(owner, str(chain[5].id), parent_id=None)
    assert moved.parent_id is None


def test_only_an_empty_folder_is_deleted_and_archived_workflows_in_it_move_to_the_top(
    db_session: Session, owner: Principal
) -> None:
    folder = organisation.create_folder(owner, "Temp", None)
    sub = organisation.create_folder(owner, "Sub", folder.id)
    live = make(owner, "live", folder_id=folder.id)
    gone = make(owner, "gone", folder_id=folder.id)
    workflows.delete_workflow(owner, str(gone))

    with pytest.raises(Conflict) as refused:
        organisation.delete_folder(owner, str(folder.id))
    assert "1 workflow(s) and 1 folder(s)" in str(refused.value)
    organisation.delete_folder(owner, str(sub.id))
    organisation.update_workflow_details(owner, str(live), WorkflowDetails(folder_id=None))
    organisation.delete_folder(owner, str(folder.id))

    archived = db_session.get(Workflow, gone)
    assert archived is not None
    db_session.refresh(archived)
    assert archived.folder_id is None


def test_folders_are_scoped_to_their_workspace(db_session: Session, owner: Principal) -> None:
    folder = organisation.create_folder(owner, "Mine", None)
    stranger = member(db_session).principal

    with pytest.raises(NotFound):
        organisation.update_folder(stranger, str(folder.id), name="taken")
    with pytest.raises(NotFound):
        organisation.delete_folder(stranger, str(folder.id))
    with pytest.raises(ValidationFailed) as refused:  # another workspace's folder names nothing here
        workflows.create_workflow(stranger, WorkflowDraft("x", definition(), folder_id=folder.id))
    assert refused.value.problems[0].pointer == "/folderId"
    with pytest.raises(ValidationFailed):
        organisation.create_folder(stranger, "under theirs", folder.id)
    assert organisation.list_folders(stranger, PageRequest()).items == []


def test_viewers_read_folders_but_only_members_change_them(db_session: Session) -> None:
    owner = member(db_session)
    viewer = member(db_session, WorkspaceRole.VIEWER, owner.workspace).principal
    folder = organisation.create_folder(owner.principal, "Shared", None)

    assert [f.name for f in organisation.list_folders(viewer, PageRequest()).items] == ["Shared"]
    with pytest.raises(Forbidden):
        organisation.create_folder(viewer, "nope", None)
    with pytest.raises(Forbidden):
        organisation.delete_folder(viewer, str(folder.id))


# --- details and un-archiving -----------------------------------------------------------------------


def test_patching_details_changes_no_version_and_is_audited(db_session: Session, owner: Principal) -> None:
    folder = organisation.create_folder(owner, "Ops", None)
    workflow_id = make(owner, "before", tags=["a"], category="x")

    view = organisation.update_workflow_details(
        owner, str(workflow_id),
        WorkflowDetails(name="after", tags=["b", "b", "c"], category=None, folder_id=folder.id),
    )  # fmt: skip

    assert (view.name, view.tags, view.category, view.folder_id, view.version) == (
        "after", ["b", "c"], None, folder.id, 1,
    )  # fmt: skip
    entry = (
        db_session.query(AuditLog)
        .filter_by(action="workflow.update_details", entity_id=str(workflow_id))
        .one()
    )
    assert entry.changes == {
        "name": {"from": "before", "to": "after"},
        "category": {"from": "x", "to": None},
        "folderId": {"from": None, "to": str(folder.id)},
        "tags": {"from": ["a"], "to": ["b", "c"]},
    }
    untouched = organisation.update_workflow_details(
        owner, str(workflow_id), WorkflowDetails(description=UNCHANGED)
    )
    assert (
        untouched.name == "after"
        and db_session.query(AuditLog)
        .filter_by(action="workflow.update_details", entity_id=str(workflow_id))
        .count()
        == 1
    )


def test_an_archived_workflow_is_listed_apart_and_comes_back_inactive(owner: Principal) -> None:
    workflow_id = make(owner, "old")
    workflows.delete_workflow(owner, str(workflow_id))

    assert names(owner) == []
    assert names(owner, archived=True) == ["old"]
    with pytest.raises(NotFound):
        workflows.get_workflow(owner, str(workflow_id))

    view = organisation.unarchive_workflow(owner, str(workflow_id))

    assert view.archived_at is None and view.is_active is False
    assert names(owner) == ["old"] and names(owner, archived=True) == []
    with pytest.raises(NotFound):  # only archived workflows come back
        organisation.unarchive_workflow(owner, str(workflow_id))


# --- retention ------------------------------------------------------------------------------------


def test_retention_purges_long_archived_workflows_but_keeps_their_executions_and_running_ones(
    db_session: Session, owner: Principal
) -> None:
    from a2n.services.execution_commands import execute_workflow

    purged = make(owner, "purged")
    started = execute_workflow(owner, purged, {}, idempotency_key=None, request_hash=None)
    recent = make(owner, "recent")
    busy = make(owner, "busy")
    busy_run = execute_workflow(owner, busy, {}, idempotency_key=None, request_hash=None)
    for workflow_id in (purged, recent, busy):
        workflows.delete_workflow(owner, str(workflow_id))
    db_session.execute(
        text("UPDATE workflows SET archived_at = now() - interval '31 days' WHERE id IN (:a, :b)"),
        {"a": purged, "b": busy},
    )
    db_session.execute(
        text("UPDATE executions SET status = 'RUNNING' WHERE id = :e"), {"e": busy_run.execution_id}
    )

    report = apply_retention(datetime.now(UTC) + timedelta(seconds=1), Settings())

    assert report.archived_workflows_purged == 1
    remaining = set(db_session.scalars(text("SELECT id FROM workflows")))
    assert purged not in remaining and {recent, busy} <= remaining
    assert (
        db_session.scalar(
            text("SELECT count(*) FROM workflow_versions WHERE workflow_id = :w"), {"w": purged}
        )
        == 0
    )
    kept = db_session.scalar(
        text("SELECT workflow_id FROM executions WHERE id = :e"), {"e": started.execution_id}
    )
    assert kept == purged  # the execution stays, still naming the workflow it ran


def test_a_zero_setting_disables_the_purge(db_session: Session, owner: Principal) -> None:
    workflow_id = make(owner, "kept")
    workflows.delete_workflow(owner, str(workflow_id))
    db_session.execute(text("UPDATE workflows SET archived_at = now() - interval '400 days'"))

    report = apply_retention(datetime.now(UTC), Settings(retention_archived_workflows_days=0))

    assert report.archived_workflows_purged == 0
    assert db_session.get(Workflow, workflow_id) is not None
