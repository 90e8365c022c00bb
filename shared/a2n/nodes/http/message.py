"""From a rendered http_request config to bytes on the wire, and from a response to node output.

Query parameters merge into the URL's own; bodies are JSON, form-urlencoded or raw text with a
default Content-Type; responses become ``{status, headers, body}`` parsed per ``responseType``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from a2n.nodes.context import NodeFailed
from a2n.nodes.http.client import InboundResponse

CONTENT_TYPES = {
    "json": "application/json",
    "form": "application/x-www-form-urlencoded",
    "raw": "text/plain; charset=utf-8",
}
TEXTUAL_MARKERS = ("text/", "json", "xml", "javascript", "x-www-form-urlencoded")


def as_text(value: Any) -> str:
    """A scalar as it appears in a header or query string; objects and arrays are errors."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, dict | list):
        raise NodeFailed("header and query values must render to a string, number or boolean")
    return value if isinstance(value, str) else json.dumps(value)


def url_with_query(url: str, query: Mapping[str, str]) -> str:
    """``url`` with ``query`` merged in; a name in ``query`` replaces the URL's own parameter."""
    if not query:
        return url
    parts = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in query]
    return urlunsplit(parts._replace(query=urlencode([*pairs, *query.items()])))


def encode_body(body: Any, body_type: str) -> tuple[bytes | None, str | None]:
    """(bytes, default Content-Type) of the rendered body; None body sends nothing."""
    if body is None:
        return None, None
    if body_type == "form":
        if not isinstance(body, Mapping):
            raise NodeFailed("a form body must be an object")
        fields = [(str(k), v if isinstance(v, str) else as_text(v)) for k, v in body.items()]
        return urlencode(fields).encode(), CONTENT_TYPES["form"]
    if body_type == "raw":
        text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        return text.encode(), CONTENT_TYPES["raw"]
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(), CONTENT_TYPES["json"]


def response_output(
    response: InboundResponse, response_type: str, secret_forms: Collection[str] = ()
) -> dict[str, Any]:
    """``{status, headers, body}``; a body that is not text in ``auto`` mode is base64 with
    ``bodyEncoding: "base64"`` so binary data survives the JSON column intact. ``secret_forms``
    are masked in such a body before it is encoded: base64 hides them from the step's scrub."""
    output: dict[str, Any] = {"status": response.status, "headers": dict(response.headers)}
    content_type = response.headers.get("content-type", "").lower()
    raw = response.body
    if response_type == "text":
        output["body"] = raw.decode("utf-8", errors="replace")
    elif response_type == "json" or (response_type == "auto" and "json" in content_type):
        output["body"] = _json(raw, strict=response_type == "json")
    elif _is_text(raw, content_type):
        output["body"] = raw.decode("utf-8", errors="replace")
    else:
        from a2n.nodes.secrets import scrub_bytes

        output["body"] = base64.b64encode(scrub_bytes(raw, secret_forms)).decode("ascii")
        output["bodyEncoding"] = "base64"
    return output


def _json(raw: bytes, *, strict: bool) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except RecursionError:
        raise NodeFailed("response JSON is nested too deeply") from None
    except ValueError:
        if strict:
            raise NodeFailed("response is not valid JSON") from None
        return raw.decode("utf-8", errors="replace")  # auto: a mislabelled body is still readable


def _is_text(raw: bytes, content_type: str) -> bool:
    # A declared type decides; an undeclared body is text when it decodes as UTF-8.
    if content_type:
        return any(marker in content_type for marker in TEXTUAL_MARKERS)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
