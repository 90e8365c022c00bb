"""What a ready node receives as `input`, from the outputs of its live predecessors.

One live predecessor: its output. Several: {sourceId: output} in connection order. A `merge`
node gets its inputs already combined by its `mode`, so the merge node itself is an identity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MERGE_TYPE = "merge"
MERGE_MODES = ("object", "append", "first")


def merge_mode(config: Mapping[str, Any]) -> str:
    mode = config.get("mode", "object")
    return mode if mode in MERGE_MODES else "object"


def node_input(
    node_type: str,
    config: Mapping[str, Any],
    arrivals: Sequence[tuple[str, Any]],
    arrived: str | None = None,
) -> Any:
    """`arrivals` are (source id, output) of live predecessors; `arrived` is the one that just finished."""
    if node_type == MERGE_TYPE:
        return merged(merge_mode(config), arrivals, arrived)
    if len(arrivals) == 1:
        return arrivals[0][1]
    return dict(arrivals)


def merged(mode: str, arrivals: Sequence[tuple[str, Any]], arrived: str | None = None) -> Any:
    """object -> {sourceId: output}; append -> one array (non-arrays become items); first -> one output."""
    if mode == "first":
        by_source = dict(arrivals)
        return by_source[arrived] if arrived in by_source else arrivals[0][1]
    if mode == "append":
        items: list[Any] = []
        for _, output in arrivals:
            items.extend(output if isinstance(output, list) else [output])
        return items
    return dict(arrivals)
