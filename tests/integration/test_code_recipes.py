"""The code node's recipes in docs/nodes.md run as documented: each recipe's Python goes through the
real sandbox with the input shown and must return the output (and print the lines) shown.

The page is the source: a recipe is a ``#### title`` under ``### Recipes`` with one ``python``
block and one ``json`` block ``{input, output, prints?}``. Moving the recipes elsewhere moves
``RECIPES``, nothing else.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sandbox_support import run

from a2n.nodes.code import code_problems

RECIPES = Path(__file__).resolve().parents[2] / "docs" / "nodes.md"
_FENCE = re.compile(r"```(python|json)\n(.*?)\n```", re.S)


def recipes() -> dict[str, tuple[str, dict[str, Any]]]:
    text = RECIPES.read_text()
    section = text.split("\n### Recipes", 1)[1].split("\n### ", 1)[0]
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for part in section.split("\n#### ")[1:]:
        title = part.splitlines()[0].strip()
        blocks = dict((kind, body) for kind, body in _FENCE.findall(part))
        found[title] = (blocks["python"], json.loads(blocks["json"]))
    return found


def test_the_node_reference_has_the_recipes_the_issue_asks_for() -> None:
    assert {"Reshape items", "Dedupe", "Date math", "Simple parsing"} <= set(recipes())


@pytest.mark.parametrize("title", list(recipes()))
def test_each_recipe_saves_and_returns_what_the_docs_show(title: str) -> None:
    code, example = recipes()[title]

    result = run(code, input=example["input"], context={"nodeId": "recipe"})

    assert code_problems(code, "/code") == []  # it would save
    assert result["status"] == "ok", result.get("error")
    assert result["output"] == example["output"]
    assert [line for _, line in result["logs"]] == example.get("prints", [])
