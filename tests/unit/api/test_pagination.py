"""Keyset cursors round-trip, tampering is a 400, limits are bounded, pages say when there is more."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from a2n.api.pagination import Cursor, Page, decode_cursor, encode_cursor, page_of, page_request
from a2n.api.response import dump_json
from a2n.errors import BadRequest, ValidationFailed


def test_a_cursor_round_trips_a_datetime_key_at_full_precision() -> None:
    at = datetime(2025, 5, 1, 8, 0, 0, 123456, tzinfo=UTC)
    cursor = decode_cursor(encode_cursor(at, "0b6e-id"))
    assert cursor.id == "0b6e-id"
    assert cursor.sort_key_datetime() == at


def test_a_cursor_is_url_safe_and_opaque() -> None:
    token = encode_cursor("name/with+symbols?", "id")
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "!!!",
        "a",
        _b64(b"\xff\xfe"),
        _b64(b"not json"),
        _b64(b"[1, 2]"),
        _b64(json.dumps({"k": 1}).encode()),
        _b64(json.dumps({"k": 1, "i": "x", "extra": 1}).encode()),
        _b64(json.dumps({"k": {"$gt": ""}, "i": "x"}).encode()),
        _b64(json.dumps({"k": True, "i": "x"}).encode()),
        _b64(json.dumps({"k": 1, "i": 5}).encode()),
        "A" * 600,
    ],
)
def test_tampered_or_garbage_cursors_are_400(token: str) -> None:
    with pytest.raises(BadRequest):
        decode_cursor(token)


def test_a_cursor_whose_key_is_not_a_datetime_is_400_when_read_as_one() -> None:
    with pytest.raises(BadRequest):
        Cursor(sort_key="yesterday", id="x").sort_key_datetime()


def test_limit_defaults_to_50_and_accepts_1_to_200() -> None:
    assert page_request({}).limit == 50
    assert page_request({"limit": "1"}).limit == 1
    assert page_request({"limit": "200"}).limit == 200


@pytest.mark.parametrize("limit", ["0", "201", "-1", "abc", "", "1.5", "١٢", "9" * 5000, "0050"])
def test_a_bad_limit_is_422_pointing_at_the_query_parameter(limit: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        page_request({"limit": limit})
    assert [p.pointer for p in raised.value.problems] == ["#/query/limit"]


def test_page_request_decodes_the_cursor() -> None:
    request = page_request({"cursor": encode_cursor(7, "id-7"), "limit": "10"})
    assert request.cursor == Cursor(sort_key=7, id="id-7")


def test_page_of_an_extra_row_gives_a_cursor_at_the_last_item_kept() -> None:
    rows = [(i, f"id-{i}") for i in range(4)]
    page = page_of(rows, 3, cursor_of=lambda row: row)
    assert page.items == rows[:3]
    assert page.next_cursor is not None and decode_cursor(page.next_cursor) == Cursor(2, "id-2")


def test_the_last_page_has_no_cursor_and_renders_as_items_and_next_cursor() -> None:
    page = page_of([(1, "a")], 3, cursor_of=lambda row: row)
    assert json.loads(dump_json(page)) == {"items": [[1, "a"]], "nextCursor": None}
    assert json.loads(dump_json(Page(items=[], next_cursor="c"))) == {"items": [], "nextCursor": "c"}
