"""Installed packages: what a step runs, what ``GET /node-types`` lists per workspace, how a saved
workflow's integration nodes are checked (like any node, against the action's input schema) and
pinned to the installed version, and the built-in catalogue kept in the package tables.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from a2n.errors import Problem

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

INTEGRATION_TYPES = ("integration", "trigger.integration")


def manifest_for_run(
    session: Session, workspace_id: uuid.UUID, config: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The manifest of the node's saved package version while the workspace has the package installed
    (None otherwise: the node fails with a message saying so). An upgrade re-pins and republishes the
    workflows, so only runs that started before it still name the version they were made with."""
    from a2n.db.repositories.integrations import IntegrationRepository

    name, version = config.get("package"), config.get("version")
    if not isinstance(name, str) or not isinstance(version, str):
        return None
    return IntegrationRepository(session).installed_manifest(workspace_id, name, version)


def installed_manifests(session: Session, workspace_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """name → manifest of every package installed in the workspace (at its installed version)."""
    from a2n.db.repositories.integrations import IntegrationRepository

    return {
        package.name: manifest
        for _, package, manifest in IntegrationRepository(session).installed(workspace_id)
    }


# --- the node-type catalogue of a workspace ------------------------------------------------------------


def integration_node_types(manifests: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One ``GET /node-types`` entry per action and app trigger of the installed packages; the
    configSchema is the node's config with the action's input schema inside."""
    entries: list[dict[str, Any]] = []
    for _, manifest in sorted(manifests.items()):
        for action_name, action in (manifest.get("actions") or {}).items():
            entries.append(_entry(manifest, "integration", action_name, action, is_trigger=False))
        for trigger_name, trigger in (manifest.get("triggers") or {}).items():
            entries.append(_entry(manifest, "trigger.integration", trigger_name, trigger, is_trigger=True))
    return entries


def _entry(
    manifest: Mapping[str, Any], node_type: str, name: str, item: Mapping[str, Any], *, is_trigger: bool
) -> dict[str, Any]:
    key = "trigger" if is_trigger else "action"
    credentials = [f"{manifest['name']}:{c}" for c in item.get("credentials") or []]
    properties: dict[str, Any] = {
        "package": {"const": manifest["name"]},
        "version": {"const": manifest["version"]},
        key: {"const": name},
        "input": copy.deepcopy(dict(item.get("input") or {"type": "object"})),
    }
    if is_trigger and item.get("kind") == "webhook":
        properties["events"] = {"type": "array", "items": {"enum": list(item.get("events") or [])}}
        properties["auth"] = {
            "type": "object",
            "properties": {"secret": {"type": "string", "writeOnly": True}},
        }
    return {
        "type": node_type,
        "name": f"{manifest['title']}: {item['title']}",
        "category": "integration",
        "description": str(item.get("description") or item["title"]),
        "isTrigger": is_trigger,
        "acceptsCredentials": bool(credentials),
        "configSchema": {
            "type": "object",
            "properties": properties,
            "required": ["package", key],
            "additionalProperties": False,
        },
        "outputSchema": dict(item.get("outputSchema") or {}),
        "handles": {
            "inputs": [] if is_trigger else ["main"],
            "outputs": ["main"],
            "dynamicOutputs": False,
            "errorOutput": "error",
        },
        "integration": {
            "package": manifest["name"],
            "version": manifest["version"],
            key: name,
            "credentialTypes": credentials,
            "hosts": list(manifest["hosts"]),
        },
    }


# --- save-time checks ------------------------------------------------------------------------------------


def integration_nodes(definition: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    nodes = definition.get("nodes") if isinstance(definition, Mapping) else None
    for index, node in enumerate(nodes if isinstance(nodes, list) else []):
        if (
            isinstance(node, dict)
            and node.get("type") in INTEGRATION_TYPES
            and isinstance(node.get("config"), dict)
        ):
            yield index, node


def pin_package_versions(session: Session, workspace_id: uuid.UUID, definition: Any) -> None:
    """Integration nodes saved without a version get the installed one (in place): a workflow
    records the version its nodes use."""
    manifests: dict[str, dict[str, Any]] | None = None
    for _, node in integration_nodes(definition):
        config = node["config"]
        if config.get("version") is None and isinstance(config.get("package"), str):
            manifests = manifests if manifests is not None else installed_manifests(session, workspace_id)
            manifest = manifests.get(config["package"])
            if manifest is not None:
                config["version"] = manifest["version"]


def package_versions(definition: Any) -> dict[str, str]:
    """name → version of the packages a definition's nodes are pinned to (what an export names)."""
    return {
        str(node["config"]["package"]): str(node["config"]["version"])
        for _, node in integration_nodes(definition)
        if isinstance(node["config"].get("package"), str) and isinstance(node["config"].get("version"), str)
    }


def resolve_imported_versions(
    session: Session, workspace_id: uuid.UUID, definition: Any, prefix: str
) -> list[Problem]:
    """An imported workflow's nodes against this workspace's installs (in place): a package not
    installed here is a problem naming the version to install; one installed at another version is
    re-pinned to it, and the save's checks then say whether the node still fits that version."""
    manifests = installed_manifests(session, workspace_id)
    problems: list[Problem] = []
    for index, node in integration_nodes(definition):
        config = node["config"]
        manifest = manifests.get(config.get("package")) if isinstance(config.get("package"), str) else None
        if manifest is None:
            wanted = f"{config.get('package')} {config.get('version') or ''}".strip()
            message = f"install {wanted} first (POST /integrations), then import again"
            problems.append(Problem(f"{prefix}/nodes/{index}/config/package", message))
        elif config.get("version") != manifest["version"]:
            config["version"] = manifest["version"]
    return problems


def integration_problems(
    session: Session, workspace_id: uuid.UUID, definition: Any, prefix: str
) -> list[Problem]:
    """Each integration node against the installed package: version, action or trigger, input
    (as its schema says; a value written as an expression is checked when it runs), events and the
    credential's type."""
    found = list(integration_nodes(definition))
    if not found:
        return []
    manifests = installed_manifests(session, workspace_id)
    types = _credential_types(session, workspace_id, [node.get("credentialId") for _, node in found])
    problems: list[Problem] = []
    for index, node in found:
        where = f"{prefix}/nodes/{index}"
        problems += node_problems(node, manifests, types.get(str(node.get("credentialId"))), where)
    return problems


def node_problems(
    node: Mapping[str, Any],
    manifests: Mapping[str, Mapping[str, Any]],
    credential_type: str | None,
    where: str,
) -> list[Problem]:
    config = node["config"]
    name = config.get("package")
    manifest = manifests.get(name) if isinstance(name, str) else None
    if manifest is None:
        return [Problem(f"{where}/config/package", f"package {name!r} is not installed in this workspace")]
    if config.get("version") not in (None, manifest["version"]):
        return [
            Problem(
                f"{where}/config/version",
                f"this workspace has {name} {manifest['version']} installed, "
                f"not {config.get('version')}; upgrade the package or the node",
            )
        ]
    is_trigger = node.get("type") == "trigger.integration"
    key = "trigger" if is_trigger else "action"
    item = (manifest.get("triggers" if is_trigger else "actions") or {}).get(config.get(key))
    if item is None:
        return [Problem(f"{where}/config/{key}", f"package {name!r} has no {key} {config.get(key)!r}")]
    problems = input_problems(item.get("input"), config.get("input") or {}, f"{where}/config/input")
    if is_trigger and item.get("kind") == "webhook":
        problems += _event_problems(item, config.get("events"), f"{where}/config/events")
    problems += _credential_problems(manifest, item, node.get("credentialId"), credential_type, where)
    return problems


def input_problems(schema: Mapping[str, Any] | None, value: Any, where: str) -> list[Problem]:
    """The input against the schema; values that are templates are left for run time."""
    from jsonschema import Draft202012Validator

    if not schema:
        return []
    problems: list[Problem] = []
    for error in Draft202012Validator(schema).iter_errors(value):
        instance = error.instance
        if isinstance(instance, str) and "{{" in instance:
            continue
        pointer = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in error.absolute_path)
        problems.append(Problem(where + pointer, str(error.message)[:300]))
    return problems


def _event_problems(trigger: Mapping[str, Any], events: Any, where: str) -> list[Problem]:
    declared = set(trigger.get("events") or [])
    return [
        Problem(f"{where}/{i}", f"unknown event {event!r}; this trigger sends {', '.join(sorted(declared))}")
        for i, event in enumerate(events or [])
        if str(event).split(".", 1)[0] not in declared and event not in declared
    ]


def _credential_problems(
    manifest: Mapping[str, Any],
    item: Mapping[str, Any],
    credential_id: Any,
    credential_type: str | None,
    where: str,
) -> list[Problem]:
    accepted = [f"{manifest['name']}:{name}" for name in item.get("credentials") or []]
    if credential_id is None:
        if accepted and item.get("kind") != "webhook":
            return [
                Problem(f"{where}/credentialId", f"this needs a credential of type {' or '.join(accepted)}")
            ]
        return []
    if credential_type is not None and credential_type not in accepted:
        wanted = " or ".join(accepted) if accepted else "no credential"
        return [
            Problem(
                f"{where}/credentialId",
                f"a {credential_type!r} credential cannot be used here; this takes {wanted}",
            )
        ]
    return []  # an unknown id is reported by the credential check of every node


def _credential_types(session: Session, workspace_id: uuid.UUID, ids: list[Any]) -> dict[str, str]:
    from a2n.db.repositories.integrations import IntegrationRepository

    wanted = set()
    for text in ids:
        try:
            wanted.add(uuid.UUID(str(text)))
        except ValueError:
            continue
    return IntegrationRepository(session).credential_types(workspace_id, wanted) if wanted else {}


# --- credentials of package types --------------------------------------------------------------------

OAUTH2_FIELDS = {
    "clientId": True,
    "clientSecret": True,
    "accessToken": False,
    "refreshToken": False,
    "expiresAt": False,
}
MAX_FIELD_CHARS = 16_384


def is_package_credential_type(credential_type: str) -> bool:
    return ":" in credential_type


def package_credential_data(
    session: Session, workspace_id: uuid.UUID, credential_type: str, data: Any
) -> dict[str, Any]:
    """``data`` checked against the fields the installed package declares for this credential type
    (OAuth2 types hold the client id and secret; the connect flow adds the tokens). Messages
    never quote a value."""
    from a2n.errors import ValidationFailed

    package, _, name = credential_type.partition(":")
    manifest = installed_manifests(session, workspace_id).get(package)
    declared = (manifest.get("credentials") or {}).get(name) if manifest else None
    if declared is None:
        raise ValidationFailed(
            [Problem("/type", f"no installed package declares credential type {credential_type!r}")]
        )
    if not isinstance(data, dict):
        raise ValidationFailed([Problem("/data", "Expected a JSON object")])
    if declared["apply"]["type"] == "oauth2":
        fields = {key: {"required": required, "title": key} for key, required in OAUTH2_FIELDS.items()}
    else:
        fields = {key: dict(spec) for key, spec in (declared.get("fields") or {}).items()}
    problems: list[Problem] = [
        Problem(f"/data/{key}", "Unknown field for this credential type") for key in data if key not in fields
    ]
    cleaned: dict[str, Any] = {}
    for key, spec in fields.items():
        value = data.get(key, spec.get("default"))
        if value is None:
            if spec.get("required", True):
                problems.append(Problem(f"/data/{key}", "This field is required"))
            continue
        if not isinstance(value, str) or not value:
            problems.append(Problem(f"/data/{key}", "Must be a non-empty string"))
        elif len(value) > MAX_FIELD_CHARS or any(c in value for c in "\r\n\0"):
            problems.append(Problem(f"/data/{key}", "Is too long or contains line breaks"))
        else:
            cleaned[key] = value
    if problems:
        raise ValidationFailed(problems)
    return cleaned
