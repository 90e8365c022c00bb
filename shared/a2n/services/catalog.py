"""The node-type catalogue for ``GET /node-types``: any signed-in caller may read it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from a2n.auth.policy import Action, authorize

if TYPE_CHECKING:
    from a2n.auth.principal import Principal


def node_types(principal: Principal) -> list[dict[str, Any]]:
    from a2n.nodes.registry import node_type_catalogue

    # Not workspace-bound (no role lookup, no database): the policy still decides, e.g. for keys.
    authorize(principal, None, Action.CATALOG_READ)
    return node_type_catalogue()
