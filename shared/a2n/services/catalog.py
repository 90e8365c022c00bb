"""The node-type catalogue for ``GET /node-types``: any signed-in caller may read it, per workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from a2n.auth.policy import Action, authorize

if TYPE_CHECKING:
    from a2n.auth.principal import Principal


def node_types(principal: Principal) -> list[dict[str, Any]]:
    """The built-in types, then one entry per action and app trigger of the packages installed in
    the caller's workspace (so editors and save-time validation see the same schemas)."""
    import uuid

    from a2n.db.uow import UnitOfWork
    from a2n.nodes.registry import node_type_catalogue
    from a2n.services.access import role_in_workspace
    from a2n.services.integrations.installs import installed_manifests, integration_node_types

    authorize(principal, None, Action.CATALOG_READ)
    with UnitOfWork() as uow:
        # What a workspace installed is its members' to see (a key bound elsewhere sees built-ins).
        member = role_in_workspace(uow.session, principal) is not None
        manifests = installed_manifests(uow.session, uuid.UUID(principal.workspace_id)) if member else {}
    return node_type_catalogue() + integration_node_types(manifests)
