"""The cached pg8000 placeholder rewrite gives exactly what pg8000's own converter gives, for every
paramstyle, while scanning each query text once."""

from __future__ import annotations

from typing import Any

import pytest
from pg8000.dbapi import convert_paramstyle as pg8000_convert

from a2n.db.paramstyle import cached_converter

CASES: list[tuple[str, str, Any]] = [
    ("format", "SELECT %s, '%%s literal', %s -- %s in a comment\nFROM t WHERE a = %s", (1, 2, 3)),
    ("format", "UPDATE t SET x = CAST(%s AS jsonb) WHERE id = %s AND y::text = 'a:b'", ("{}", 7)),
    ("pyformat", "SELECT %(a)s, %(b)s, %(a)s FROM t", {"a": 1, "b": 2, "unused": 3}),
    ("pyformat", "SELECT %s, %s", (1, 2)),
    ("named", "SELECT :a, :b::int, :a, ':c' FROM t", {"a": "x", "b": "2", "c": "no"}),
    ("qmark", "SELECT ?, ? FROM t WHERE s = '?'", (1, 2)),
    ("numeric", "SELECT :1, :2, x::int", (1, 2)),
]


@pytest.mark.parametrize(("style", "query", "args"), CASES)
def test_cached_rewrite_equals_pg8000s_own(style: str, query: str, args: Any) -> None:
    convert = cached_converter(pg8000_convert)
    for _ in range(2):  # first call fills the cache, the second is served from it
        assert convert(style, query, args) == pg8000_convert(style, query, args)


def test_the_same_text_is_scanned_once_and_new_arguments_still_bind() -> None:
    convert = cached_converter(pg8000_convert)
    first = convert("named", "SELECT :a, :b", {"a": 1, "b": 2})
    second = convert("named", "SELECT :a, :b", {"a": 10, "b": 20})
    assert first == ("SELECT $1, $2", (1, 2))
    assert second == ("SELECT $1, $2", (10, 20))
    assert convert.cache_info().misses == 1  # type: ignore[attr-defined]


def test_a_query_pg8000_refuses_is_refused_every_time() -> None:
    convert = cached_converter(pg8000_convert)
    for _ in range(2):
        with pytest.raises(Exception, match="Only %s and %% are supported"):
            convert("format", "SELECT %d", (1,))


def test_a_missing_named_argument_still_raises() -> None:
    convert = cached_converter(pg8000_convert)
    convert("named", "SELECT :a", {"a": 1})
    with pytest.raises(KeyError):
        convert("named", "SELECT :a", {})
