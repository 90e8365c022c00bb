"""pg8000's placeholder rewrite (``%s`` → ``$1``), remembered per SQL text instead of re-scanned.

pg8000 walks every query character by character in Python on every execute; for the engine's long
statements that was the largest CPU cost of a step (§11). The rewrite depends only on the
paramstyle and the query text, so its result is cached and only the argument order is re-applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

Converter = Callable[[str, str, Any], tuple[str, Any]]
_CACHED_QUERIES = 1024  # distinct statement texts (multi-row INSERTs vary by row count)


class _NameRecorder(Mapping[str, str]):
    """Stands in for the arguments: a named lookup returns the name, so the converter's ``vals``
    spell out which argument goes to each ``$n``."""

    def __getitem__(self, key: str) -> str:
        return key

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 1  # non-empty, like the real arguments of a parameterised query


_RECORDER = _NameRecorder()


def cached_converter(convert: Converter) -> Converter:
    """A drop-in for pg8000's ``convert_paramstyle(style, query, args)`` that scans each
    (style, query) once. Errors are not cached: a bad query raises on every call, as before."""

    @lru_cache(maxsize=_CACHED_QUERIES)
    def rewrite(style: str, query: str) -> tuple[str, tuple[str, ...] | None]:
        statement, vals = convert(style, query, _RECORDER)
        # Positional styles hand the arguments through untouched; named ones pick them by name.
        return statement, None if vals is _RECORDER else tuple(vals)

    def convert_paramstyle(style: str, query: str, args: Any) -> tuple[str, Any]:
        statement, names = rewrite(style, query)
        if names is None:
            return statement, args
        return statement, tuple(args[name] for name in names)

    convert_paramstyle.cache_info = rewrite.cache_info  # type: ignore[attr-defined]
    return convert_paramstyle


def install_paramstyle_cache() -> None:
    """Point pg8000's cursors at the cached converter (idempotent; called when the engine is built,
    never at import time)."""
    import pg8000.dbapi
    import pg8000.legacy

    for module in (pg8000.legacy, pg8000.dbapi):
        current = module.convert_paramstyle
        if not getattr(current, "a2n_cached", False):
            wrapped = cached_converter(current)
            wrapped.a2n_cached = True  # type: ignore[attr-defined]
            module.convert_paramstyle = wrapped
