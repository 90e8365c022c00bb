"""SECURITY case 31 at the edge: JSON from outside with numbers or nesting A2N cannot hold is a 4xx
problem, whichever route or webhook parses it — never a 500 and never a value Postgres refuses."""

from __future__ import annotations

import pytest

from a2n.errors import BadRequest
from a2n.json_input import MalformedJson, load_json

DEEP = "[" * 10_000 + "]" * 10_000
DEEP_OBJECT = '{"a":' * 5_000 + "1" + "}" * 5_000


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1e999", "out of range"),
        ('{"total": -1e999}', "out of range"),
        ('{"a": [1.5, 2E+400]}', "out of range"),
        ("[" + "9" * 400 + ".0]", "out of range"),  # 400 digits overflow a float without any exponent
        ("NaN", "NaN is not valid JSON"),
        ('{"x": Infinity}', "Infinity is not valid JSON"),
        ('{"x": -Infinity}', "-Infinity is not valid JSON"),
        ('{"n": ' + "1" * 4301 + "}", "more than 4300 digits"),
        ("-" + "7" * 10_000, "more than 4300 digits"),
        (DEEP, "nesting exceeds 64 levels"),
        (DEEP_OBJECT, "nesting exceeds 64 levels"),
        ("[" * 65 + "]" * 65, "nesting exceeds 64 levels"),
    ],
)
def test_case_31_numbers_and_nesting_json_cannot_hold_are_bad_requests(text: str, says: str) -> None:
    with pytest.raises(BadRequest, match=says) as refused:
        load_json(text)
    assert not isinstance(refused.value, MalformedJson)  # a webhook must refuse these, not keep them as text


def test_values_at_the_edges_of_the_limits_are_accepted() -> None:
    assert load_json("[1e308, -1e308, 1e-400, 1E100]") == [1e308, -1e308, 0.0, 1e100]
    assert load_json("1" * 4300) == int("1" * 4300)
    assert load_json("[" * 64 + "]" * 64) is not None
    assert load_json('{"text": "e999 and 1e999 inside a string are text"}')["text"].startswith("e999")


def test_syntax_errors_are_malformed_json_with_a_position() -> None:
    with pytest.raises(MalformedJson, match="line 1 column 9"):
        load_json('{"a": 1,}')


def test_duplicate_keys_are_refused_unless_the_caller_takes_the_last() -> None:
    with pytest.raises(BadRequest, match="Duplicate key"):
        load_json('{"a": 1, "a": 2}')
    assert load_json('{"a": 1, "a": 2}', unique_keys=False) == {"a": 2}
