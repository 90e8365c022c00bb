"""Integration packages: publishers, packages and their immutable versions, installs per workspace,
reviews, curated collections, node templates, and the state of OAuth2 connect flows."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from a2n.db.base import Base, CreatedAtMixin, IdMixin, JsonObject, TimestampsMixin


class IntegrationPublisher(IdMixin, CreatedAtMixin, Base):
    """Who publishes packages: a workspace, or A2N itself (no workspace) for the built-in catalogue.
    ``verified`` is set by a platform admin."""

    __tablename__ = "integration_publishers"

    workspace_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str]
    verified: Mapped[bool] = mapped_column(default=False, server_default=text("false"))


class IntegrationPackage(IdMixin, TimestampsMixin, Base):
    """A package name (global, first publisher owns it) and what listings show of its newest
    approved version; ``install_count`` counts the workspaces that have it installed."""

    __tablename__ = "integration_packages"

    name: Mapped[str] = mapped_column(unique=True)
    publisher_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("integration_publishers.id", ondelete="CASCADE")
    )
    title: Mapped[str]
    description: Mapped[str]
    category: Mapped[str]
    icon_url: Mapped[str | None]
    # The newest approved version: only then is the package in the public listing.
    listed_version: Mapped[str | None]
    install_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class IntegrationPackageVersion(IdMixin, CreatedAtMixin, Base):
    """One published version: its manifest never changes. ``status`` pending → approved | rejected
    (a platform admin's review); the publishing workspace may install a pending version itself."""

    __tablename__ = "integration_package_versions"
    __table_args__ = (UniqueConstraint("package_id", "version"),)

    package_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("integration_packages.id", ondelete="CASCADE"))
    version: Mapped[str]
    manifest: Mapped[JsonObject]
    changelog: Mapped[str | None]
    status: Mapped[str] = mapped_column(default="pending", server_default="pending")
    published_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None]


class IntegrationInstall(IdMixin, TimestampsMixin, Base):
    """A package installed in a workspace, pinned to one version (its workflows use that one)."""

    __tablename__ = "integration_installs"
    __table_args__ = (UniqueConstraint("workspace_id", "package_id"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    package_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("integration_packages.id", ondelete="CASCADE"))
    version: Mapped[str]
    installed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class IntegrationReview(IdMixin, TimestampsMixin, Base):
    """One rating (1-5) and review per user and package, editable by its author."""

    __tablename__ = "integration_reviews"
    __table_args__ = (
        UniqueConstraint("package_id", "user_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )

    package_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("integration_packages.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    body: Mapped[str | None]


class IntegrationCollection(IdMixin, TimestampsMixin, Base):
    """A curated list of packages (by name), kept by platform admins."""

    __tablename__ = "integration_collections"

    slug: Mapped[str] = mapped_column(unique=True)
    title: Mapped[str]
    description: Mapped[str | None]
    packages: Mapped[list[str]]


class NodeTemplate(IdMixin, CreatedAtMixin, Base):
    """A configured node saved under a name in a workspace: type, config, retry … never a
    credential id or a secret."""

    __tablename__ = "node_templates"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str]
    description: Mapped[str | None]
    node: Mapped[JsonObject]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class OAuth2ConnectState(IdMixin, CreatedAtMixin, Base):
    """An authorization-code flow in progress: the hashed ``state`` the callback presents, the
    credential it fills and the sealed PKCE code verifier. Single use, expires in minutes."""

    __tablename__ = "oauth2_connect_states"
    __table_args__ = (Index(None, "expires_at"),)

    state_hash: Mapped[str] = mapped_column(unique=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    credential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verifier_sealed: Mapped[bytes]
    redirect_uri: Mapped[str]
    expires_at: Mapped[datetime]
