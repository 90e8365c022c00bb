"""The published OpenAPI document and template.yaml describe the same API: every deployed route
is documented, every documented route is deployed, and they agree on which ones are public."""

from __future__ import annotations

from pathlib import Path

import pytest

from a2n.api.catalogue import openapi_document, route_docs
from a2n.local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
# An ``ANY`` route is published as the methods a client uses (build_openapi's expansion).
ANY_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
Route = tuple[str, str]


def _expand(method: str, path: str) -> set[Route]:
    path = path.replace("+}", "}")  # API Gateway's greedy {rest+} is OpenAPI's {rest}
    return {(m, path) for m in (ANY_METHODS if method == "ANY" else (method,))}


@pytest.fixture(scope="module")
def template_routes() -> dict[Route, bool]:
    """(method, path) → public, from the HttpApi events of template.yaml."""
    routes: dict[Route, bool] = {}
    for route in load_template(ROOT / "template.yaml").routes:
        for key in _expand(route.method.upper(), route.path):
            routes[key] = route.authorizer is None
    return routes


def test_openapi_document_and_template_list_the_same_routes(template_routes: dict[Route, bool]) -> None:
    documented = {
        (method.upper(), path) for path, ops in openapi_document()["paths"].items() for method in ops
    }

    assert sorted(set(template_routes) - documented) == [], "deployed but not in the OpenAPI document"
    assert sorted(documented - set(template_routes)) == [], "documented but not deployed"


def test_openapi_and_template_agree_on_public_routes(template_routes: dict[Route, bool]) -> None:
    for doc in route_docs():
        for key in _expand(doc.method, doc.path):
            if key in template_routes:
                assert template_routes[key] == doc.public, key


def test_every_route_is_documented_once() -> None:
    keys = [(doc.method, doc.path) for doc in route_docs()]
    assert len(keys) == len(set(keys))
