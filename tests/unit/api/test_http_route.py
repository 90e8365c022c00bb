"""@route on a JSON route: SECURITY case 12 inputs are 400s, size is 413, validation is 422, never a 500."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from api_events import http_event, problem_of
from pydantic import Field

from a2n.api.http import Request, Response, route
from a2n.api.schemas import RequestBody
from a2n.errors import Conflict


class NodeIn(RequestBody):
    id: str = Field(min_length=1)
    type: str


class DefinitionIn(RequestBody):
    nodes: list[NodeIn]


class CreateWorkflow(RequestBody):
    name: str = Field(min_length=1)
    definition: DefinitionIn
    tags: list[str] = []


@route
def create_workflow(request: Request) -> Response | tuple[int, Any]:
    body = request.parse(CreateWorkflow)
    return 201, {"name": body.name, "nodeCount": len(body.definition.nodes)}


VALID = {"name": "Orders", "definition": {"nodes": [{"id": "start", "type": "trigger.manual"}]}}


def call(**kwargs: Any) -> dict[str, Any]:
    return create_workflow(http_event(**kwargs), None)


def test_a_valid_body_reaches_the_route_and_its_result_is_json() -> None:
    result = call(json_body=VALID)
    assert result["statusCode"] == 201
    assert result["headers"]["Content-Type"] == "application/json"
    assert json.loads(result["body"]) == {"name": "Orders", "nodeCount": 1}


def test_a_base64_encoded_event_body_is_decoded() -> None:
    result = call(body=json.dumps(VALID), base64_body=True)
    assert result["statusCode"] == 201


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param("name=Orders", "application/x-www-form-urlencoded", id="form-body"),
        pytest.param(json.dumps(VALID), "text/plain", id="text-plain-content-type"),
        pytest.param(json.dumps(VALID), None, id="no-content-type"),
        pytest.param(json.dumps(VALID), "application/json; charset=latin-1", id="non-utf8-charset"),
        pytest.param('{"name": "Orders", "definition": {"nodes": [', "application/json", id="truncated"),
        pytest.param(b"\xff\xfe", "application/json", id="invalid-utf8"),
        pytest.param(b'{"name": "\xc3"}', "application/json", id="invalid-utf8-inside-string"),
        pytest.param("", "application/json", id="empty-body"),
        pytest.param("   ", "application/json", id="blank-body"),
        pytest.param("not json", "application/json", id="not-json"),
        pytest.param('{"name": NaN}', "application/json", id="nan-constant"),
        pytest.param('{"name": "a", "name": "b"}', "application/json", id="duplicate-key"),
        pytest.param('{"a": 1} {"b": 2}', "application/json", id="two-documents"),
        pytest.param("[" * 65 + "]" * 65, "application/json", id="65-deep"),
        pytest.param("[" * 10_000 + "]" * 10_000, "application/json", id="10000-deep"),
        pytest.param('{"a":' * 100_000 + "1" + "}" * 100_000, "application/json", id="100000-deep-objects"),
    ],
)
def test_malformed_bodies_are_400_problems(body: str | bytes, content_type: str | None) -> None:
    result = call(body=body, content_type=content_type)
    assert result["statusCode"] == 400
    assert problem_of(result)["type"] == "https://a2n.dev/problems/bad-request"


class AnyInput(RequestBody):
    input: Any = None


@route
def echo_input(request: Request) -> Response | tuple[int, Any]:
    """Like POST /workflows/{id}/execute: any JSON value is accepted as input and answered back."""
    return 200, {"input": request.parse(AnyInput).input}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"input": 1e999}', id="1e999"),
        pytest.param('{"input": [-1E+999]}', id="minus-1e999"),
        pytest.param('{"input": {"n": ' + "9" * 5000 + "}}", id="5000-digit-integer"),
        pytest.param('{"input": NaN}', id="nan"),
        pytest.param('{"input": Infinity}', id="infinity"),
        pytest.param('{"input": -Infinity}', id="minus-infinity"),
    ],
)
def test_case_31_numbers_json_cannot_hold_are_400_problems_not_500(body: str) -> None:
    result = echo_input(http_event(body=body), None)
    assert result["statusCode"] == 400, result["body"]
    assert problem_of(result)["type"] == "https://a2n.dev/problems/bad-request"


def test_the_largest_numbers_json_can_hold_pass_through() -> None:
    result = echo_input(http_event(body='{"input": [1e308, ' + "9" * 4300 + "]}"), None)
    assert json.loads(result["body"]) == {"input": [1e308, int("9" * 4300)]}


def test_a_missing_body_on_a_json_route_is_400() -> None:
    assert call(body=None)["statusCode"] == 400


def test_vendor_json_media_types_are_accepted() -> None:
    result = call(body=json.dumps(VALID), content_type="application/merge-patch+json; charset=UTF-8")
    assert result["statusCode"] == 201


def test_invalid_base64_body_is_400() -> None:
    event = http_event(json_body=VALID)
    event["body"], event["isBase64Encoded"] = "%%%not-base64", True
    assert create_workflow(event, None)["statusCode"] == 400


def test_a_body_over_the_limit_is_413(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("A2N_MAX_BODY_BYTES", "1000")
    big = {**VALID, "tags": ["x" * 1000]}
    assert problem_of(call(json_body=big))["status"] == 413
    assert problem_of(call(body=json.dumps(big).encode()))["status"] == 413  # base64 path too


def test_a_body_exactly_at_the_limit_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    text = json.dumps(VALID)
    monkeypatch.setenv("A2N_MAX_BODY_BYTES", str(len(text)))
    assert call(body=text)["statusCode"] == 201


def test_a_json_array_where_an_object_is_expected_is_422_at_the_root() -> None:
    problem = problem_of(call(json_body=[VALID]))
    assert problem["status"] == 422
    assert problem["errors"] == [{"pointer": "", "message": "Expected a JSON object"}]


def test_nested_validation_errors_are_all_reported_with_json_pointers() -> None:
    body = {"name": "", "definition": {"nodes": [{"id": "a", "type": "noop"}, {"type": 3}]}}
    problem = problem_of(call(json_body=body))
    assert problem["status"] == 422
    pointers = {e["pointer"]: e["message"] for e in problem["errors"]}
    assert set(pointers) == {"/name", "/definition/nodes/1/id", "/definition/nodes/1/type"}
    assert pointers["/definition/nodes/1/id"] == "This field is required"


@pytest.mark.parametrize("field", ["id", "workspaceId", "createdBy", "version", "isActive"])
def test_mass_assignment_fields_are_rejected_not_applied(field: str) -> None:
    problem = problem_of(call(json_body={**VALID, field: "attacker"}))
    assert problem["status"] == 422
    assert problem["errors"] == [{"pointer": f"/{field}", "message": "Unknown field; it cannot be set here"}]


def test_a_domain_error_becomes_its_problem() -> None:
    @route
    def conflicting(request: Request) -> Response:
        raise Conflict("Workflow name already used")

    problem = problem_of(conflicting(http_event(method="GET"), None))
    assert problem == {
        "type": "https://a2n.dev/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "Workflow name already used",
    }


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    """Everything the log records carry: message, extra keys and formatted traceback."""
    return "\n".join(str(vars(record)) for record in caplog.records)


def test_an_unexpected_exception_is_a_generic_500_that_leaks_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @route
    def broken(request: Request) -> Response:
        raise RuntimeError("db password is hunter2")

    result = broken(http_event(json_body={"canary": "body-canary-42"}), None)
    problem = problem_of(result)
    assert problem["status"] == 500
    assert "hunter2" not in result["body"] and "RuntimeError" not in result["body"]
    logged = logged_text(caplog)
    assert "hunter2" in logged and "Traceback" in logged  # the operator gets the story, with the id
    assert "body-canary-42" not in logged and "secret-token-canary" not in logged


def test_refused_requests_are_logged_without_body_or_authorization(caplog: pytest.LogCaptureFixture) -> None:
    call(json_body={**VALID, "name": "", "secretThing": "body-canary-42"})
    assert [getattr(r, "status", None) for r in caplog.records] == [422]
    logged = logged_text(caplog)
    assert "body-canary-42" not in logged and "secret-token-canary" not in logged


def test_an_unserialisable_result_is_a_500_not_a_crash() -> None:
    @route
    def odd(request: Request) -> tuple[int, Any]:
        return 200, {"value": object()}

    assert problem_of(odd(http_event(method="GET"), None))["status"] == 500


def test_a_malformed_event_is_answered_not_raised() -> None:
    @route
    def needs_body(request: Request) -> tuple[int, Any]:
        return 200, request.json()

    result = needs_body({"requestContext": "garbage", "headers": None, "body": 12}, None)
    assert result["statusCode"] == 400


def test_responses_carry_security_headers_and_routes_may_override_caching() -> None:
    @route
    def cacheable(request: Request) -> Response:
        return Response(body={"ok": True}, headers={"cache-control": "public, max-age=60"})

    ok = call(json_body=VALID)
    assert ok["headers"]["X-Content-Type-Options"] == "nosniff"
    assert ok["headers"]["Cache-Control"] == "no-store"
    error = call(body="{")
    assert error["headers"]["Cache-Control"] == "no-store"
    overridden = cacheable(http_event(method="GET"), None)["headers"]
    assert overridden["cache-control"] == "public, max-age=60" and "Cache-Control" not in overridden


def test_204_has_an_empty_body_and_no_content_type() -> None:
    @route
    def delete(request: Request) -> Response:
        return Response.no_content()

    result = delete(http_event(method="DELETE", path="/workflows/1"), None)
    assert result["statusCode"] == 204 and result["body"] == ""
    assert "Content-Type" not in result["headers"]


def test_datetimes_are_utc_with_z_and_uuids_are_strings() -> None:
    when = datetime(2025, 3, 1, 12, 30, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    ident = UUID("12345678-1234-5678-1234-567812345678")

    @route
    def show(request: Request) -> tuple[int, Any]:
        return 200, {"at": when, "naive": datetime(2025, 1, 1), "id": ident, "ids": [ident]}

    body = json.loads(show(http_event(method="GET"), None)["body"])
    assert body == {
        "at": "2025-03-01T10:30:00.123Z",
        "naive": "2025-01-01T00:00:00.000Z",
        "id": str(ident),
        "ids": [str(ident)],
    }
    assert datetime.fromisoformat(body["at"]) == when.replace(microsecond=123000).astimezone(UTC)
