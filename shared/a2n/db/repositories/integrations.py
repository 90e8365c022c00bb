"""Integration package rows: the manifest a step runs, installs per workspace, listings with
search, versions, reviews and collections. Never commits: the service's unit of work does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from a2n.db.models import (
    Credential,
    IntegrationCollection,
    IntegrationInstall,
    IntegrationPackage,
    IntegrationPackageVersion,
    IntegrationPublisher,
    IntegrationReview,
    NodeTemplate,
    OAuth2ConnectState,
    Workflow,
)
from a2n.db.repositories.base import UNIQUE_VIOLATION, _sqlstate
from a2n.errors import Conflict


class IntegrationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- what runs ------------------------------------------------------------------------------

    def installed_manifest(self, workspace_id: uuid.UUID, name: str, version: str) -> dict[str, Any] | None:
        """The manifest of ``name``@``version`` while the workspace has the package installed (at
        that version or, for runs that started before an upgrade, another one)."""
        query = (
            select(IntegrationPackageVersion.manifest)
            .join(IntegrationPackage, IntegrationPackage.id == IntegrationPackageVersion.package_id)
            .join(IntegrationInstall, IntegrationInstall.package_id == IntegrationPackage.id)
            .where(
                IntegrationPackage.name == name,
                IntegrationPackageVersion.version == version,
                IntegrationInstall.workspace_id == workspace_id,
            )
        )
        found: dict[str, Any] | None = self.session.scalars(query).one_or_none()
        return found

    def installed(
        self, workspace_id: uuid.UUID, *, limit: int | None = None, after: str | None = None
    ) -> list[tuple[IntegrationInstall, IntegrationPackage, dict[str, Any]]]:
        """The workspace's installs by package name (all, or ``limit + 1`` after the name ``after``)
        with their package and the installed version's manifest."""
        query = (
            select(IntegrationInstall, IntegrationPackage, IntegrationPackageVersion.manifest)
            .join(IntegrationPackage, IntegrationPackage.id == IntegrationInstall.package_id)
            .join(
                IntegrationPackageVersion,
                (IntegrationPackageVersion.package_id == IntegrationPackage.id)
                & (IntegrationPackageVersion.version == IntegrationInstall.version),
            )
            .where(IntegrationInstall.workspace_id == workspace_id)
            .order_by(IntegrationPackage.name)
        )
        if after is not None:
            query = query.where(IntegrationPackage.name > after)
        if limit is not None:
            query = query.limit(limit + 1)
        return [(row[0], row[1], row[2]) for row in self.session.execute(query)]

    def count_install(self, package_id: uuid.UUID, delta: int) -> None:
        """Installs are counted as they are made and removed, in one statement (no lost update)."""
        self.session.execute(
            update(IntegrationPackage)
            .where(IntegrationPackage.id == package_id)
            .values(install_count=IntegrationPackage.install_count + delta)
        )

    def install_of(
        self, workspace_id: uuid.UUID, package_id: uuid.UUID, *, lock: bool = False
    ) -> IntegrationInstall | None:
        query = select(IntegrationInstall).where(
            IntegrationInstall.workspace_id == workspace_id, IntegrationInstall.package_id == package_id
        )
        if lock:
            query = query.with_for_update()
        return self.session.scalars(query).one_or_none()

    def add(self, row: Any, *, conflict: str) -> Any:
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError as error:
            if _sqlstate(error) == UNIQUE_VIOLATION:
                raise Conflict(conflict) from error
            raise
        return row

    # --- packages and versions ---------------------------------------------------------------------

    def package(self, name: str, *, lock: bool = False) -> IntegrationPackage | None:
        query = select(IntegrationPackage).where(IntegrationPackage.name == name)
        if lock:
            query = query.with_for_update()
        return self.session.scalars(query).one_or_none()

    def version(self, package_id: uuid.UUID, version: str) -> IntegrationPackageVersion | None:
        query = select(IntegrationPackageVersion).where(
            IntegrationPackageVersion.package_id == package_id, IntegrationPackageVersion.version == version
        )
        return self.session.scalars(query).one_or_none()

    def versions(self, package_id: uuid.UUID) -> Sequence[IntegrationPackageVersion]:
        query = select(IntegrationPackageVersion).where(IntegrationPackageVersion.package_id == package_id)
        return list(self.session.scalars(query))

    def publisher(self, publisher_id: uuid.UUID) -> IntegrationPublisher | None:
        return self.session.get(IntegrationPublisher, publisher_id)

    def publisher_of_workspace(self, workspace_id: uuid.UUID | None) -> IntegrationPublisher | None:
        column = IntegrationPublisher.workspace_id
        query = select(IntegrationPublisher).where(
            column.is_(None) if workspace_id is None else column == workspace_id
        )
        # NULLs never conflict in a unique index: two racing built-in syncs could make two A2N
        # publishers; the oldest is the one.
        return self.session.scalars(query.order_by(IntegrationPublisher.created_at).limit(1)).first()

    def publisher_named(self, name: str) -> IntegrationPublisher | None:
        query = select(IntegrationPublisher).where(IntegrationPublisher.name == name)
        return self.session.scalars(query.order_by(IntegrationPublisher.created_at).limit(1)).first()

    def user_display_name(self, user_id: uuid.UUID) -> str:
        """A review's author as other tenants see it: the profile name, never the email."""
        from a2n.db.models import User

        name = self.session.scalar(select(User.name).where(User.id == user_id))
        return name or "A2N user"

    def builtin_versions(self) -> set[tuple[str, str]]:
        """(name, version) of every version published by A2N itself (no workspace)."""
        query = (
            select(IntegrationPackage.name, IntegrationPackageVersion.version)
            .join(IntegrationPackageVersion, IntegrationPackageVersion.package_id == IntegrationPackage.id)
            .join(IntegrationPublisher, IntegrationPublisher.id == IntegrationPackage.publisher_id)
            .where(IntegrationPublisher.workspace_id.is_(None))
        )
        return {(row[0], row[1]) for row in self.session.execute(query)}

    def listing(
        self,
        *,
        viewer_workspace: uuid.UUID,
        q: str | None,
        category: str | None,
        name: str | None,
        names: Sequence[str] | None,
        limit: int,
        after: str | None,
    ) -> list[tuple[IntegrationPackage, IntegrationPublisher, float | None, int]]:
        """Listed packages (an approved version) plus the viewer's own publisher's, by name, with
        their publisher, average rating and review count."""
        rating = (
            select(
                IntegrationReview.package_id,
                func.avg(IntegrationReview.rating).label("avg"),
                func.count().label("n"),
            )
            .group_by(IntegrationReview.package_id)
            .subquery()
        )
        query = (
            select(IntegrationPackage, IntegrationPublisher, rating.c.avg, rating.c.n)
            .join(IntegrationPublisher, IntegrationPublisher.id == IntegrationPackage.publisher_id)
            .outerjoin(rating, rating.c.package_id == IntegrationPackage.id)
            .where(
                or_(
                    IntegrationPackage.listed_version.is_not(None),
                    IntegrationPublisher.workspace_id == viewer_workspace,
                )
            )
            .order_by(IntegrationPackage.name)
            .limit(limit + 1)
        )
        if after is not None:
            query = query.where(IntegrationPackage.name > after)
        if category:
            query = query.where(IntegrationPackage.category == category)
        if name:
            query = query.where(IntegrationPackage.name == name)
        if names is not None:
            query = query.where(IntegrationPackage.name.in_(list(names)))
        if q:
            pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(
                or_(
                    IntegrationPackage.name.ilike(pattern),
                    IntegrationPackage.title.ilike(pattern),
                    IntegrationPackage.description.ilike(pattern),
                )
            )
        return [
            (r[0], r[1], float(r[2]) if r[2] is not None else None, int(r[3] or 0))
            for r in self.session.execute(query)
        ]

    def pending_versions(self, limit: int) -> list[tuple[IntegrationPackage, IntegrationPackageVersion]]:
        query = (
            select(IntegrationPackage, IntegrationPackageVersion)
            .join(IntegrationPackageVersion, IntegrationPackageVersion.package_id == IntegrationPackage.id)
            .where(IntegrationPackageVersion.status == "pending")
            .order_by(IntegrationPackageVersion.created_at)
            .limit(limit)
        )
        return [(r[0], r[1]) for r in self.session.execute(query)]

    # --- reviews and collections ---------------------------------------------------------------------

    def review(self, package_id: uuid.UUID, user_id: uuid.UUID) -> IntegrationReview | None:
        query = select(IntegrationReview).where(
            IntegrationReview.package_id == package_id, IntegrationReview.user_id == user_id
        )
        return self.session.scalars(query).one_or_none()

    def reviews(
        self, package_id: uuid.UUID, *, limit: int, after: tuple[Any, uuid.UUID] | None
    ) -> list[IntegrationReview]:
        query = select(IntegrationReview).where(IntegrationReview.package_id == package_id)
        if after is not None:
            query = query.where(tuple_(IntegrationReview.updated_at, IntegrationReview.id) < tuple_(*after))
        query = query.order_by(IntegrationReview.updated_at.desc(), IntegrationReview.id.desc()).limit(
            limit + 1
        )
        return list(self.session.scalars(query))

    def collections(self) -> list[IntegrationCollection]:
        return list(self.session.scalars(select(IntegrationCollection).order_by(IntegrationCollection.slug)))

    def collection(self, slug: str) -> IntegrationCollection | None:
        query = select(IntegrationCollection).where(IntegrationCollection.slug == slug)
        return self.session.scalars(query).one_or_none()

    # --- workflows using a package ---------------------------------------------------------------------

    def workflows_using(self, workspace_id: uuid.UUID, name: str, *, lock: bool = False) -> list[Workflow]:
        """Live workflows of the workspace with a node of this package (action or app trigger) in
        their draft head or in what runs (the published version)."""
        needle = {"nodes": [{"config": {"package": name}}]}
        query = (
            select(Workflow)
            .where(
                Workflow.workspace_id == workspace_id,
                Workflow.archived_at.is_(None),
                or_(Workflow.definition.contains(needle), Workflow.published_definition.contains(needle)),
            )
            .order_by(Workflow.created_at)
        )
        if lock:
            query = query.with_for_update()
        return list(self.session.scalars(query))

    def credential_types(self, workspace_id: uuid.UUID, ids: set[uuid.UUID]) -> dict[str, str]:
        """credential id (text) → type, for the workspace's credentials among ``ids``."""
        query = select(Credential.id, Credential.type).where(
            Credential.workspace_id == workspace_id, Credential.id.in_(ids)
        )
        return {str(row[0]): str(row[1]) for row in self.session.execute(query)}

    # --- node templates ------------------------------------------------------------------------------------

    def node_templates(
        self, workspace_id: uuid.UUID, *, limit: int, after: tuple[Any, uuid.UUID] | None
    ) -> list[NodeTemplate]:
        query = select(NodeTemplate).where(NodeTemplate.workspace_id == workspace_id)
        if after is not None:
            query = query.where(tuple_(NodeTemplate.created_at, NodeTemplate.id) < tuple_(*after))
        query = query.order_by(NodeTemplate.created_at.desc(), NodeTemplate.id.desc()).limit(limit + 1)
        return list(self.session.scalars(query))

    def all_node_templates(self, workspace_id: uuid.UUID) -> list[NodeTemplate]:
        query = select(NodeTemplate).where(NodeTemplate.workspace_id == workspace_id)
        return list(self.session.scalars(query))

    def node_template_count(self, workspace_id: uuid.UUID) -> int:
        query = select(func.count()).select_from(NodeTemplate)
        query = query.where(NodeTemplate.workspace_id == workspace_id)
        return int(self.session.scalar(query) or 0)

    def delete(self, row: Any) -> None:
        self.session.delete(row)
        self.session.flush()

    def take_connect_state(self, state_hash: str) -> OAuth2ConnectState | None:
        """The OAuth2 connect state with this hash, deleted (a state works once); None if unknown."""
        query = select(OAuth2ConnectState).where(OAuth2ConnectState.state_hash == state_hash)
        query = query.with_for_update()
        row = self.session.scalars(query).one_or_none()
        if row is not None:
            self.session.delete(row)
            self.session.flush()
        return row

    def node_template(self, workspace_id: uuid.UUID, template_id: uuid.UUID) -> NodeTemplate | None:
        query = select(NodeTemplate).where(
            NodeTemplate.workspace_id == workspace_id, NodeTemplate.id == template_id
        )
        return self.session.scalars(query).one_or_none()
