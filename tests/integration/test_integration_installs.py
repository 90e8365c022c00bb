"""A workspace's packages through the services, on real Postgres: install pinned to a version (admins
only), package credentials checked against the installed manifest, saves that check and pin
integration nodes, the per-workspace node-type catalogue, upgrades that refuse to break saved
nodes or re-pin every workflow, uninstall refused while used unless forced, install counts."""

from __future__ import annotations

from typing import Any

import pytest
from credential_support import ORIGIN, local_keys, member
from integration_support import acme_manifest, seed_package

from a2n.api.pagination import PageRequest, decode_cursor
from a2n.auth.principal import Principal
from a2n.db.enums import WorkspaceRole
from a2n.db.models import IntegrationPackage, Workflow
from a2n.errors import Conflict, Forbidden, NotFound, ValidationFailed
from a2n.services.catalog import node_types
from a2n.services.credentials import CredentialDraft, create_credential
from a2n.services.integrations import workspace
from a2n.services.workflows import WorkflowDraft, create_workflow, get_workflow, replace_workflow

pytestmark = pytest.mark.usefixtures("local_keys")
__all__ = ["local_keys"]


def acme_workflow(credential_id: str | None, **input_: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"id": "add", "type": "integration",
                            "config": {"package": "acme-crm", "action": "create_contact",
                                       "input": input_ or {"email": "{{ trigger.body.email }}"}}}  # fmt: skip
    if credential_id is not None:
        node["credentialId"] = credential_id
    return {"nodes": [{"id": "start", "type": "trigger.manual", "config": {}}, node],
            "connections": [{"source": "start", "target": "add"}]}  # fmt: skip


def installed_with_credential(db_session, version: str = "1.0.0") -> tuple[Any, str]:
    owner = member(db_session)
    workspace.install_package(owner.principal, "acme-crm", version, ORIGIN)
    credential = create_credential(
        owner.principal, CredentialDraft("acme", "acme-crm:key", {"key": "ak-123456"}), ORIGIN
    )
    return owner, str(credential.id)


def test_installing_pins_the_version_and_counts_the_install(db_session) -> None:
    seed_package(db_session, acme_manifest("1.0.0"), acme_manifest("1.1.0"))
    owner = member(db_session)

    installed = workspace.install_package(owner.principal, "acme-crm", "1.0.0", ORIGIN)

    assert (installed.name, installed.version, installed.latest_version) == ("acme-crm", "1.0.0", "1.1.0")
    assert installed.actions == ["create_contact"] and installed.credential_types == ["acme-crm:key"]
    with pytest.raises(Conflict, match="already installed"):
        workspace.install_package(owner.principal, "acme-crm", None, ORIGIN)
    package = db_session.query(IntegrationPackage).filter_by(name="acme-crm").one()
    db_session.refresh(package)
    assert package.install_count == 1
    workspace.uninstall_package(owner.principal, "acme-crm", force=False, origin=ORIGIN)
    db_session.refresh(package)
    assert package.install_count == 0


def test_only_admins_install_and_unknown_or_unapproved_versions_are_one_404(db_session) -> None:
    seed_package(db_session, acme_manifest("1.0.0"))
    seed_package(db_session, acme_manifest("2.0.0"), status="pending")
    owner = member(db_session)
    editor = member(db_session, WorkspaceRole.MEMBER, workspace=owner.workspace)
    with pytest.raises(Forbidden):
        workspace.install_package(editor.principal, "acme-crm", None, ORIGIN)
    for name, version in (("acme-crm", "2.0.0"), ("acme-crm", "9.0.0"), ("no-such-thing", None)):
        with pytest.raises(NotFound):
            workspace.install_package(owner.principal, name, version, ORIGIN)
    assert workspace.install_package(owner.principal, "acme-crm", None, ORIGIN).version == "1.0.0"


def test_the_installed_list_pages_by_name(db_session) -> None:
    for name in ("acme-crm", "bravo-mail", "charlie-ai"):
        seed_package(db_session, acme_manifest("1.0.0", name=name))
    owner = member(db_session)
    for name in ("charlie-ai", "acme-crm", "bravo-mail"):
        workspace.install_package(owner.principal, name, None, ORIGIN)

    first = workspace.list_installed(owner.principal, PageRequest(limit=2))
    assert [i.name for i in first.items] == ["acme-crm", "bravo-mail"] and first.next_cursor
    after = decode_cursor(first.next_cursor)
    rest = workspace.list_installed(owner.principal, PageRequest(limit=2, cursor=after))
    assert ([i.name for i in rest.items], rest.next_cursor) == (["charlie-ai"], None)


