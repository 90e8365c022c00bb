"""Every answer an e2e test receives is checked against the OpenAPI document the stack publishes.

The document is what clients generate code from: a status it does not list, a body its schema
refuses, a content type or header it does not declare breaks them. ``ApiClient`` calls ``check``
on each response, so every route any e2e test reaches is held to its declared model, and a route
added later is checked as soon as a test calls it (issue 11 item 14).
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

# Headers that are part of the contract: when a response carries one, its operation must declare it.
CONTRACT_HEADERS = ("etag", "retry-after", "www-authenticate")


class ContractBroken(AssertionError):
    """A response the published OpenAPI document does not describe."""


@cache
def _document() -> dict[str, Any]:
    from a2n.api.catalogue import openapi_document

    return openapi_document()


@cache
def _operations() -> tuple[tuple[re.Pattern[str], int, str, str], ...]:
    """(path pattern, literal segments, method, path template) of every operation; literal paths
    (``/workflows/import``) beat templated ones (``/workflows/{id}``), as API Gateway routes them."""
    found = []
    for template, item in _document()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        literal = sum(1 for part in template.split("/") if part and not part.startswith("{"))
        found += [(pattern, literal, method, template) for method in item]
    return tuple(sorted(found, key=lambda entry: -entry[1]))


def _webhook_rest(template: str) -> re.Pattern[str]:
    # /webhooks/{token}/{rest} stands for API Gateway's greedy {rest+}: any depth.
    escaped = re.escape(template).replace(r"\{rest\}", ".+").replace(r"\{token\}", "[^/]+")
    return re.compile("^" + escaped + "$")


def operation_of(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The documented operation a request reached, or None (an unknown route: the gateway's 404)."""
    path = path.split("?", 1)[0]
    for pattern, _, op_method, template in _operations():
        matched = pattern.match(path) or ("{rest}" in template and _webhook_rest(template).match(path))
        if matched and op_method == method.lower():
            return template, _document()["paths"][template][op_method]
    return None


def check(method: str, path: str, status: int, headers: dict[str, str], body: bytes) -> None:
    """Raise ContractBroken unless the response is one the document declares for this operation."""
    found = operation_of(method, path)
    if found is None or method.upper() == "HEAD":
        return
    template, operation = found
    where = f"{method.upper()} {template} answered {status}"
    responses = operation["responses"]
    declared = responses.get(str(status)) or responses.get("default")
    if declared is None:
        raise ContractBroken(f"{where}, which its OpenAPI operation does not list ({sorted(responses)})")
    declared = _resolve(declared)
    _check_headers(where, declared, headers)
    content = declared.get("content")
    if not content:
        if body:
            raise ContractBroken(f"{where} with a body, but the document declares none")
        return
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in content and "*/*" not in content:
        raise ContractBroken(f"{where} with content type {media_type!r}; declared: {sorted(content)}")
    schema = content.get(media_type, content.get("*/*", {})).get("schema")
    if schema is None or not media_type.endswith("json"):
        return
    value = json.loads(body) if body else None
    errors = sorted(_validator(json.dumps(schema, sort_keys=True)).iter_errors(value), key=str)
    if errors:
        first = errors[0]
        at = "/" + "/".join(str(part) for part in first.absolute_path)
        raise ContractBroken(f"{where} with a body its schema refuses at {at}: {first.message[:300]}")


def _check_headers(where: str, declared: dict[str, Any], headers: dict[str, str]) -> None:
    named = {name.lower(): spec for name, spec in (declared.get("headers") or {}).items()}
    for name in CONTRACT_HEADERS:
        if name in headers and name not in named:
            raise ContractBroken(f"{where} with a {name} header the document does not declare")
    for name, spec in named.items():
        if spec.get("required") and name not in headers:
            raise ContractBroken(f"{where} without its required {name} header")


def _resolve(item: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in item:
        node: Any = _document()
        for part in item["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        item = node
    return item


@cache
def _validator(schema_text: str) -> Draft202012Validator:
    # The operation's schema with the document's components beside it, so its $refs resolve.
    schema = {**json.loads(schema_text), "components": _document()["components"]}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
