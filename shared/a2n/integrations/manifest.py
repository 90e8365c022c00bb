"""Integration package manifests: checked against the published JSON Schema, then for what a schema
cannot say (declared credential types, hosts in the allow-list, expressions that compile, input
schemas that are schemas), every problem at once with a JSON pointer.

Pure: no database, no network. ``manifest.schema.json`` beside this module is the published schema
(also served at ``GET /marketplace/manifest-schema``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from a2n.errors import Problem
from a2n.integrations.hosts import host_allowed
from a2n.workflows.pointers import child

MAX_PROBLEMS = 100
MAX_MANIFEST_BYTES = 512 * 1024
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$")


@cache
def manifest_schema() -> dict[str, Any]:
    """The published JSON Schema of a manifest (draft 2020-12)."""
    text = resources.files("a2n.integrations").joinpath("manifest.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(manifest_schema())


def manifest_problems(manifest: Any, pointer: str = "/manifest") -> list[Problem]:
    """Every problem of ``manifest`` (parsed JSON); empty means it may be published."""
    size = len(json.dumps(manifest, separators=(",", ":"), default=str))
    if size > MAX_MANIFEST_BYTES:
        return [Problem(pointer, f"manifest is {size} bytes, over the limit of {MAX_MANIFEST_BYTES}")]
    problems = [
        Problem(pointer + _pointer(error.absolute_path), _message(error))
        for error in _leaf_errors(_validator().iter_errors(manifest))
    ]
    if not problems:
        problems = _semantic_problems(manifest, pointer)
    return list(dict.fromkeys(problems))[:MAX_PROBLEMS]


def _leaf_errors(errors: Any) -> Iterator[Any]:
    """A oneOf/anyOf failure is reported at the branch that got furthest (jsonschema's best
    match), so the pointer names the field that is wrong, not the whole union."""
    from jsonschema.exceptions import best_match

    for error in errors:
        if error.context:
            yield best_match(error.context)
        else:
            yield error


def _pointer(path: Any) -> str:
    found = ""
    for part in path:
        found = child(found, part)
    return found


def _message(error: Any) -> str:
    # jsonschema quotes the instance in some messages; cap what a huge value could add.
    text = str(error.message)
    return text if len(text) <= 300 else text[:300] + "…"


# --- semantic checks ---------------------------------------------------------------------------


def _semantic_problems(manifest: Mapping[str, Any], pointer: str) -> list[Problem]:
    hosts = list(manifest["hosts"])
    credentials = manifest.get("credentials") or {}
    problems: list[Problem] = []
    for name, credential in credentials.items():
        where = child(child(pointer, "credentials"), name)
        problems += _credential_problems(credential, hosts, where)
    for name, action in (manifest.get("actions") or {}).items():
        where = child(child(pointer, "actions"), name)
        problems += _uses_declared(action.get("credentials") or [], credentials, child(where, "credentials"))
        problems += _schema_problems(action["input"], child(where, "input"))
        problems += _request_problems(action["request"], hosts, child(where, "request"))
        problems += _templates(action.get("output"), child(where, "output"))
        for index, rule in enumerate(action.get("errors") or []):
            rule_at = child(child(where, "errors"), index)
            problems += _bare(rule["when"], child(rule_at, "when"))
            problems += _templates(rule.get("message"), child(rule_at, "message"))
        problems += _pagination_problems(action, child(where, "pagination"))
    for name, trigger in (manifest.get("triggers") or {}).items():
        problems += _trigger_problems(trigger, credentials, hosts, child(child(pointer, "triggers"), name))
    for index, template in enumerate(manifest.get("nodeTemplates") or []):
        problems += _node_template_problems(manifest, template, child(child(pointer, "nodeTemplates"), index))
    return problems


def _pagination_problems(action: Mapping[str, Any], where: str) -> list[Problem]:
    pagination = action.get("pagination")
    if pagination is None:
        return []
    problems: list[Problem] = []
    for key in ("next", "items"):
        if key in pagination:
            problems += _bare(pagination[key], child(where, key))
    if pagination.get("in") == "body" and action["request"].get("bodyType", "json") != "json":
        problems.append(Problem(child(where, "in"), "a page parameter in the body needs bodyType json"))
    return problems


def _node_template_problems(
    manifest: Mapping[str, Any], template: Mapping[str, Any], where: str
) -> list[Problem]:
    """A shipped template names an action of the package and gives it input its schema accepts."""
    from jsonschema import Draft202012Validator

    action = (manifest.get("actions") or {}).get(template["action"])
    if action is None:
        return [Problem(child(where, "action"), f"no action named {template['action']!r} in this package")]
    return [
        Problem(child(where, "input") + _pointer(error.absolute_path), _message(error))
        for error in Draft202012Validator(action["input"]).iter_errors(template["input"])
        if not (isinstance(error.instance, str) and "{{" in error.instance)
    ]


def _credential_problems(credential: Mapping[str, Any], hosts: list[str], where: str) -> list[Problem]:
    apply = credential["apply"]
    problems = _templates({k: v for k, v in apply.items() if k != "type"}, child(where, "apply"))
    if apply["type"] == "oauth2":
        for key in ("authorizeUrl", "tokenUrl"):
            problems += _host_problems(apply[key], hosts, child(child(where, "apply"), key))
        if credential.get("fields"):
            problems.append(
                Problem(
                    child(where, "fields"),
                    "an oauth2 credential type declares no fields: "
                    "it holds clientId, clientSecret and the tokens the connect flow stores",
                )
            )
    return problems


def _uses_declared(names: list[str], declared: Mapping[str, Any], where: str) -> list[Problem]:
    return [
        Problem(
            child(where, index), f"credential type {name!r} is not declared in this package's credentials"
        )
        for index, name in enumerate(names)
        if name not in declared
    ]


def _schema_problems(schema: Mapping[str, Any], where: str) -> list[Problem]:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        return [Problem(where + _pointer(error.absolute_path), f"not a valid JSON Schema: {_message(error)}")]
    if _has_remote_ref(schema):
        return [Problem(where, "input schemas may only use local references ($ref starting with #)")]
    return []


def _has_remote_ref(value: Any) -> bool:
    if isinstance(value, Mapping):
        ref = value.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return True
        return any(_has_remote_ref(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_remote_ref(item) for item in value)
    return False


def _request_problems(request: Mapping[str, Any], hosts: list[str], where: str) -> list[Problem]:
    fields = {key: request[key] for key in ("url", "headers", "query", "body") if key in request}
    return _templates(fields, where) + _host_problems(request["url"], hosts, child(where, "url"))


def _trigger_problems(
    trigger: Mapping[str, Any], credentials: Mapping[str, Any], hosts: list[str], where: str
) -> list[Problem]:
    if trigger["kind"] == "webhook":
        problems = _bare(trigger["event"], child(where, "event"))
        if "action" in trigger:
            problems += _bare(trigger["action"], child(where, "action"))
        handshake = trigger.get("handshake")
        if handshake is not None:
            problems += _bare(handshake["when"], child(child(where, "handshake"), "when"))
            problems += _templates(handshake["response"], child(child(where, "handshake"), "response"))
        return problems
    problems = _uses_declared(trigger.get("credentials") or [], credentials, child(where, "credentials"))
    problems += _request_problems(trigger["request"], hosts, child(where, "request"))
    problems += _bare(trigger["items"], child(where, "items")) + _bare(trigger["key"], child(where, "key"))
    if "input" in trigger:
        problems += _schema_problems(trigger["input"], child(where, "input"))
    from a2n.scheduling.expressions import validate_schedule

    schedule = str(trigger.get("schedule") or DEFAULT_POLL_SCHEDULE)
    problems += [Problem(child(where, "schedule"), m) for m in validate_schedule(schedule, "UTC")]
    return problems


DEFAULT_POLL_SCHEDULE = "rate(5 minutes)"


def _host_problems(url: str, hosts: list[str], where: str) -> list[Problem]:
    """A URL whose scheme and host are written out must be https to an allowed host; a templated
    host (e.g. a credential's base URL) is checked on every request at run time instead."""
    authority = "/".join(url.split("/", 3)[:3])
    if "{{" in authority:
        # The whole base from one template (a credential's base URL), or the whole host: a host
        # half written out ("https://evil.example{{ '' }}") would hide its real name from this check.
        written = authority.removeprefix("https://")
        one_template = written.startswith("{{") and written.endswith("}}") and written.count("{{") == 1
        if url.startswith("{{") or one_template:
            return []
        return [Problem(where, "a host is written out in full or comes whole from one {{ }}")]
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return [Problem(where, "not a valid URL")]
    if parts.scheme != "https" or not host:
        return [Problem(where, "must be an absolute https URL (or start with a {{ }} template)")]
    if not host_allowed(host, hosts):
        return [Problem(where, f"host {host!r} is outside the package's hosts allow-list")]
    return []


def _templates(value: Any, where: str) -> list[Problem]:
    from a2n.engine.expressions import expression_problems

    return [Problem(p.pointer, p.message, p.line, p.column) for p in expression_problems(value, where)]


def _bare(expression: str, where: str) -> list[Problem]:
    from a2n.nodes.config import bare_expression_problems

    return bare_expression_problems(expression, where)


# --- versions ----------------------------------------------------------------------------------


def semver_key(version: str) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
    """A sort key following semver precedence: a pre-release sorts before its release, numeric
    identifiers numerically and before alphanumeric ones."""
    match = _SEMVER.match(version)
    if match is None:
        raise ValueError(f"not a semantic version: {version!r}")
    major, minor, patch, pre = match.groups()
    identifiers = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")) if pre else ()
    return int(major), int(minor), int(patch), 0 if pre else 1, identifiers


def is_semver(version: str) -> bool:
    return _SEMVER.match(version) is not None