def test_a_package_credential_is_checked_against_the_installed_manifest(db_session) -> None:
    seed_package(db_session, acme_manifest("1.0.0"))
    owner = member(db_session)
    draft = CredentialDraft("acme", "acme-crm:key", {"key": "ak-1"})
    with pytest.raises(ValidationFailed) as not_installed:
        create_credential(owner.principal, draft, ORIGIN)
    assert [p.pointer for p in not_installed.value.problems] == ["/type"]
    workspace.install_package(owner.principal, "acme-crm", None, ORIGIN)
    with pytest.raises(ValidationFailed) as wrong_fields:
        create_credential(owner.principal, CredentialDraft("x", "acme-crm:key", {"token": "t"}), ORIGIN)
    assert {p.pointer for p in wrong_fields.value.problems} == {"/data/token", "/data/key"}
    assert create_credential(owner.principal, draft, ORIGIN).type == "acme-crm:key"


def test_a_save_pins_the_installed_version_and_checks_input_action_and_credential(db_session) -> None:
    seed_package(db_session, acme_manifest("1.0.0"), acme_manifest("1.1.0"))
    owner, credential_id = installed_with_credential(db_session)

    saved = create_workflow(owner.principal, WorkflowDraft("ok", acme_workflow(credential_id)), origin=ORIGIN)
    assert saved.definition["nodes"][1]["config"]["version"] == "1.0.0"

    other = create_credential(owner.principal, CredentialDraft("b", "bearer", {"token": "tok-1"}), ORIGIN)
    broken = acme_workflow(str(other.id), email=7)
    broken["nodes"].append({"id": "ghost", "type": "integration",
                            "config": {"package": "acme-crm", "version": "1.1.0", "action": "create_contact",
                                       "input": {"email": "a@b.c"}}})  # fmt: skip
    broken["connections"].append({"source": "start", "target": "ghost"})
    with pytest.raises(ValidationFailed) as refused:
        create_workflow(owner.principal, WorkflowDraft("bad", broken), origin=ORIGIN)
    assert {p.pointer for p in refused.value.problems} == {
        "/definition/nodes/1/config/input/email",
        "/definition/nodes/1/credentialId",
        "/definition/nodes/2/config/version",
    }


def test_node_types_list_the_installed_actions_for_members_only(db_session) -> None:
    seed_package(db_session, acme_manifest("1.0.0"))
    owner = member(db_session)
    outsider = member(db_session)
    workspace.install_package(owner.principal, "acme-crm", None, ORIGIN)

    mine = [t for t in node_types(owner.principal) if t.get("integration")]
    assert [(t["type"], t["integration"]["action"]) for t in mine] == [("integration", "create_contact")]
    assert mine[0]["configSchema"]["properties"]["input"]["required"] == ["email"]
    assert not [t for t in node_types(outsider.principal) if t.get("integration")]
    sneaking = Principal(outsider.principal.user_id, owner.principal.workspace_id, auth_type="jwt")
    assert not [t for t in node_types(sneaking) if t.get("integration")]


def test_an_upgrade_that_would_break_a_saved_node_is_refused_and_changes_nothing(db_session) -> None:
    breaking = acme_manifest("2.0.0", changelog="email is now an object")
    breaking["actions"]["create_contact"]["input"]["properties"]["email"] = {"type": "object"}
    seed_package(db_session, acme_manifest("1.0.0"), acme_manifest("1.1.0", changelog="faster"), breaking)
    owner, credential_id = installed_with_credential(db_session)
    saved = create_workflow(
        owner.principal, WorkflowDraft("w", acme_workflow(credential_id, email="a@b.c")), origin=ORIGIN
    )

    plan = workspace.plan_upgrade(owner.principal, "acme-crm", "2.0.0")
    assert [c["version"] for c in plan.changelog] == ["2.0.0", "1.1.0"]
    assert [(b["nodeId"], b["pointer"]) for b in plan.breaking] == [("add", "/nodes/1/config/input/email")]
    with pytest.raises(Conflict) as refused:
        workspace.upgrade_package(owner.principal, "acme-crm", "2.0.0", ORIGIN)
    assert refused.value.extra["breaking"] == plan.breaking
    assert workspace.list_installed(owner.principal, PageRequest()).items[0].version == "1.0.0"
    assert get_workflow(owner.principal, str(saved.id)).version == 1


