"""Integration packages (issue 14): publishers, packages and immutable versions, installs, reviews,
collections, node templates and OAuth2 connect states. Platform admins (who review packages) are
issue 12's ``users.is_platform_admin`` (0010).

``node_definitions`` (never read or written) goes: node types live in code, packages in these
tables.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOW = sa.text("now()")


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.UUID(), nullable=False)


def _created() -> sa.Column[Any]:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False)


def _updated() -> sa.Column[Any]:
    return sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False)


def upgrade() -> None:
    op.create_table(
        "integration_publishers",
        _id(),
        sa.Column("workspace_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.TEXT(), nullable=False),
        sa.Column("verified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        _created(),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            ondelete="CASCADE",
            name=op.f("fk_integration_publishers_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_publishers")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_integration_publishers_workspace_id")),
    )
    op.create_table(
        "integration_packages",
        _id(),
        sa.Column("name", sa.TEXT(), nullable=False),
        sa.Column("publisher_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.TEXT(), nullable=False),
        sa.Column("description", sa.TEXT(), nullable=False),
        sa.Column("category", sa.TEXT(), nullable=False),
        sa.Column("icon_url", sa.TEXT(), nullable=True),
        sa.Column("listed_version", sa.TEXT(), nullable=True),
        sa.Column("install_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        _updated(),
        _created(),
        sa.ForeignKeyConstraint(
            ["publisher_id"],
            ["integration_publishers.id"],
            ondelete="CASCADE",
            name=op.f("fk_integration_packages_publisher_id_integration_publishers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_packages")),
        sa.UniqueConstraint("name", name=op.f("uq_integration_packages_name")),
    )
    op.create_table(
        "integration_package_versions",
        _id(),
        sa.Column("package_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.TEXT(), nullable=False),
        sa.Column("manifest", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("changelog", sa.TEXT(), nullable=True),
        sa.Column("status", sa.TEXT(), server_default="pending", nullable=False),
        sa.Column("published_by", sa.UUID(), nullable=True),
        sa.Column("reviewed_by", sa.UUID(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.TEXT(), nullable=True),
        _created(),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["integration_packages.id"],
            ondelete="CASCADE",
            name=op.f("fk_integration_package_versions_package_id_integration_packages"),
        ),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["users.id"],
            ondelete="SET NULL",
            name=op.f("fk_integration_package_versions_published_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["users.id"],
            ondelete="SET NULL",
            name=op.f("fk_integration_package_versions_reviewed_by_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_package_versions")),
        sa.UniqueConstraint(
            "package_id", "version", name=op.f("uq_integration_package_versions_package_id_version")
        ),
    )
    op.create_table(
        "integration_installs",
        _id(),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("package_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.TEXT(), nullable=False),
        sa.Column("installed_by", sa.UUID(), nullable=True),
        _updated(),
        _created(),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            ondelete="CASCADE",
            name=op.f("fk_integration_installs_workspace_id_workspaces"),
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["integration_packages.id"],
            ondelete="CASCADE",
            name=op.f("fk_integration_installs_package_id_integration_packages"),
        ),
        sa.ForeignKeyConstraint(
            ["installed_by"],
            ["users.id"],
            ondelete="SET NULL",
            name=op.f("fk_integration_installs_installed_by_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_installs")),
        sa.UniqueConstraint(
            "workspace_id", "package_id", name=op.f("uq_integration_installs_workspace_id_package_id")
        ),
    )
    op.create_table(
        "integration_reviews",
        _id(),
        sa.Column("package_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("body", sa.TEXT(), nullable=True),
        _updated(),
        _created(),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_integration_reviews_rating_range")),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["integration_packages.id"],
            ondelete="CASCADE",
            name=op.f("fk_integration_reviews_package_id_integration_packages"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE", name=op.f("fk_integration_reviews_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_reviews")),
        sa.UniqueConstraint("package_id", "user_id", name=op.f("uq_integration_reviews_package_id_user_id")),
    )
    op.create_table(
        "integration_collections",
        _id(),
        sa.Column("slug", sa.TEXT(), nullable=False),
        sa.Column("title", sa.TEXT(), nullable=False),
        sa.Column("description", sa.TEXT(), nullable=True),
        sa.Column("packages", postgresql.ARRAY(sa.TEXT()), nullable=False),
        _updated(),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_collections")),
        sa.UniqueConstraint("slug", name=op.f("uq_integration_collections_slug")),
    )
    op.create_table(
        "node_templates",
        _id(),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.TEXT(), nullable=False),
        sa.Column("description", sa.TEXT(), nullable=True),
        sa.Column("node", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        _created(),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            ondelete="CASCADE",
            name=op.f("fk_node_templates_workspace_id_workspaces"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], ondelete="SET NULL", name=op.f("fk_node_templates_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_templates")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_node_templates_workspace_id_name")),
    )
    op.create_table(
        "oauth2_connect_states",
        _id(),
        sa.Column("state_hash", sa.TEXT(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("credential_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("verifier_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("redirect_uri", sa.TEXT(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _created(),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            ondelete="CASCADE",
            name=op.f("fk_oauth2_connect_states_workspace_id_workspaces"),
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            ondelete="CASCADE",
            name=op.f("fk_oauth2_connect_states_credential_id_credentials"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            ondelete="SET NULL",
            name=op.f("fk_oauth2_connect_states_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth2_connect_states")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_oauth2_connect_states_state_hash")),
    )
    op.create_index(op.f("ix_oauth2_connect_states_expires_at"), "oauth2_connect_states", ["expires_at"])
    op.drop_table("node_definitions")


def downgrade() -> None:
    op.create_table(
        "node_definitions",
        _id(),
        sa.Column("type", sa.TEXT(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("name", sa.TEXT(), nullable=False),
        sa.Column("category", sa.TEXT(), nullable=False),
        sa.Column("description", sa.TEXT(), nullable=True),
        sa.Column("config_schema", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("output_schema", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "handles",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        _updated(),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_definitions")),
        sa.UniqueConstraint("type", "version", name=op.f("uq_node_definitions_type_version")),
    )
    for table in (
        "oauth2_connect_states",
        "node_templates",
        "integration_collections",
        "integration_reviews",
        "integration_installs",
        "integration_package_versions",
        "integration_packages",
        "integration_publishers",
    ):
        op.drop_table(table)
