"""The marketplace: workspace admins publish package versions (immutable, pending until a platform
admin approves them), everyone browses and searches what is listed, rates and reviews it (one
review per user, editable), and platform admins curate collections and verify publishers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from a2n.auth.policy import Action
from a2n.errors import Conflict, NotFound, Problem, ValidationFailed
from a2n.services.integrations.workspace import _audit, _require, _workspace

if TYPE_CHECKING:

    from a2n.auth.principal import Principal
    from a2n.db.models import IntegrationPackage, IntegrationPublisher
    from a2n.pagination import Page, PageRequest
    from a2n.services.audit import Origin

RESERVED_PUBLISHERS = frozenset({"a2n"})  # the built-in catalogue's; nobody else may claim it


@dataclass(frozen=True)
class PublishedVersion:
    name: str
    version: str
    status: str
    publisher: str


@dataclass(frozen=True)
class ListedPackage:
    name: str
    title: str
    description: str
    category: str
    icon_url: str | None
    publisher: str
    verified_publisher: bool
    latest_version: str | None
    install_count: int
    rating_average: float | None
    rating_count: int


@dataclass(frozen=True)
class PackageDetail:
    package: ListedPackage
    versions: list[dict[str, Any]]
    actions: list[dict[str, Any]] = field(default_factory=list)
    triggers: list[dict[str, Any]] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PackageReview:
    id: uuid.UUID
    package: str
    rating: int
    body: str | None
    author: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Collection:
    slug: str
    title: str
    description: str | None
    packages: list[str]


def manifest_schema(principal: Principal) -> dict[str, Any]:
    """The published manifest schema; any valid caller may read it (no workspace data)."""
    from a2n.auth.policy import authorize
    from a2n.integrations.manifest import manifest_schema as schema

    authorize(principal, None, Action.CATALOG_READ)
    return schema()


# --- publishing and review --------------------------------------------------------------------------


def publish_version(principal: Principal, manifest: Any, origin: Origin | None) -> PublishedVersion:
    """``POST /marketplace/packages``: a new version of this workspace's package, pending review.
    The manifest is refused with JSON pointers when it fails its schema, reaches outside its hosts
    or uses undeclared credential types; a published version never changes (409)."""
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.db.uow import UnitOfWork
    from a2n.integrations.manifest import manifest_problems
    from a2n.services.integrations.builtin import add_version, ensure_builtin_packages

    problems = manifest_problems(manifest)
    if problems:
        raise ValidationFailed(problems, "The manifest cannot be published")
    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.INTEGRATION_MANAGE)
        ensure_builtin_packages(uow.session)  # built-in names are taken before anyone claims them
        repo = IntegrationRepository(uow.session)
        publisher = _own_publisher(repo, principal, manifest.get("publisher"))
        package = _own_package(repo, publisher, manifest)
        if repo.version(package.id, manifest["version"]) is not None:
            raise Conflict(f"{manifest['name']} {manifest['version']} is published; versions never change")
        add_version(repo, package, manifest, status="pending", published_by=uuid.UUID(principal.user_id),
                    conflict=f"{manifest['name']} {manifest['version']} was published meanwhile")  # fmt: skip
        _audit(
            uow.session,
            principal,
            origin,
            action="integration.publish",
            name=manifest["name"],
            changes={"version": manifest["version"]},
        )
        uow.commit()
        return PublishedVersion(manifest["name"], manifest["version"], "pending", publisher.name)


def _own_publisher(repo: Any, principal: Principal, name: Any) -> IntegrationPublisher:
    from a2n.db.models import IntegrationPublisher

    publisher: IntegrationPublisher | None = repo.publisher_of_workspace(_workspace(principal))
    if publisher is not None:
        if name is not None and name != publisher.name:
            raise ValidationFailed(
                [Problem("/manifest/publisher", f"this workspace publishes as {publisher.name!r}")]
            )
        return publisher
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed([Problem("/manifest/publisher", "a first publication names its publisher")])
    if name.strip().lower() in RESERVED_PUBLISHERS:
        raise ValidationFailed([Problem("/manifest/publisher", f"{name!r} is reserved")])
    added: IntegrationPublisher = repo.add(
        IntegrationPublisher(workspace_id=_workspace(principal), name=name.strip()),
        conflict="this workspace's publisher was created meanwhile; publish again",
    )
    return added


def _own_package(repo: Any, publisher: IntegrationPublisher, manifest: dict[str, Any]) -> IntegrationPackage:
    from a2n.services.integrations.builtin import new_package

    package: IntegrationPackage | None = repo.package(manifest["name"], lock=True)
    if package is None:
        conflict = f"{manifest['name']} was published meanwhile; publish again"
        created: IntegrationPackage = new_package(repo, publisher.id, manifest, conflict=conflict)
        return created
    if package.publisher_id != publisher.id:
        raise Conflict(f"the package name {manifest['name']!r} belongs to another publisher")
    return package


def review_queue(principal: Principal, limit: int) -> list[PublishedVersion]:
    """Versions waiting for a platform admin, oldest first."""
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.platform_admin import require_platform_admin

    with UnitOfWork() as uow:
        require_platform_admin(uow.session, principal)
        repo = IntegrationRepository(uow.session)
        return [
            PublishedVersion(package.name, row.version, row.status, _publisher_name(repo, package))
            for package, row in repo.pending_versions(limit)
        ]


def decide_version(
    principal: Principal, name: str, version: str, *, approve: bool, note: str | None, origin: Origin | None
) -> PublishedVersion:
    """A platform admin approves (the package is listed at its newest approved version) or rejects
    a pending version; a decided version is not decided again (409)."""
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.integrations.builtin import list_if_newest
    from a2n.services.platform_admin import require_platform_admin

    with UnitOfWork() as uow:
        require_platform_admin(uow.session, principal)
        repo = IntegrationRepository(uow.session)
        package = repo.package(name, lock=True)
        row = repo.version(package.id, version) if package is not None else None
        if package is None or row is None:
            raise NotFound(f"No version {version} of {name!r}")
        if row.status != "pending":
            raise Conflict(f"{name} {version} is already {row.status}")
        row.status = "approved" if approve else "rejected"
        row.reviewed_by, row.reviewed_at, row.review_note = (
            uuid.UUID(principal.user_id),
            datetime.now(UTC),
            note,
        )
        if approve:
            list_if_newest(package, row.manifest)
        _audit(
            uow.session,
            principal,
            origin,
            action=f"integration.{row.status}",
            name=name,
            changes={"version": version},
        )
        uow.commit()
        return PublishedVersion(name, version, row.status, _publisher_name(repo, package))


def set_publisher_verified(principal: Principal, publisher_name: str, verified: bool) -> str:
    """A platform admin marks a publisher verified (shown on every package of it) or not."""
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.platform_admin import require_platform_admin

    with UnitOfWork() as uow:
        require_platform_admin(uow.session, principal)
        publisher = IntegrationRepository(uow.session).publisher_named(publisher_name)
        if publisher is None:
            raise NotFound(f"No publisher named {publisher_name!r}")
        publisher.verified = verified
        uow.commit()
        return publisher.name


def _publisher_name(repo: Any, package: IntegrationPackage) -> str:
    publisher = repo.publisher(package.publisher_id)
    return str(publisher.name) if publisher is not None else ""


# --- browsing ------------------------------------------------------------------------------------------


def browse(
    principal: Principal, page: PageRequest, *, q: str | None, category: str | None, collection: str | None
) -> Page[ListedPackage]:
    """Listed packages (and this workspace's own, approved or not) by name, searched by text in
    name, title and description, filtered by category or collection."""
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.db.uow import UnitOfWork
    from a2n.pagination import page_of
    from a2n.services.integrations.builtin import ensure_builtin_packages

    after = str(page.cursor.sort_key) if page.cursor is not None else None
    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.INTEGRATION_READ)
        ensure_builtin_packages(uow.session)
        repo = IntegrationRepository(uow.session)
        names = None
        if collection is not None:
            found = repo.collection(collection)
            if found is None:
                raise NotFound(f"No collection {collection!r}")
            names = list(found.packages)
        rows = repo.listing(
            viewer_workspace=_workspace(principal),
            q=q,
            category=category,
            name=None,
            names=names,
            limit=page.limit,
            after=after,
        )
        uow.commit()
        return page_of([_listed(*row) for row in rows], page.limit, lambda item: (item.name, item.name))


def package_detail(principal: Principal, name: str) -> PackageDetail:
    """One package: its listing, the versions this workspace may see (with changelogs), and what
    the listed version offers. Unknown and unlisted-and-not-ours are one 404."""
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.integrations.builtin import ensure_builtin_packages

    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.INTEGRATION_READ)
        ensure_builtin_packages(uow.session)
        repo = IntegrationRepository(uow.session)
        rows = _visible(repo, principal, name)
        uow.commit()
        if not rows:
            raise NotFound(f"No package named {name!r}")
        package, publisher = rows[0][0], rows[0][1]
        own = publisher.workspace_id == _workspace(principal)
        versions = sorted(repo.versions(package.id), key=lambda v: _semver(v.version), reverse=True)
        visible = [v for v in versions if own or v.status == "approved"]
        shown = next(
            (v for v in visible if v.version == package.listed_version), visible[0] if visible else None
        )
        manifest = shown.manifest if shown is not None else {}
        return PackageDetail(
            package=_listed(*rows[0]),
            versions=[
                {
                    "version": v.version,
                    "status": v.status,
                    "changelog": v.changelog,
                    "publishedAt": v.created_at,
                }
                for v in visible
            ],
            actions=[
                {"name": k, "title": a.get("title", k)} for k, a in (manifest.get("actions") or {}).items()
            ],
            triggers=[
                {"name": k, "title": t.get("title", k), "kind": t.get("kind")}
                for k, t in (manifest.get("triggers") or {}).items()
            ],
            hosts=list(manifest.get("hosts") or []),
        )


def _visible(repo: Any, principal: Principal, name: str) -> list[Any]:
    """The package as the viewer may see it (listed, or the viewer's own): one row, or none."""
    found: list[Any] = repo.listing(viewer_workspace=_workspace(principal), q=None, category=None, name=name,
                                    names=None, limit=1, after=None)  # fmt: skip
    return found


def _semver(version: str) -> Any:
    from a2n.integrations.manifest import semver_key

    return semver_key(version)


def _listed(
    package: IntegrationPackage, publisher: IntegrationPublisher, average: float | None, count: int
) -> ListedPackage:
    return ListedPackage(
        name=package.name,
        title=package.title,
        description=package.description,
        category=package.category,
        icon_url=package.icon_url,
        publisher=publisher.name,
        verified_publisher=publisher.verified,
        latest_version=package.listed_version,
        install_count=package.install_count,
        rating_average=round(average, 2) if average is not None else None,
        rating_count=count,
    )


# --- ratings and reviews --------------------------------------------------------------------------------


def put_review(
    principal: Principal, name: str, rating: int, body: str | None, origin: Origin | None
) -> PackageReview:
    """The caller's one review of a package (created or replaced). Only a package installed in the
    caller's workspace may be reviewed: a rating says how it worked, not what someone heard."""
    from a2n.db.models import IntegrationReview
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.INTEGRATION_REVIEW)
        repo = IntegrationRepository(uow.session)
        package = repo.package(name)
        if package is None or repo.install_of(_workspace(principal), package.id) is None:
            raise NotFound(f"{name!r} is not installed in this workspace; install it before reviewing it")
        user_id = uuid.UUID(principal.user_id)
        review = repo.review(package.id, user_id)
        if review is None:
            review = repo.add(
                IntegrationReview(package_id=package.id, user_id=user_id, rating=rating, body=body),
                conflict="your review was saved meanwhile; send it again",
            )
        else:
            review.rating, review.body, review.updated_at = rating, body, datetime.now(UTC)
        _audit(
            uow.session, principal, origin, action="integration.review", name=name, changes={"rating": rating}
        )
        uow.commit()
        return _review(review, name, repo)


def list_reviews(principal: Principal, name: str, page: PageRequest) -> Page[PackageReview]:
    """A listed package's reviews, most recently written first."""
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.db.uow import UnitOfWork
    from a2n.pagination import page_of

    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.INTEGRATION_READ)
        repo = IntegrationRepository(uow.session)
        rows = _visible(repo, principal, name)
        if not rows:
            raise NotFound(f"No package named {name!r}")
        after = (page.cursor.sort_key, page.cursor.id_uuid()) if page.cursor is not None else None
        found = repo.reviews(rows[0][0].id, limit=page.limit, after=after)
        items = [_review(r, name, repo) for r in found]
        return page_of(items, page.limit, lambda item: (item.updated_at, item.id))


