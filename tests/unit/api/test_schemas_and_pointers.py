"""camelCase models, UTC datetimes and JSON pointers that follow the client's own input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field

from a2n.api.response import dump_json
from a2n.api.schemas import PageOf, RequestBody, ResponseBody, UtcDatetime
from a2n.api.validation import json_pointer, validate_body, validate_query
from a2n.errors import ValidationFailed


class ApiKeyIn(RequestBody):
    key_name: str
    expires_at: UtcDatetime | None = None


class ApiKeyOut(ResponseBody):
    id: str
    key_name: str
    created_at: UtcDatetime


class HttpNode(RequestBody):
    type: Literal["http_request"]
    url: str


class WaitNode(RequestBody):
    type: Literal["wait"]
    seconds: int


class Definition(RequestBody):
    nodes: list[Annotated[HttpNode | WaitNode, Field(discriminator="type")]]
    variables: dict[str, int] = {}


def pointers(model: type[BaseModel], data: object) -> list[str]:
    with pytest.raises(ValidationFailed) as raised:
        validate_body(model, data)
    return [p.pointer for p in raised.value.problems]


def test_request_bodies_are_camel_case_and_python_uses_snake_case() -> None:
    parsed = validate_body(ApiKeyIn, {"keyName": "ci", "expiresAt": "2025-01-01T02:00:00+02:00"})
    assert parsed.key_name == "ci"
    assert parsed.expires_at == datetime(2025, 1, 1, tzinfo=UTC)
    assert parsed.expires_at is not None and parsed.expires_at.tzinfo == UTC


def test_a_naive_datetime_in_a_body_is_422() -> None:
    assert pointers(ApiKeyIn, {"keyName": "ci", "expiresAt": "2025-01-01T00:00:00"}) == ["/expiresAt"]


def test_responses_render_by_alias_with_z_datetimes() -> None:
    row = type("Row", (), {"id": "k1", "key_name": "ci", "created_at": datetime(2025, 1, 1, tzinfo=UTC)})()
    out = ApiKeyOut.model_validate(row)
    assert json.loads(dump_json(out)) == {
        "id": "k1",
        "keyName": "ci",
        "createdAt": "2025-01-01T00:00:00.000Z",
    }
    page = PageOf[ApiKeyOut](items=[out], next_cursor=None)
    assert json.loads(dump_json(page))["nextCursor"] is None


def test_discriminated_union_errors_point_into_the_input_not_at_pydantic_labels() -> None:
    data = {"nodes": [{"type": "wait", "seconds": 5}, {"type": "http_request"}]}
    assert pointers(Definition, data) == ["/nodes/1/url"]


def test_dict_keys_with_slash_and_tilde_are_escaped() -> None:
    assert pointers(Definition, {"nodes": [], "variables": {"a/b~c": "x"}}) == ["/variables/a~1b~0c"]
    assert json_pointer(["a/b", "~", 0]) == "/a~1b/~0/0"


def test_query_problems_point_at_the_query_parameter() -> None:
    class Filters(BaseModel):
        active: bool | None = None

    with pytest.raises(ValidationFailed) as raised:
        validate_query(Filters, {"active": "maybe"})
    assert [p.pointer for p in raised.value.problems] == ["#/query/active"]


def test_custom_validator_messages_lose_pydantics_prefix() -> None:
    class Password(RequestBody):
        password: str = Field(min_length=10)

    with pytest.raises(ValidationFailed) as raised:
        validate_body(Password, {"password": "short"})
    assert raised.value.problems[0].message == "String should have at least 10 characters"
