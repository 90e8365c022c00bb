"""Which page holds which generated regions, and the pages as they should read."""

from __future__ import annotations

from pathlib import Path

from a2n.docs.regions import fill_regions, region_names

API_PAGE = "api.md"
NODES_PAGE = "nodes.md"


def generated_pages(docs_dir: Path) -> dict[Path, str]:
    """Every page with generated regions, as the code says it should read now."""
    from a2n.docs.node_reference import missing_sections

    pages: dict[Path, str] = {}
    for path in sorted(docs_dir.glob("*.md")):
        text = path.read_text()
        if path.name == NODES_PAGE and (missing := missing_sections(region_names(text))):
            text = text.rstrip("\n") + "\n" + missing
        if region_names(text):
            pages[path] = fill_regions(text, render_region)
    return pages


def render_region(name: str) -> str:
    """The body of one region, by its name: ``api-reference`` or ``node <type>``."""
    if name == "api-reference":
        from a2n.api.catalogue import openapi_document
        from a2n.docs.api_reference import render_api_reference

        return render_api_reference(openapi_document())
    if name.startswith("node "):
        from a2n.docs.node_reference import render_node

        return render_node(name.removeprefix("node "))
    raise KeyError(f"unknown generated region '{name}': known are 'api-reference' and 'node <type>'")
