"""API Gateway HTTP API behaviour, without sockets: route selection, payload 2.0 events, responses.

Pure functions over plain values so they are unit-tested directly; ``a2n.local.http`` wires them
to a ``ThreadingHTTPServer``.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from a2n.local.template import HttpRoute

# HTTP API passes these content types as text; everything else arrives base64-encoded ("if the content
# type of the request is binary, the body is base64-encoded"). A body under a text type that is not
# valid UTF-8 arrives base64-encoded too: a JSON event can carry those bytes intact no other way, and
# the function — not the gateway — decides what invalid UTF-8 means (A2N's JSON routes answer 400).
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")
_TEXT_SUFFIXES = ("+json", "+xml")


@dataclass(frozen=True)
class RouteMatch:
    route: HttpRoute
    route_key: str
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class HttpRequest:
    method: str
    raw_path: str
    raw_query: str
    headers: Sequence[tuple[str, str]]  # as received, duplicates kept
    body: bytes
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def gateway_error(status: int, message: str) -> HttpResponse:
    """API Gateway's own error shape, e.g. ``{"message":"Not Found"}``."""
    body = json.dumps({"message": message}).encode()
    return HttpResponse(status, [("content-type", "application/json")], body)


def match_route(routes: Sequence[HttpRoute], method: str, path: str) -> RouteMatch | None:
    """The most specific route: literal segments beat ``{param}``, which beats ``{proxy+}``."""
    best: tuple[tuple[int, ...], RouteMatch] | None = None
    segments = path.strip("/").split("/") if path.strip("/") else []
    for route in routes:
        if route.method not in ("ANY", method.upper()) or route.path == "$default":
            continue
        params = _match_path(route.path, segments)
        if params is None:
            continue
        literal = sum(1 for s in route.path.strip("/").split("/") if s and not s.startswith("{"))
        greedy = route.path.endswith("+}")
        rank = (0 if greedy else 1, literal, len(route.path), 0 if route.method == "ANY" else 1)
        if best is None or rank > best[0]:
            best = (rank, RouteMatch(route, f"{route.method} {route.path}", params))
    if best is not None:
        return best[1]
    fallback = next((r for r in routes if r.path == "$default"), None)
    return RouteMatch(fallback, "$default", {}) if fallback else None


def _match_path(template: str, segments: list[str]) -> dict[str, str] | None:
    parts = template.strip("/").split("/") if template.strip("/") else []
    params: dict[str, str] = {}
    for index, part in enumerate(parts):
        if part.startswith("{") and part.endswith("+}"):
            rest = segments[index:]
            if not rest:
                return None
            params[part[1:-2]] = "/".join(rest)
            return params
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = segments[index]
        elif part != segments[index]:
            return None
    return params if len(parts) == len(segments) else None


def build_event(request: HttpRequest, match: RouteMatch, authorizer_context: Any = None) -> dict[str, Any]:
    """The payload format 2.0 event; empty optional fields are omitted as API Gateway does."""
    headers, cookies = _headers_and_cookies(request.headers)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": _request_context(request, match, headers),
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    query = _query_parameters(request.raw_query)
    if query:
        event["queryStringParameters"] = query
    if match.path_parameters:
        event["pathParameters"] = match.path_parameters
    if request.body:
        text = _as_text(request.body, headers.get("content-type", ""))
        if text is not None:
            event["body"] = text
        else:
            event["body"] = base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = True
    if authorizer_context is not None:
        event["requestContext"]["authorizer"] = {"lambda": authorizer_context}
    return event


def build_authorizer_event(request: HttpRequest, match: RouteMatch, identity: list[str]) -> dict[str, Any]:
    """The REQUEST authorizer event (payload 2.0): the route's event plus identity and route ARN."""
    event = build_event(request, match)
    event.pop("body", None)
    event.pop("isBase64Encoded", None)
    event["type"] = "REQUEST"
    event["identitySource"] = identity
    route = f"{request.method}{request.raw_path}"
    event["routeArn"] = f"arn:aws:execute-api:us-east-1:123456789012:local/$default/{route}"
    return event


def _headers_and_cookies(raw: Sequence[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in raw:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
        elif key in headers:
            headers[key] = f"{headers[key]},{value}"
        else:
            headers[key] = value
    return headers, cookies


def _query_parameters(raw_query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        params[key] = f"{params[key]},{value}" if key in params else value
    return params


def _request_context(request: HttpRequest, match: RouteMatch, headers: dict[str, str]) -> dict[str, Any]:
    now = time.time()
    return {
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": headers.get("host", "127.0.0.1"),
        "domainPrefix": headers.get("host", "127.0.0.1").split(".")[0],
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": match.route_key,
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }


def _as_text(body: bytes, content_type: str) -> str | None:
    """The body as the event's text, or None when it must travel base64-encoded."""
    media = content_type.split(";", 1)[0].strip().lower()
    if not (media.startswith(_TEXT_TYPES) or media.endswith(_TEXT_SUFFIXES)):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


class MalformedResult(ValueError):
    """A function result the gateway cannot turn into a response: it answers 500, as API Gateway
    does for an integration response it cannot use."""


def map_result(result: Any) -> HttpResponse:
    """Turn a handler's return value into the HTTP response API Gateway would send (MalformedResult
    when a header could not be written: a line break, NUL, or a character beyond Latin-1)."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # API Gateway infers a 200 JSON response from anything else (payload 2.0 only).
        text = result if isinstance(result, str) else json.dumps(result)
        return HttpResponse(200, [("content-type", "application/json")], text.encode())
    headers = [(str(k).lower(), str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name).lower(), str(v)) for v in values)
    headers.extend(("set-cookie", str(c)) for c in result.get("cookies") or [])
    for name, value in headers:
        if not (_sendable(name) and _sendable(value)):
            raise MalformedResult(f"response header {name!r} cannot be written to HTTP/1.1")
    raw_body = str(result.get("body") or "")
    body = base64.b64decode(raw_body) if result.get("isBase64Encoded") else raw_body.encode()
    return HttpResponse(int(result["statusCode"]), headers, body)


def _sendable(text: str) -> bool:
    if "\r" in text or "\n" in text or "\x00" in text:
        return False
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True
