"""The documentation holds together: links and anchors resolve inside the repository, nothing points
at material outside it, the README stays a front page, and the pages that mirror code (settings,
security cases with their tests, the generated API and node references) match the code."""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pydantic import AliasChoices

from a2n.docs.pages import generated_pages
from a2n.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
README_LIMIT_BYTES = 15_000

_FENCE = re.compile(r"^(```+|~~~+).*?^\1\s*$", re.S | re.M)
_CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
_LINK = re.compile(r"\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def prose(text: str) -> str:
    """The page without code blocks and code spans, where links are not links."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@cache
def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    for heading in _HEADING.findall(_FENCE.sub("", page.read_text())):
        base, n = slug(heading), 0
        while (candidate := base if n == 0 else f"{base}-{n}") in found:
            n += 1
        found.add(candidate)
    return found


def rel(page: Path) -> str:
    return str(page.relative_to(ROOT))


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    broken = []
    for target in _LINK.findall(prose(page.read_text())):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: …
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading with anchor #{anchor} in {rel(linked)}")
    assert broken == [], f"{rel(page)} has broken links"


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_nothing_points_outside_the_repository(page: Path) -> None:
    """The design handouts the project started from are not in a clone: no link to them, no
    reference by name. The docs say things in their own words."""
    text = page.read_text()
    outside = re.findall(
        r"\.\./shared|shared/design|(?<![\w/])(?:API|ARCHITECTURE|SECURITY|HOUSE_STYLE)\.md|ARCHITECTURE §",
        text,
    )
    assert outside == [], f"{rel(page)} points outside the repository"


def test_the_readme_is_a_front_page_that_links_every_docs_page() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) < README_LIMIT_BYTES, "move detail into docs/ and link it from the README"
    linked = {target.partition("#")[0] for target in _LINK.findall(prose(readme))}
    unlinked = [rel(page) for page in DOCS.glob("*.md") if rel(page) not in linked]
    assert unlinked == [], "add a line for each page to the README's documentation index"


def settings_rows() -> dict[str, tuple[str, str]]:
    """`A2N_X` / `OTHER` → (name cell, default cell) of every table row in configuration.md."""
    rows: dict[str, tuple[str, str]] = {}
    for line in (DOCS / "configuration.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            for name in re.findall(r"`([A-Z0-9_]+)`", cells[0]):
                rows[name] = (cells[0], cells[1])
    return rows


def documented_default(field: Any) -> str:
    default = field.default_factory() if field.default_factory is not None else field.default
    if default is None:
        return "\u2013"  # an en dash: no default
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, float) and default.is_integer():
        return f"`{int(default)}`"
    if isinstance(default, (dict, list)):
        return f"`{json.dumps(default)}`"
    return f"`{default}`"


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_configuration_lists_every_setting_with_its_default(name: str) -> None:
    field = Settings.model_fields[name]
    alias = field.validation_alias
    variables = list(alias.choices) if isinstance(alias, AliasChoices) else [f"A2N_{name.upper()}"]
    rows = settings_rows()
    assert variables[0] in rows, f"docs/configuration.md has no row for {variables[0]} (Settings.{name})"
    cell, default = rows[variables[0]]
    assert all(f"`{variable}`" in cell for variable in variables), (
        f"name every variable of {name}: {variables}"
    )
    assert default == documented_default(field), f"{variables[0]}: the documented default is not the code's"


def security_references() -> list[tuple[str, str]]:
    """(case, reference) for every test reference in security.md's table: `path`, `path::name`, or
    `::name` / `test_name` (in the file named before it in the same row), `*` matching any part of a
    name."""
    found: list[tuple[str, str]] = []
    for line in (DOCS / "security.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.match(r"\d+", cells[0]):
            continue
        current = ""
        for reference in re.findall(r"`([^`]+)`", cells[2]):
            if reference.startswith("::"):
                found.append((cells[0], f"{current}{reference}"))
            elif reference.startswith("test_") and current:
                found.append((cells[0], f"{current}::{reference}"))
            elif re.match(r"(unit|integration|e2e)/", reference):
                current = reference.split("::")[0]
                found.append((cells[0], reference))
    return found


def test_the_security_cases_name_their_tests() -> None:
    cases = {case.split()[0] for case, _ in security_references()}
    assert {str(n) for n in range(1, 35)} <= cases


@pytest.mark.parametrize(("case", "reference"), security_references())
def test_every_test_named_in_security_exists(case: str, reference: str) -> None:
    path, _, pattern = reference.partition("::")
    target = ROOT / "tests" / path
    if path.endswith("/"):
        assert target.is_dir() and any(target.rglob("test_*.py")), f"case {case}: {path} holds no tests"
        return
    assert target.is_file(), f"case {case}: tests/{path} does not exist"
    if pattern:
        names = [
            node.name for node in ast.walk(ast.parse(target.read_text())) if isinstance(node, ast.FunctionDef)
        ]
        matcher = re.compile(re.escape(pattern).replace(r"\*", ".*") + "$")
        assert any(matcher.match(name) for name in names if name.startswith("test_")), (
            f"case {case}: no test matches {pattern} in tests/{path}"
        )


def test_the_generated_references_are_current() -> None:
    stale = [rel(path) for path, text in generated_pages(DOCS).items() if path.read_text() != text]
    assert stale == [], "run `make docs` (a2n docs) and commit the result"