def _review(review: Any, name: str, repo: Any) -> PackageReview:
    return PackageReview(
        id=review.id,
        package=name,
        rating=review.rating,
        body=review.body,
        author=repo.user_display_name(review.user_id),
        created_at=review.created_at,
        updated_at=review.updated_at,
    )


# --- collections ---------------------------------------------------------------------------------------


def list_collections(principal: Principal) -> list[Collection]:
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        _require(uow.session, principal, Action.INTEGRATION_READ)
        return [_collection(c) for c in IntegrationRepository(uow.session).collections()]


def put_collection(
    principal: Principal, slug: str, title: str, description: str | None, packages: list[str]
) -> Collection:
    """A platform admin's curated list (created or replaced); every package must exist and be listed."""
    from a2n.db.models import IntegrationCollection
    from a2n.db.repositories.integrations import IntegrationRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.platform_admin import require_platform_admin

    with UnitOfWork() as uow:
        require_platform_admin(uow.session, principal)
        repo = IntegrationRepository(uow.session)
        problems = [
            Problem(f"/packages/{i}", f"no listed package named {name!r}")
            for i, name in enumerate(packages)
            if (p := repo.package(name)) is None or p.listed_version is None
        ]
        if problems:
            raise ValidationFailed(problems)
        found = repo.collection(slug)
        if found is None:
            found = repo.add(
                IntegrationCollection(slug=slug, title=title, description=description, packages=packages),
                conflict=f"collection {slug} was created meanwhile",
            )
        else:
            found.title, found.description, found.packages = title, description, packages
        uow.commit()
        return _collection(found)


def _collection(row: Any) -> Collection:
    return Collection(row.slug, row.title, row.description, list(row.packages))
