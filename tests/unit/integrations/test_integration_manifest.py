"""Publishing a manifest: every problem at once, each with the JSON pointer of what is wrong —
schema failures, credential types used but not declared, hosts outside the allow-list (written out
or half-templated), pagination that cannot work, shipped templates that do not fit their action."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from integration_support import acme_manifest

from a2n.integrations.hosts import host_allowed
from a2n.integrations.manifest import manifest_problems, semver_key


def package(**changes: Any) -> dict[str, Any]:
    manifest = acme_manifest("1.0.0")
    manifest.update(changes)
    return manifest


def pointers(manifest: Any) -> dict[str, str]:
    return {p.pointer: p.message for p in manifest_problems(manifest)}


def test_a_well_formed_manifest_has_no_problems() -> None:
    assert manifest_problems(package()) == []


def test_schema_failures_are_reported_at_the_field_with_every_problem_at_once() -> None:
    broken = package(version="one", category="toys")
    del broken["title"]
    found = pointers(broken)
    assert set(found) == {"/manifest", "/manifest/version", "/manifest/category"}
    assert "title" in found["/manifest"]


def test_a_credential_type_used_but_not_declared_is_refused_where_it_is_named() -> None:
    manifest = package()
    manifest["actions"]["create_contact"]["credentials"] = ["key", "oauth"]
    assert pointers(manifest) == {
        "/manifest/actions/create_contact/credentials/1": (
            "credential type 'oauth' is not declared in this package's credentials"
        )
    }


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/contacts",
        "https://api.acme.example.evil.example/contacts",
        "https://evil.example{{ '' }}/contacts",  # a literal host half hidden behind a template
        "https://api.acme.example@evil.example/contacts",
        "http://api.acme.example/contacts",
    ],
)
def test_a_request_url_outside_the_allow_list_is_refused_at_publish(url: str) -> None:
    manifest = package()
    manifest["actions"]["create_contact"]["request"]["url"] = url
    assert list(pointers(manifest)) == ["/manifest/actions/create_contact/request/url"]


@pytest.mark.parametrize("url", ["{{ credential.baseUrl }}/contacts", "https://{{ input.host }}/contacts"])
def test_a_host_coming_whole_from_a_template_is_left_to_the_check_on_every_request(url: str) -> None:
    manifest = package()
    manifest["actions"]["create_contact"]["request"]["url"] = url
    assert manifest_problems(manifest) == []


def test_oauth2_authorize_and_token_urls_must_be_in_the_allow_list() -> None:
    manifest = package()
    manifest["credentials"]["oauth"] = {
        "title": "OAuth", "apply": {"type": "oauth2", "authorizeUrl": "https://login.acme.example/authorize",
                                    "tokenUrl": "https://evil.example/token"}}  # fmt: skip
    assert set(pointers(manifest)) == {
        "/manifest/credentials/oauth/apply/authorizeUrl",
        "/manifest/credentials/oauth/apply/tokenUrl",
    }


def test_body_pagination_needs_a_json_body() -> None:
    manifest = package()
    action = manifest["actions"]["create_contact"]
    action["request"]["bodyType"] = "form"
    action["pagination"] = {"type": "cursor", "next": "body.next", "param": "cursor", "in": "body",
                            "items": "body.data", "maxPages": 5}  # fmt: skip
    assert list(pointers(manifest)) == ["/manifest/actions/create_contact/pagination/in"]


def test_a_shipped_node_template_must_fit_its_actions_input() -> None:
    manifest = package(nodeTemplates=[
        {"name": "Welcome", "action": "create_contact", "input": {"email": 7}},
        {"name": "Ghost", "action": "delete_everything", "input": {}},
        {"name": "Later", "action": "create_contact", "input": {"email": "{{ trigger.body.email }}"}},
    ])  # fmt: skip
    assert set(pointers(manifest)) == {
        "/manifest/nodeTemplates/0/input/email",
        "/manifest/nodeTemplates/1/action",
    }


def test_expressions_that_do_not_compile_are_refused_with_their_pointer() -> None:
    manifest = package()
    manifest["actions"]["create_contact"]["output"] = {"id": "{{ response.body.[ }}"}
    assert list(pointers(manifest)) == ["/manifest/actions/create_contact/output/id"]


def test_input_schemas_may_not_fetch_remote_references() -> None:
    manifest = package()
    schema = copy.deepcopy(manifest["actions"]["create_contact"]["input"])
    schema["properties"]["email"] = {"$ref": "https://evil.example/schema.json"}
    manifest["actions"]["create_contact"]["input"] = schema
    assert list(pointers(manifest)) == ["/manifest/actions/create_contact/input"]


@pytest.mark.parametrize(
    ("host", "allowed"),
    [("api.acme.example", True), ("API.ACME.EXAMPLE.", True), ("x.api.acme.example", True),
     ("eu.acme.example", True), ("acme.example", False), ("evilacme.example", False)],
)  # fmt: skip
def test_host_patterns_match_exact_names_and_wildcard_subdomains(host: str, allowed: bool) -> None:
    assert host_allowed(host, ["api.acme.example", "*.acme.example"]) is allowed


def test_versions_sort_by_semver_precedence() -> None:
    versions = ["1.0.0", "1.0.0-rc.1", "1.10.0", "1.2.0", "1.0.0-alpha", "1.0.0-alpha.2"]
    assert sorted(versions, key=semver_key) == [
        "1.0.0-alpha", "1.0.0-alpha.2", "1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0",
    ]  # fmt: skip
