"""The built-in catalogue (``a2n/integrations/catalogue/*.json``) published by A2N itself: verified,
approved, in the package tables like any other package, so installs, ratings and install counts
work the same. Kept in step on the marketplace's own paths, idempotently (new versions are added,
published ones never change)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from a2n.errors import Conflict

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

BUILTIN_PUBLISHER = "A2N"


@cache
def builtin_manifests() -> tuple[dict[str, Any], ...]:
    """Every manifest shipped with A2N, by file name."""
    folder = resources.files("a2n.integrations").joinpath("catalogue")
    found = [
        json.loads(entry.read_text("utf-8")) for entry in folder.iterdir() if entry.name.endswith(".json")
    ]
    return tuple(sorted(found, key=lambda manifest: (manifest["name"], manifest["version"])))


def ensure_builtin_packages(session: Session) -> None:
    """Publish the shipped manifests that the database does not hold yet (one read when it does)."""
    from a2n.db.models import IntegrationPublisher
    from a2n.db.repositories.integrations import IntegrationRepository

    repo = IntegrationRepository(session)
    have = repo.builtin_versions()
    missing = [m for m in builtin_manifests() if (m["name"], m["version"]) not in have]
    if not missing:
        return
    publisher = repo.publisher_of_workspace(None) or repo.add(
        IntegrationPublisher(workspace_id=None, name=BUILTIN_PUBLISHER, verified=True), conflict="publisher"
    )
    for manifest in missing:
        try:
            _publish(repo, publisher.id, manifest)
        except Conflict:
            continue  # another request published it meanwhile
    _seed_collections(repo)


def _seed_collections(repo: Any) -> None:
    """The shipped collections whose slug is still free (platform admins may replace them)."""
    from a2n.db.models import IntegrationCollection

    shipped = json.loads(resources.files("a2n.integrations").joinpath("collections.json").read_text("utf-8"))
    for entry in shipped:
        if repo.collection(entry["slug"]) is None:
            try:
                repo.add(IntegrationCollection(**entry), conflict="collection")
            except Conflict:
                continue


def _publish(repo: Any, publisher_id: Any, manifest: dict[str, Any]) -> None:
    package = repo.package(manifest["name"]) or new_package(repo, publisher_id, manifest, conflict="package")
    add_version(repo, package, manifest, status="approved", published_by=None, conflict="version")
    list_if_newest(package, manifest)


def new_package(repo: Any, publisher_id: Any, manifest: dict[str, Any], *, conflict: str) -> Any:
    """The package row of a first publication, with the manifest's listing text."""
    from a2n.db.models import IntegrationPackage

    package = IntegrationPackage(name=manifest["name"], publisher_id=publisher_id, title=manifest["title"],
                                 description=manifest["description"], category=manifest["category"],
                                 icon_url=manifest.get("iconUrl"))  # fmt: skip
    return repo.add(package, conflict=conflict)


def add_version(
    repo: Any, package: Any, manifest: dict[str, Any], *, status: str, published_by: Any, conflict: str
) -> None:
    from a2n.db.models import IntegrationPackageVersion

    row = IntegrationPackageVersion(package_id=package.id, version=manifest["version"], manifest=manifest,
                                    changelog=manifest.get("changelog"), status=status,
                                    published_by=published_by)  # fmt: skip
    repo.add(row, conflict=conflict)


def list_if_newest(package: Any, manifest: dict[str, Any]) -> None:
    """An approved version newer than the listed one becomes the listing (its text included)."""
    from a2n.integrations.manifest import semver_key

    if package.listed_version is None or semver_key(manifest["version"]) > semver_key(package.listed_version):
        package.listed_version = manifest["version"]
        package.title, package.description = manifest["title"], manifest["description"]
        package.category, package.icon_url = manifest["category"], manifest.get("iconUrl")
