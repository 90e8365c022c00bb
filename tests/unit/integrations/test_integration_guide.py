"""docs/integrations.md shows what runs: its worked manifest passes the published schema and the
publish checks, and every JSON example in it parses."""

from __future__ import annotations

import json
import re
from pathlib import Path

from a2n.integrations.manifest import manifest_problems

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "integrations.md"


def json_blocks() -> list[str]:
    return re.findall(r"```json\n(.*?)```", GUIDE.read_text("utf-8"), flags=re.DOTALL)


def test_every_json_example_of_the_guide_parses() -> None:
    blocks = json_blocks()
    assert len(blocks) >= 4
    for block in blocks:
        json.loads(block)


def test_the_worked_example_is_a_manifest_that_would_be_published() -> None:
    manifests = [json.loads(b) for b in json_blocks() if '"hosts"' in b]
    assert [m["name"] for m in manifests] == ["acme-weather"]
    assert manifest_problems(manifests[0]) == []