def test_an_upgrade_that_breaks_nothing_re_pins_every_workflow_as_a_new_version(db_session) -> None:
    seed_package(db_session, acme_manifest("1.0.0"), acme_manifest("1.1.0", changelog="faster"))
    owner, credential_id = installed_with_credential(db_session)
    saved = create_workflow(owner.principal, WorkflowDraft("w", acme_workflow(credential_id)), origin=ORIGIN)

    done = workspace.upgrade_package(owner.principal, "acme-crm", None, ORIGIN)

    assert (done.from_version, done.to_version, done.breaking) == ("1.0.0", "1.1.0", [])
    assert [(m["id"], m["version"]) for m in done.migrated] == [(str(saved.id), 2)]
    view = get_workflow(owner.principal, str(saved.id))
    assert (view.version, view.definition["nodes"][1]["config"]["version"]) == (2, "1.1.0")


def test_an_upgrade_that_drops_the_credential_type_a_node_uses_is_breaking(db_session) -> None:
    renamed = acme_manifest("2.0.0")
    renamed["credentials"] = {"token": renamed["credentials"].pop("key")}
    renamed["actions"]["create_contact"]["credentials"] = ["token"]
    seed_package(db_session, acme_manifest("1.0.0"), renamed)
    owner, credential_id = installed_with_credential(db_session)
    create_workflow(owner.principal, WorkflowDraft("w", acme_workflow(credential_id)), origin=ORIGIN)

    plan = workspace.plan_upgrade(owner.principal, "acme-crm", "2.0.0")

    assert [b["pointer"] for b in plan.breaking] == ["/nodes/1/credentialId"]


def test_uninstall_is_refused_while_a_workflow_uses_the_package_unless_forced(db_session) -> None:
    seed_package(db_session, acme_manifest("1.0.0"))
    owner, credential_id = installed_with_credential(db_session)
    saved = create_workflow(owner.principal, WorkflowDraft("w", acme_workflow(credential_id)), origin=ORIGIN)

    with pytest.raises(Conflict) as used:
        workspace.uninstall_package(owner.principal, "acme-crm", force=False, origin=ORIGIN)
    assert used.value.extra["workflows"] == [{"id": str(saved.id), "name": "w"}]
    workspace.uninstall_package(owner.principal, "acme-crm", force=True, origin=ORIGIN)
    assert workspace.list_installed(owner.principal, PageRequest()).items == []
    assert db_session.get(Workflow, saved.id).definition["nodes"][1]["config"]["package"] == "acme-crm"


def test_an_upgrade_moves_what_runs_and_the_unpublished_draft_each_to_the_new_version(db_session) -> None:
    """Issue 13's drafts: the published definition is re-pinned and republished (its triggers follow),
    a draft ahead of it is re-pinned and stays a draft."""
    seed_package(db_session, acme_manifest("1.0.0"), acme_manifest("1.1.0"))
    owner, credential_id = installed_with_credential(db_session)
    saved = create_workflow(owner.principal, WorkflowDraft("w", acme_workflow(credential_id)), origin=ORIGIN)
    edited = acme_workflow(credential_id, email="draft@b.c")
    replace_workflow(owner.principal, str(saved.id), WorkflowDraft("w", edited), origin=ORIGIN)  # v2, a draft

    done = workspace.upgrade_package(owner.principal, "acme-crm", "1.1.0", ORIGIN)

    row = db_session.get(Workflow, saved.id)
    assert [m["version"] for m in done.migrated] == [4] and (row.version, row.published_version) == (4, 3)
    published, draft = row.published_definition["nodes"][1]["config"], row.definition["nodes"][1]["config"]
    assert (published["version"], published["input"]) == ("1.1.0", {"email": "{{ trigger.body.email }}"})
    assert (draft["version"], draft["input"]) == ("1.1.0", {"email": "draft@b.c"})


def test_what_runs_blocks_the_upgrade_when_the_new_version_would_refuse_it_though_the_draft_is_fine(
    db_session,
) -> None:
    breaking = acme_manifest("2.0.0")
    breaking["actions"]["create_contact"]["input"]["properties"]["email"] = {"type": "string", "maxLength": 5}
    seed_package(db_session, acme_manifest("1.0.0"), breaking)
    owner, credential_id = installed_with_credential(db_session)
    long_email = acme_workflow(credential_id, email="someone@example.com")
    saved = create_workflow(owner.principal, WorkflowDraft("w", long_email), origin=ORIGIN)  # published v1
    short = acme_workflow(credential_id, email="a@b")
    replace_workflow(owner.principal, str(saved.id), WorkflowDraft("w", short), origin=ORIGIN)  # a v2 draft

    plan = workspace.plan_upgrade(owner.principal, "acme-crm", "2.0.0")

    assert [(b["nodeId"], b["pointer"]) for b in plan.breaking] == [("add", "/nodes/1/config/input/email")]
