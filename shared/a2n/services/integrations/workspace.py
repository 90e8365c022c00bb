"""A workspace's packages: install pinned to a version, list, upgrade (changelog and the saved
nodes the new input schemas would break: refused, or every workflow re-pinned as a new version),
uninstall (409 while workflows use it, unless forced)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from a2n.auth.policy import Action
from a2n.errors import Conflict, NotFound, Problem, ValidationFailed

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import IntegrationPackage, IntegrationPackageVersion, Workflow
    from a2n.pagination import Page, PageRequest
    from a2n.services.audit import Origin


@dataclass(frozen=True)
class InstalledPackage:
    name: str
    version: str
    title: str
    category: str
    installed_at: Any
    updated_at: Any
    latest_version: str | None
    actions: list[str]
    triggers: list[str]
    credential_types: list[str]


@dataclass(frozen=True)
class UpgradePlan:
    """What an upgrade would do: the changelog of every version it passes, and each saved node it
    would break (action or trigger gone, input no longer valid)."""

    name: str
    from_version: str
    to_version: str
    changelog: list[dict[str, Any]]
    breaking: list[dict[str, Any]]
    migrated: list[dict[str, Any]] = field(default_factory=list)


def _workspace(principal: Principal) -> uuid.UUID:
    return uuid.UUID(principal.workspace_id)


def _require(session: Session, principal: Principal, action: Action) -> None:
    from a2n.services.access import require

    require(session, principal, action)


def visible_version(
    session: Session, principal: Principal, name: str, version: str | None
) -> tuple[IntegrationPackage, IntegrationPackageVersion]:
    """The package and the version a workspace may install: approved, or any of its own packages'
    versions (a publisher tries a version before review). Unknown and hidden are one 404."""
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.services.integrations.builtin import ensure_builtin_packages

    ensure_builtin_packages(session)
    repo = IntegrationRepository(session)
    package = repo.package(name, lock=True)
    if package is None:
        raise NotFound(f"No package named {name!r}")
    publisher = repo.publisher(package.publisher_id)
    own = publisher is not None and publisher.workspace_id == _workspace(principal)
    wanted = version or package.listed_version or (_newest(repo, package.id) if own else None)
    row = repo.version(package.id, wanted) if wanted else None
    if row is None or (row.status != "approved" and not own):
        raise NotFound(f"No installable version {wanted or '(none approved yet)'} of {name!r}")
    return package, row


def _newest(repo: Any, package_id: uuid.UUID) -> str | None:
    from a2n.integrations.manifest import semver_key

    versions = [row.version for row in repo.versions(package_id)]
    return max(versions, key=semver_key) if versions else None


def install_package(principal: Principal, name: str, version: str | None, origin: Origin) -> InstalledPackage:
    from a2n.db.models import IntegrationInstall
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.INTEGRATION_MANAGE)
        package, row = visible_version(uow.session, principal, name, version)
        from a2n.db.repositories.integrations import IntegrationRepository

        repo = IntegrationRepository(uow.session)
        existing = repo.install_of(_workspace(principal), package.id)
        if existing is not None:
            raise Conflict(
                f"{name} {existing.version} is already installed; upgrade it with PUT /integrations/{name}"
            )
        install = repo.add(
            IntegrationInstall(
                workspace_id=_workspace(principal),
                package_id=package.id,
                version=row.version,
                installed_by=uuid.UUID(principal.user_id),
            ),
            conflict=f"{name} is already installed",
        )
        repo.count_install(package.id, +1)
        _audit(
            uow.session,
            principal,
            origin,
            action="integration.install",
            name=name,
            changes={"version": row.version},
        )
        uow.commit()
        return _installed(install, package, row.manifest)


def list_installed(principal: Principal, page: PageRequest) -> Page[InstalledPackage]:
    """The workspace's installs by package name (the cursor is the last name)."""
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.db.uow import UnitOfWork
    from a2n.pagination import page_of

    after = str(page.cursor.sort_key) if page.cursor is not None else None
    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.INTEGRATION_READ)
        repo = IntegrationRepository(uow.session)
        rows = repo.installed(_workspace(principal), limit=page.limit, after=after)
        return page_of([_installed(*row) for row in rows], page.limit, lambda item: (item.name, item.name))


