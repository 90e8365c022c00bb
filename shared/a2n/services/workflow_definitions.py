"""Pure transforms of workflow definitions around saving and moving them: hiding webhook secrets,
keeping stored secrets when a client sends the mask back, credential refs by name for export,
and the text Postgres cannot store (NUL, lone surrogates)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from a2n.errors import Problem
from a2n.workflows.pointers import child

SECRET_MASK = "********"  # noqa: S105 - the mask shown instead of a secret, not a secret
# Keys of a trigger's ``config.auth`` whose values are secrets (ARCHITECTURE §7, trigger.webhook).
AUTH_SECRET_KEYS = ("secret", "password")


def _nodes(definition: Mapping[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    nodes = definition.get("nodes")
    if isinstance(nodes, list):
        for index, node in enumerate(nodes):
            if isinstance(node, dict):
                yield index, node


def _auth_of(node: Mapping[str, Any]) -> dict[str, Any] | None:
    config = node.get("config")
    auth = config.get("auth") if isinstance(config, dict) else None
    return auth if isinstance(auth, dict) else None


def _rewrite_auth(
    definition: Mapping[str, Any], change: Callable[[dict[str, Any], str], None]
) -> dict[str, Any]:
    copied: dict[str, Any] = copy.deepcopy(dict(definition))
    for _, node in _nodes(copied):
        auth = _auth_of(node)
        for key in AUTH_SECRET_KEYS:
            if auth is not None and key in auth:
                change(auth, key)
    return copied


def redact_definition(definition: Mapping[str, Any]) -> dict[str, Any]:
    """A copy whose webhook auth secrets/passwords read ``********`` (what every response shows)."""

    def mask(auth: dict[str, Any], key: str) -> None:
        if auth[key] is not None:
            auth[key] = SECRET_MASK

    return _rewrite_auth(definition, mask)


def without_secrets(definition: Mapping[str, Any]) -> dict[str, Any]:
    """A copy with webhook auth secrets/passwords removed (exports never carry them)."""
    return _rewrite_auth(definition, lambda auth, key: auth.pop(key))


def restore_masked_secrets(
    definition: Mapping[str, Any], stored: Mapping[str, Any] | None, pointer: str
) -> tuple[dict[str, Any], list[Problem]]:
    """A copy with the stored secret put back wherever a client sent the mask it was shown
    (GET → edit → PUT must not overwrite a secret with asterisks); a mask with nothing stored
    behind it is a problem."""
    stored_auth = {
        node.get("id"): auth for _, node in _nodes(stored or {}) if (auth := _auth_of(node)) is not None
    }
    copied: dict[str, Any] = copy.deepcopy(dict(definition))
    problems: list[Problem] = []
    for index, node in _nodes(copied):
        auth = _auth_of(node)
        for key in AUTH_SECRET_KEYS:
            if auth is None or auth.get(key) != SECRET_MASK:
                continue
            previous = stored_auth.get(node.get("id"), {}).get(key)
            # A stored mask means the secret lives encrypted on the trigger row (services.activation).
            if isinstance(previous, str):
                auth[key] = previous
            else:
                where = f"{pointer}/nodes/{index}/config/auth/{key}"
                problems.append(
                    Problem(where, f"{SECRET_MASK} stands for a stored secret; none is stored here")
                )
    return copied, problems


def credential_refs(definition: Mapping[str, Any], field: str) -> dict[int, str]:
    """node index → the string in its ``field`` (``credentialId`` or ``credentialName``)."""
    return {i: node[field] for i, node in _nodes(definition) if isinstance(node.get(field), str)}


def with_credential_names(definition: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Export form: each ``credentialId`` becomes ``credentialName`` (dropped if it no longer exists)."""
    copied: dict[str, Any] = copy.deepcopy(dict(definition))
    for _, node in _nodes(copied):
        credential_id = node.pop("credentialId", None)
        if isinstance(credential_id, str) and credential_id in names:
            node["credentialName"] = names[credential_id]
    return copied


def with_credential_ids(definition: Mapping[str, Any], ids: Mapping[int, str]) -> dict[str, Any]:
    """Import form back to a saveable one: ``credentialName`` replaced by the resolved id."""
    copied: dict[str, Any] = copy.deepcopy(dict(definition))
    for index, node in _nodes(copied):
        node.pop("credentialName", None)
        if index in ids:
            node["credentialId"] = ids[index]
    return copied


def unstorable_text_problems(value: Any, pointer: str) -> list[Problem]:
    """Strings Postgres rejects (NUL; lone surrogates cannot be UTF-8) — as 422s, not 500s.

    Called after the size limits passed, so the walk is bounded."""
    problems: list[Problem] = []
    stack: list[tuple[Any, str]] = [(value, pointer)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if not is_storable_text(item):
                problems.append(Problem(where, "text contains NUL or an unpaired surrogate"))
        elif isinstance(item, dict):
            for key, child_value in item.items():
                if not is_storable_text(str(key)):
                    problems.append(Problem(where, "a key contains NUL or an unpaired surrogate"))
                stack.append((child_value, child(where, key)))
        elif isinstance(item, list):
            stack.extend((child_value, child(where, i)) for i, child_value in enumerate(item))
    return problems


def is_storable_text(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
