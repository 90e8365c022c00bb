"""Reading the examples out of README.md and docs/*.md, and comparing what they print with what the
page says they print. The conventions are the ones docs/testing.md states for writers:

- a ```bash (or ```sh) block runs; a ```json output / ```text output block right after it is what it
  must print;
- a ```json workflow-example block is {definition, input, outputs, skipped?};
- every other ```json block must parse (one with ``nodes`` must also validate);
- ``<!-- not-run: reason -->`` on the line before a block exempts it, ``<!-- clock: +120s -->`` moves
  the scheduler's clock first.

Outputs are compared loosely where a reader's run must differ: ids and times are normalised, ``…``
matches anything within a line or a string (``"…"`` any value, a ``"…"`` array element any number of
elements, a ``"…": "…"`` member any other members) and a text line that is just ``…`` any number of
lines. Imported by name, like e2e_support.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ELLIPSIS = "\u2026"
_FENCE_OPEN = re.compile(r"^(```+)\s*([A-Za-z0-9_-]*)\s*([A-Za-z0-9_-]*)\s*$")
_NOT_RUN = re.compile(r"^<!--\s*not-run:\s*(.+?)\s*-->$")
_CLOCK = re.compile(r"^<!--\s*clock:\s*\+(\d+)s\s*-->$")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")


@dataclass
class Block:
    """One fenced block: ``lang`` (bash, json …), ``role`` (output, workflow-example or empty)."""

    page: Path
    line: int
    lang: str
    role: str
    text: str
    not_run: str | None = None
    clock_s: int = 0
    expected: Block | None = None

    @property
    def where(self) -> str:
        return f"{self.page.name}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The page's blocks in order; an output block is attached to the block it follows, not listed."""
    lines = page.read_text().splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE_OPEN.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, lang, role = opening.groups()
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == fence)
        before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        block = Block(page, i + 1, lang, role, "\n".join(lines[i + 1 : end]) + "\n")
        if m := _NOT_RUN.match(before):
            block.not_run = m.group(1)
        if m := _CLOCK.match(before):
            block.clock_s = int(m.group(1))
        if role == "output":
            previous = found[-1] if found else None
            assert previous is not None and previous.lang in ("bash", "sh") and previous.expected is None, (
                f"{block.where}: an output block must follow the bash block whose output it is"
            )
            previous.expected = block
        else:
            found.append(block)
        i = end + 1
    return found


def normalised(text: str) -> str:
    return _TIME.sub("<time>", _UUID.sub("<id>", text))


def _pattern(expected: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in normalised(expected).split(ELLIPSIS)), re.S)


def text_matches(expected: str, actual: str) -> bool:
    """Line by line (trailing blanks ignored); ``…`` in a line matches anything within it, a line that
    is just ``…`` any number of lines."""
    parts = []
    for line in normalised(expected).rstrip("\n").splitlines():
        if line.strip() == ELLIPSIS:
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append("[^\n]*".join(re.escape(p) for p in line.rstrip().split(ELLIPSIS)) + r"\n")
    got = "".join(line.rstrip() + "\n" for line in normalised(actual).rstrip("\n").splitlines())
    return re.fullmatch("".join(parts), got) is not None


def json_values(text: str) -> list[Any]:
    """Every JSON value in ``text`` (jq prints one per line, or pretty-printed ones back to back)."""
    decoder, values, at = json.JSONDecoder(), list[Any](), 0
    text = text.strip()
    while at < len(text):
        value, at = decoder.raw_decode(text, at)
        values.append(value)
        while at < len(text) and text[at].isspace():
            at += 1
    return values


def json_matches(expected: Any, actual: Any) -> bool:
    if expected == ELLIPSIS:
        return True
    if isinstance(expected, str):
        return isinstance(actual, str) and _pattern(expected).fullmatch(normalised(actual)) is not None
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        rest = expected.get(ELLIPSIS) == ELLIPSIS
        keys = {k for k in expected if not (rest and k == ELLIPSIS)}
        if not keys <= actual.keys() or (not rest and keys != actual.keys()):
            return False
        return all(json_matches(expected[k], actual[k]) for k in keys)
    if isinstance(expected, list):
        return isinstance(actual, list) and _list_matches(expected, actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return bool(expected == actual)


def _list_matches(expected: list[Any], actual: list[Any]) -> bool:
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head == ELLIPSIS:
        return any(_list_matches(rest, actual[skip:]) for skip in range(len(actual) + 1))
    return bool(actual) and json_matches(head, actual[0]) and _list_matches(rest, actual[1:])
