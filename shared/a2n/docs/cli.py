"""`a2n docs [--check]`: rewrite the generated regions of docs/*.md (the API reference from the
OpenAPI document, the node reference from the registry); `--check` only says which pages are stale."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a page is stale")
    parser.add_argument("--docs-dir", type=Path, default=Path("docs"), help="the pages (default: docs)")


def run(args: argparse.Namespace) -> int:
    from a2n.docs.pages import generated_pages

    docs_dir: Path = args.docs_dir
    if not docs_dir.is_dir():
        print(
            f"a2n docs: no {docs_dir}/ here; run it from the checkout's root or pass --docs-dir",
            file=sys.stderr,
        )
        return 2
    stale = [path for path, text in generated_pages(docs_dir).items() if path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"{path} is stale: run `make docs` (a2n docs) and commit the result", file=sys.stderr)
        return 1 if stale else 0
    for path, text in generated_pages(docs_dir).items():
        if path in stale:
            path.write_text(text)
            print(f"updated {path}")
    if not stale:
        print("docs are up to date")
    return 0
