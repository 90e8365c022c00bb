"""Render a packaged email template into subject, plain text and HTML.

A template is ``templates/<name>.txt`` (first line ``Subject: …``, a blank line, the text body) and
``templates/<name>.html`` (the HTML body, put inside ``_layout.html``). Placeholders are
``string.Template``'s ``${name}``; values are HTML-escaped in the HTML part, never in the text part,
and a missing value is an error rather than a silent blank in somebody's inbox.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from string import Template

_SUBJECT = "Subject: "
_LINK = re.compile(r"https?://[^\s<>\"']+")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class UnknownTemplate(LookupError):
    """No template of that name ships with the package."""


@dataclass(frozen=True)
class RenderedEmail:
    """One message, ready for any recipient: what the mailer sends and the local mailbox shows."""

    template: str
    subject: str
    text: str
    html: str

    @property
    def links(self) -> list[str]:
        """The URLs in the text part, in order (what ``a2n dev`` prints so a developer can click)."""
        return _LINK.findall(self.text)


def render(name: str, context: Mapping[str, str]) -> RenderedEmail:
    """Fill template ``name`` with ``context``; KeyError names a placeholder left without a value."""
    subject, text = _text_parts(name)
    escaped = {key: html.escape(str(value)) for key, value in context.items()}
    body = Template(_read(f"{name}.html")).substitute(escaped)
    filled_subject = Template(subject).substitute(context)
    page = Template(_read("_layout.html")).substitute(
        subject=html.escape(filled_subject), body=body, product=escaped.get("product", "A2N")
    )
    return RenderedEmail(
        template=name,
        subject=filled_subject,
        text=Template(text).substitute(context),
        html=page,
    )


def template_names() -> list[str]:
    """Every template that ships with the package."""
    folder = resources.files("a2n.mail") / "templates"
    return sorted(
        entry.name.removesuffix(".txt") for entry in folder.iterdir() if entry.name.endswith(".txt")
    )


@lru_cache(maxsize=64)
def _text_parts(name: str) -> tuple[str, str]:
    if not _NAME.match(name):
        raise UnknownTemplate(name)
    first, _, rest = _read(f"{name}.txt").partition("\n")
    if not first.startswith(_SUBJECT):
        raise ValueError(f"mail template {name}.txt must start with 'Subject: '")
    return first.removeprefix(_SUBJECT).strip(), rest.lstrip("\n")


@lru_cache(maxsize=64)
def _read(filename: str) -> str:
    try:
        return (resources.files("a2n.mail") / "templates" / filename).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnknownTemplate(filename.rsplit(".", 1)[0]) from None
