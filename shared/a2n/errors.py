"""Typed domain errors. The API layer maps them to RFC 9457 problem+json in one place.

Services raise these; handlers never build error responses by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


def json_pointer(path: Iterable[str | int]) -> str:
    """RFC 6901 pointer for ``path`` ("" is the whole document): where a ``Problem`` points."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


@dataclass(frozen=True)
class Problem:
    """One validation problem: a JSON pointer into the request body and a message. ``line`` and
    ``column`` (1-based) place it inside a multi-line string value, such as a code node's source."""

    pointer: str
    message: str
    line: int | None = None
    column: int | None = None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"pointer": self.pointer, "message": self.message}
        if self.line is not None:
            found.update(line=self.line, column=self.column)
        return found


class A2NError(Exception):
    """Base of every error that becomes an HTTP problem response."""

    status: int = 500
    title: str = "Internal error"
    type_slug: str = "internal"
    # Set on refusals that end by themselves (a lock, an outage): becomes the Retry-After header.
    retry_after_s: int | None = None

    def __init__(self, detail: str | None = None, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra or {}

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://a2n.dev/problems/{self.type_slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        body.update(self.extra)
        return body


class BadRequest(A2NError):
    status, title, type_slug = 400, "Bad request", "bad-request"


class Unauthorized(A2NError):
    status, title, type_slug = 401, "Unauthorized", "unauthorized"


class Forbidden(A2NError):
    status, title, type_slug = 403, "Forbidden", "forbidden"


class NotFound(A2NError):
    status, title, type_slug = 404, "Not found", "not-found"


class MethodNotAllowed(A2NError):
    status, title, type_slug = 405, "Method not allowed", "method-not-allowed"


class Conflict(A2NError):
    status, title, type_slug = 409, "Conflict", "conflict"


class PayloadTooLarge(A2NError):
    status, title, type_slug = 413, "Payload too large", "payload-too-large"


class Locked(A2NError):
    status, title, type_slug = 429, "Too many attempts", "locked"


class RateLimited(A2NError):
    """429: the caller (or its workspace) went over a rate; ``retry_after_s`` says when to retry."""

    status, title, type_slug = 429, "Too many requests", "rate-limited"


class ServiceUnavailable(A2NError):
    status, title, type_slug = 503, "Service unavailable", "unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    """Postgres cannot be reached right now: nothing was done, and the same request may be retried."""

    retry_after_s = 5

    def __init__(self) -> None:
        super().__init__("The database is unreachable right now; retry after the Retry-After seconds")


class ValidationFailed(A2NError):
    """422 carrying every problem found, each with a JSON pointer."""

    status, title, type_slug = 422, "Validation failed", "validation"

    def __init__(self, problems: list[Problem], detail: str | None = None) -> None:
        self.problems = problems
        super().__init__(
            detail or f"{len(problems)} problem(s) found",
            extra={"errors": [p.as_dict() for p in problems]},
        )


class ConfigurationError(Exception):
    """The process is misconfigured (missing setting, unreachable dependency): say what to do next."""
