"""Warnings: what may be saved and activated but will not work as meant, reported beside the answer.

Today one kind: a node URL that names a loopback or private address literally, which the SSRF guard
refuses when the node runs unless an operator allowed that range. Saving it is not an error (the
operator may allow the range later, or a test stack already does), so it is a warning, not a 422.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from a2n.errors import Problem

# Where each node type keeps a URL the HTTP node will call, as a path into its config.
URL_FIELDS: dict[str, tuple[str, ...]] = {"http_request": ("url",), "trigger.poll": ("request", "url")}
PRIVATE_URL = (
    "this URL names a loopback or private address: the SSRF guard refuses it when the node runs "
    "unless an operator allows its range (A2N_HTTP_ALLOW_NETWORKS)"
)


def definition_warnings(
    definition: Any, allow_networks: Sequence[str], *, pointer_prefix: str = "/definition"
) -> list[Problem]:
    """Every warning of a (valid) definition, each with a JSON pointer like validation problems."""
    from a2n.nodes.http.ssrf import names_unreachable_address

    nodes = definition.get("nodes") if isinstance(definition, Mapping) else None
    warnings: list[Problem] = []
    for index, node in enumerate(nodes if isinstance(nodes, list) else []):
        if not isinstance(node, Mapping) or node.get("type") not in URL_FIELDS:
            continue
        path = URL_FIELDS[node["type"]]
        url = _at(node.get("config"), path)
        if isinstance(url, str) and names_unreachable_address(url, allow_networks):
            warnings.append(Problem("/".join((f"{pointer_prefix}/nodes/{index}/config", *path)), PRIVATE_URL))
    return warnings


def configured_warnings(definition: Any) -> list[Problem]:
    """The warnings a save or an activation reports, judged with this deployment's settings."""
    from a2n.settings import get_settings

    return definition_warnings(definition, get_settings().http_allow_networks)


def _at(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
