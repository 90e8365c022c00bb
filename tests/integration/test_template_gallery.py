"""The template gallery (issue 13 item 5): built-ins and published templates in one paged list;
publishing strips credentials and secrets and records what each node needs; the public gallery after
a platform admin's approval; usage counted on instantiation; one 1-5 rating per user."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from credential_support import Member, local_keys, member
from sqlalchemy import text
from sqlalchemy.orm import Session

from a2n.api.pagination import PageRequest, decode_cursor
from a2n.db.enums import WorkspaceRole
from a2n.db.models import AuditLog, User
from a2n.errors import Conflict, Forbidden, NotFound, ValidationFailed
from a2n.services import templates, workflows
from a2n.services.templates import GalleryFilter, TemplatePublication
from a2n.services.workflows import WorkflowDraft
from a2n.templates import builtin_templates

__all__ = ["local_keys"]  # a fixture, used by name

SECRET = "hook-secret-never-in-a-template"
BUILT_INS = len(builtin_templates())  # the shipped catalogue grows with other areas' templates


def definition(credential_id: str) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "hook", "type": "trigger.webhook",
             "config": {"method": "POST", "auth": {"type": "header", "header": "X-Token", "secret": SECRET}}},
            {"id": "call", "type": "http_request", "credentialId": credential_id,
             "config": {"method": "GET", "url": "https://api.example.com/orders"}},
        ],
        "connections": [{"source": "hook", "target": "call"}],
    }  # fmt: skip


@pytest.fixture
def owner(db_session: Session, local_keys: Any) -> Member:
    return member(db_session)


def credential(owner: Member) -> str:
    from credential_support import ORIGIN

    from a2n.services.credentials import CredentialDraft, create_credential

    made = create_credential(
        owner.principal,
        CredentialDraft(f"api {uuid.uuid4().hex[:6]}", "bearer", {"token": "t0k3n-value"}),
        ORIGIN,
    )
    return str(made.id)


def published(
    owner: Member, *, public: bool = False, name: str = "Order fetcher"
) -> templates.WorkflowTemplate:
    workflow = workflows.create_workflow(
        owner.principal, WorkflowDraft("Orders", definition(credential(owner)))
    )
    wanted = TemplatePublication(str(workflow.id), name=name, category="shop", public=public)
    return templates.publish_template(owner.principal, wanted)


def gallery(who: Member, **wanted: Any) -> list[str]:
    found = templates.list_templates(who.principal, PageRequest(limit=200), GalleryFilter(**wanted))
    return [t.name for t in found.items]


def test_a_published_template_carries_no_credential_or_secret_and_says_what_it_needs(
    db_session: Session, owner: Member
) -> None:
    template = published(owner)

    call = template.definition["nodes"][1]
    assert "credentialId" not in call
    assert "secret" not in template.definition["nodes"][0]["config"]["auth"]
    assert template.required_credentials == ({"nodeId": "call", "type": "bearer"},)
    assert template.node_types == ("http_request", "trigger.webhook")
    assert (template.source, template.public_status, template.category) == ("workspace", None, "shop")
    stored = db_session.execute(text("SELECT definition::text FROM workflow_templates")).scalars()
    assert not any(SECRET in s or "t0k3n-value" in s for s in stored)


def test_the_gallery_holds_built_ins_and_this_workspace_s_templates_only(
    db_session: Session, owner: Member
) -> None:
    published(owner, name="Mine")
    stranger = member(db_session)

    assert "Mine" in gallery(owner)
    assert "Mine" not in gallery(stranger)
    assert gallery(stranger, source="workspace") == []
    builtins = gallery(stranger, source="builtin")
    assert len(builtins) == BUILT_INS and builtins == gallery(owner, source="builtin")


def test_the_gallery_pages_newest_first_with_built_ins_last(owner: Member) -> None:
    for n in range(3):
        published(owner, name=f"t{n}")

    first = templates.list_templates(owner.principal, PageRequest(limit=2))
    assert first.next_cursor is not None
    rest = templates.list_templates(
        owner.principal, PageRequest(limit=50, cursor=decode_cursor(first.next_cursor))
    )
    names = [t.name for t in first.items + list(rest.items)]
    assert names[:3] == ["t2", "t1", "t0"] and len(names) == 3 + BUILT_INS
    assert [t.source for t in rest.items][-BUILT_INS:] == ["builtin"] * BUILT_INS


def test_public_templates_need_a_platform_admin_s_approval(db_session: Session, owner: Member) -> None:
    template = published(owner, public=True, name="Shared recipe")
    stranger = member(db_session)
    admin = member(db_session)
    assert template.public_status == "pending"
    assert "Shared recipe" not in gallery(stranger)

    with pytest.raises(Forbidden):
        templates.review_template(stranger.principal, template.id, approved=True)
    db_session.execute(text("UPDATE users SET is_platform_admin = true WHERE id = :u"), {"u": admin.user.id})
    assert gallery(admin, status="pending") == ["Shared recipe"]
    reviewed = templates.review_template(admin.principal, template.id, approved=True)

    assert reviewed.public_status == "approved"
    assert "Shared recipe" in gallery(stranger, source="public")
    entry = db_session.query(AuditLog).filter_by(action="template.review", entity_id=template.id).one()
    assert entry.changes == {"publicStatus": "approved"}
    templates.review_template(admin.principal, template.id, approved=False)
    assert "Shared recipe" not in gallery(stranger)


def test_instantiating_counts_usage_for_built_ins_and_published_templates(
    db_session: Session, owner: Member
) -> None:
    template = published(owner)

    workflows.create_workflow_from_template(owner.principal, template.id)
    workflows.create_workflow_from_template(owner.principal, template.id)
    workflows.create_workflow_from_template(owner.principal, "uptime-check")

    assert templates.get_gallery_template(owner.principal, template.id).usage_count == 2
    assert templates.get_gallery_template(owner.principal, "uptime-check").usage_count == 1
    stranger = member(db_session)
    with pytest.raises(ValidationFailed):  # another workspace's template is not in their gallery
        workflows.create_workflow_from_template(stranger.principal, template.id)
    assert templates.get_gallery_template(owner.principal, template.id).usage_count == 2


def test_one_rating_per_user_replaces_the_last(db_session: Session, owner: Member) -> None:
    colleague = member(db_session, WorkspaceRole.VIEWER, owner.workspace)

    templates.rate_template(owner.principal, "uptime-check", 5)
    templates.rate_template(colleague.principal, "uptime-check", 2)
    rated = templates.rate_template(owner.principal, "uptime-check", 3)

    assert (rated.rating_count, rated.rating_average) == (2, 2.5)
    with pytest.raises(ValidationFailed):
        templates.rate_template(owner.principal, "uptime-check", 6)
    with pytest.raises(NotFound):
        templates.rate_template(member(db_session).principal, published(owner).id, 4)


def test_deleting_is_for_the_publisher_or_an_admin_and_forgets_the_stats(
    db_session: Session, owner: Member
) -> None:
    template = published(owner)
    colleague = member(db_session, WorkspaceRole.MEMBER, owner.workspace)
    templates.rate_template(colleague.principal, template.id, 4)

    with pytest.raises(Forbidden):
        templates.delete_template(colleague.principal, template.id)
    with pytest.raises(Conflict):
        templates.delete_template(owner.principal, "uptime-check")
    templates.delete_template(owner.principal, template.id)

    with pytest.raises(NotFound):
        templates.get_gallery_template(owner.principal, template.id)
    left = db_session.scalar(
        text("SELECT count(*) FROM template_ratings WHERE template_key = :k"), {"k": template.id}
    )
    assert left == 0
    assert db_session.get(User, owner.user.id) is not None
