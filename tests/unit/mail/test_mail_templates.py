"""Packaged email templates: each renders to subject, text and HTML; values are escaped in HTML only;
a missing value or an unknown template is an error, never a half-filled email."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest

from a2n.adapters.mailer import mime_message
from a2n.mail.templates import UnknownTemplate, render, template_names

PLACEHOLDER = re.compile(r"\$\{([a-z_]+)\}")


def placeholders(name: str) -> set[str]:
    from importlib import resources

    folder = resources.files("a2n.mail") / "templates"
    found: set[str] = set()
    for suffix in (".txt", ".html"):
        found |= set(PLACEHOLDER.findall((folder / f"{name}{suffix}").read_text()))
    return found


@pytest.mark.parametrize("name", template_names())
def test_every_template_renders_every_placeholder_in_both_parts(name: str) -> None:
    context = {key: f"<{key}-value>" for key in placeholders(name)}

    rendered = render(name, context)

    assert rendered.subject and "${" not in rendered.subject
    assert "${" not in rendered.text and "${" not in rendered.html
    for key, value in context.items():
        assert value not in rendered.html, f"{name}: {key} reached the HTML unescaped"
    assert rendered.html.startswith("<!doctype html>")


def test_values_are_escaped_in_html_but_kept_as_is_in_text() -> None:
    rendered = render("notice", {"title": "Hi & <b>bye</b>", "message": "<script>alert(1)</script>"})

    assert rendered.subject == "Hi & <b>bye</b>"
    assert "<script>alert(1)</script>" in rendered.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "<script>" not in rendered.html
    assert "<title>Hi &amp; &lt;b&gt;bye&lt;/b&gt;</title>" in rendered.html


def test_a_missing_value_is_an_error_naming_it() -> None:
    with pytest.raises(KeyError, match="link"):
        render("password_reset", {"name": "Ada", "minutes": "30", "reason": "You asked."})


@pytest.mark.parametrize("name", ["nope", "../settings", "_layout", "Notice"])
def test_unknown_or_unsafe_template_names_are_refused(name: str) -> None:
    with pytest.raises(UnknownTemplate):
        render(name, {})


def test_links_are_the_urls_of_the_text_part_in_order() -> None:
    rendered = render(
        "email_changed_notice",
        {"name": "A", "old_email": "a@x.io", "new_email": "b@x.io", "link": "https://app.example/reset?x=1"},
    )
    assert rendered.links == ["https://app.example/reset?x=1"]


def test_the_mime_message_carries_text_then_html_alternatives() -> None:
    rendered = render("notice", {"title": "Über", "message": "body ✓"})

    raw = mime_message("A2N <no-reply@a2n.test>", "ada@example.com", rendered).as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)

    assert parsed.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed["Subject"] == "Über" and parsed["To"] == "ada@example.com"
    assert parsed["X-A2N-Template"] == "notice"
    assert "body ✓" in parsed.get_body(("plain",)).get_content()
