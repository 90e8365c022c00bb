"""Integration packages for tests: a small manifest of a made-up service, and its versions seeded
as a publisher's approved (or pending) releases, as the marketplace would hold them."""

from __future__ import annotations

import uuid
from typing import Any

from a2n.db.models import IntegrationPackage, IntegrationPackageVersion, IntegrationPublisher, Workspace
from a2n.db.repositories.integrations import IntegrationRepository
from a2n.integrations.manifest import manifest_problems, semver_key


def acme_manifest(version: str, *, name: str = "acme-crm", changelog: str | None = None) -> dict[str, Any]:
    """A CRM at api.acme.example: one bearer credential type, one action with a required email."""
    manifest: dict[str, Any] = {
        "name": name, "version": version, "title": "Acme CRM", "description": "Contacts at Acme",
        "category": "productivity", "hosts": ["api.acme.example"],
        "credentials": {"key": {"title": "API key", "fields": {"key": {"title": "Key"}},
                                "apply": {"type": "bearer", "token": "{{ credential.key }}"}}},
        "actions": {"create_contact": {
            "title": "Create contact", "credentials": ["key"],
            "input": {"type": "object", "required": ["email"], "properties": {"email": {"type": "string"}}},
            "request": {"method": "POST", "url": "https://api.acme.example/contacts",
                        "body": {"email": "{{ input.email }}"}}}},
    }  # fmt: skip
    if changelog is not None:
        manifest["changelog"] = changelog
    assert manifest_problems(manifest) == []
    return manifest


def seed_package(session: Any, *manifests: dict[str, Any], status: str = "approved") -> IntegrationPackage:
    """The manifests' versions under one package of a publishing workspace (created on first use)."""
    repo = IntegrationRepository(session)
    first = manifests[0]
    package = repo.package(first["name"])
    if package is None:
        publisher_ws = Workspace(name="Acme publishing", slug=f"acme-{uuid.uuid4().hex[:8]}")
        session.add(publisher_ws)
        session.flush()
        publisher = repo.add(IntegrationPublisher(workspace_id=publisher_ws.id, name="Acme"), conflict="p")
        package = repo.add(
            IntegrationPackage(name=first["name"], publisher_id=publisher.id, title=first["title"],
                               description=first["description"], category=first["category"]),
            conflict="package",
        )  # fmt: skip
    for manifest in manifests:
        repo.add(
            IntegrationPackageVersion(package_id=package.id, version=manifest["version"], manifest=manifest,
                                      changelog=manifest.get("changelog"), status=status),
            conflict="version",
        )  # fmt: skip
        newer = package.listed_version is None or semver_key(manifest["version"]) > semver_key(
            package.listed_version
        )
        if status == "approved" and newer:
            package.listed_version = manifest["version"]
    session.flush()
    return package