def uninstall_package(principal: Principal, name: str, *, force: bool, origin: Origin) -> None:
    """409 naming the workflows that use it, unless ``force`` (their nodes then fail with
    "not installed" until it is installed again)."""
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.INTEGRATION_MANAGE)
        repo = IntegrationRepository(uow.session)
        install = _install(repo, principal, name)
        users = repo.workflows_using(_workspace(principal), name)
        if users and not force:
            raise Conflict(
                f"{name} is used by {len(users)} workflow(s); change them or pass ?force=true",
                extra={"workflows": [{"id": str(w.id), "name": w.name} for w in users]},
            )
        uow.session.delete(install)
        uow.session.flush()
        repo.count_install(install.package_id, -1)
        _stop_app_triggers(uow.session, users)
        _audit(
            uow.session,
            principal,
            origin,
            action="integration.uninstall",
            name=name,
            changes={"version": install.version, "forced": bool(users)},
        )
        uow.commit()


def _stop_app_triggers(session: Session, workflows: list[Workflow]) -> None:
    """After a forced uninstall: the app triggers of the package stop (webhooks 404, polls
    unscheduled) — re-syncing what runs leaves out app triggers whose package is gone."""
    from a2n.services.activation import sync_published_triggers

    for workflow in workflows:
        if workflow.published_definition is not None:
            sync_published_triggers(session, workflow, {})


def plan_upgrade(principal: Principal, name: str, version: str | None) -> UpgradePlan:
    """``GET /integrations/{name}/upgrade?version=``: what upgrading would change; nothing is written."""
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.INTEGRATION_READ)
        plan, _ = _plan(uow.session, principal, name, version)
        return plan


def upgrade_package(principal: Principal, name: str, version: str | None, origin: Origin) -> UpgradePlan:
    """Re-pin the install and every workflow node of the package to ``version`` in one transaction;
    refused (409, with the plan) when a saved node would break."""
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.INTEGRATION_MANAGE)
        plan, (install, workflows, target) = _plan(uow.session, principal, name, version, lock=True)
        if plan.breaking:
            raise Conflict(
                f"upgrading {name} to {plan.to_version} would break {len(plan.breaking)} saved node(s); "
                "change them first (nothing was changed)",
                extra={"breaking": plan.breaking, "changelog": plan.changelog},
            )
        note = f"package {name} upgraded {plan.from_version} → {plan.to_version}"
        migrated: list[dict[str, Any]] = []
        for workflow in workflows:
            _repin_workflow(uow.session, principal, workflow, name, version=target, note=note)
            migrated.append({"id": str(workflow.id), "name": workflow.name, "version": workflow.version})
        install.version = target
        _audit(
            uow.session,
            principal,
            origin,
            action="integration.upgrade",
            name=name,
            changes={"from": plan.from_version, "to": plan.to_version, "workflows": len(migrated)},
        )
        uow.commit()
        return UpgradePlan(plan.name, plan.from_version, plan.to_version, plan.changelog, [], migrated)


def _plan(
    session: Session, principal: Principal, name: str, version: str | None, *, lock: bool = False
) -> tuple[UpgradePlan, tuple[Any, list[Workflow], str]]:
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.integrations.manifest import semver_key

    repo = IntegrationRepository(session)
    install = _install(repo, principal, name, lock=lock)
    package, target = visible_version(session, principal, name, version)
    if target.version == install.version:
        raise Conflict(f"{name} {install.version} is already installed")
    low, high = sorted((semver_key(install.version), semver_key(target.version)))
    passed = sorted(
        (
            row
            for row in repo.versions(package.id)
            if low < semver_key(row.version) <= high
            and (row.status == "approved" or row.version == target.version)
        ),
        key=lambda row: semver_key(row.version),
        reverse=True,
    )
    changelog = [{"version": row.version, "changelog": row.changelog or ""} for row in passed]
    workflows = repo.workflows_using(_workspace(principal), name, lock=lock)
    types = repo.credential_types(_workspace(principal), _credential_ids(workflows, name))
    breaking = [
        problem for workflow in workflows for problem in _breaks(workflow, name, target.manifest, types)
    ]
    plan = UpgradePlan(name, install.version, target.version, changelog, breaking)
    return plan, (install, workflows, target.version)


def _credential_ids(workflows: list[Workflow], name: str) -> set[uuid.UUID]:
    from a2n.services.integrations.installs import integration_nodes

    found: set[uuid.UUID] = set()
    for workflow in workflows:
        published = workflow.published_definition or {}
        for _, node in [*integration_nodes(workflow.definition), *integration_nodes(published)]:
            if node["config"].get("package") == name and node.get("credentialId"):
                try:
                    found.add(uuid.UUID(str(node["credentialId"])))
                except ValueError:
                    continue
    return found


def _breaks(
    workflow: Workflow, name: str, manifest: dict[str, Any], credential_types: dict[str, str]
) -> list[dict[str, Any]]:
    """Each node of the package the new manifest would refuse, as the save-time checks would: its
    action or trigger gone, its input, events or credential's type no longer accepted."""
    from a2n.services.integrations.installs import integration_nodes, node_problems

    found: list[dict[str, Any]] = []
    target = {name: manifest}
    definitions = [workflow.definition]
    if workflow.published_definition not in (None, workflow.definition):
        definitions.append(workflow.published_definition)
    nodes = [found for definition in definitions for found in integration_nodes(definition)]
    seen: set[tuple[str, str, str]] = set()
    for index, node in nodes:
        if node["config"].get("package") != name:
            continue
        repinned = {**node, "config": {**node["config"], "version": manifest["version"]}}
        credential_type = credential_types.get(str(node.get("credentialId")))
        problems = node_problems(repinned, target, credential_type, f"/nodes/{index}")
        problems = [p for p in problems if (str(node.get("id")), p.pointer, p.message) not in seen]
        seen.update((str(node.get("id")), p.pointer, p.message) for p in problems)
        found += [
            {"workflowId": str(workflow.id), "workflowName": workflow.name, "nodeId": node.get("id"),
             "pointer": p.pointer, "message": p.message}
            for p in problems
        ]  # fmt: skip
    return found


def _repin_workflow(
    session: Session, principal: Principal, workflow: Workflow, name: str, *, version: str, note: str
) -> None:
    """What runs and what is being edited both move to ``version``: the published definition,
    re-pinned, is saved and published as the next version (triggers follow); a draft ahead of it is
    then saved, re-pinned, on top — unpublished edits stay unpublished."""
    from a2n.db.repositories.workflows import WorkflowVersionRepository
    from a2n.services.publishing import publish_version
    from a2n.services.workflows import save_as_next_version

    draft_ahead = workflow.published_version is not None and workflow.published_version != workflow.version
    draft = workflow.definition
    if workflow.published_definition is not None:
        published = _repinned(workflow.published_definition, name, version)
        save_as_next_version(session, principal, workflow, published, change_note=note,
                             action="workflow.package_upgrade")  # fmt: skip
        row = WorkflowVersionRepository(session).require_version(workflow.id, workflow.version)
        publish_version(session, workflow, row, publisher=uuid.UUID(principal.user_id))
    if draft_ahead or workflow.published_definition is None:
        save_as_next_version(session, principal, workflow, _repinned(draft, name, version), change_note=note,
                             action="workflow.package_upgrade")  # fmt: skip


def _repinned(definition: dict[str, Any], name: str, version: str) -> dict[str, Any]:
    import copy

    from a2n.services.integrations.installs import integration_nodes

    copied = copy.deepcopy(definition)
    for _, node in integration_nodes(copied):
        if node["config"].get("package") == name:
            node["config"]["version"] = version
    return copied


def _install(repo: Any, principal: Principal, name: str, *, lock: bool = False) -> Any:
    package = repo.package(name)
    install = repo.install_of(_workspace(principal), package.id, lock=lock) if package is not None else None
    if install is None:
        raise NotFound(f"{name!r} is not installed in this workspace")
    return install


def _installed(install: Any, package: Any, manifest: dict[str, Any]) -> InstalledPackage:
    return InstalledPackage(
        name=package.name,
        version=install.version,
        title=package.title,
        category=package.category,
        installed_at=install.created_at,
        updated_at=install.updated_at,
        latest_version=package.listed_version,
        actions=sorted(manifest.get("actions") or {}),
        triggers=sorted(manifest.get("triggers") or {}),
        credential_types=[f"{package.name}:{c}" for c in sorted(manifest.get("credentials") or {})],
    )


def _audit(
    session: Session,
    principal: Principal,
    origin: Origin | None,
    *,
    action: str,
    name: str,
    changes: dict[str, Any],
) -> None:
    from a2n.services.audit import Actor, record_audit

    record_audit(
        session,
        workspace_id=_workspace(principal),
        actor=Actor.of(principal),
        action=action,
        entity_type="integration",
        entity_id=name,
        changes=changes,
        origin=origin,
    )


def require_valid_version_text(version: str | None) -> None:
    from a2n.integrations.manifest import is_semver

    if version is not None and not is_semver(version):
        raise ValidationFailed([Problem("/version", "must be a semantic version such as 1.2.0")])
