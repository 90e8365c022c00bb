"""The run contract between the step service and every node type: what a node gets, what it returns.

A node's ``run(ctx) -> NodeResult`` does the node's work and nothing else: no database, no queue.
It raises ``NodeFailed`` for a clean, user-facing failure; the service decides about retries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from pydantic import BaseModel

    from a2n.engine.expressions import ExpressionLimits

MAIN = ("main",)
ConfigT = TypeVar("ConfigT", bound="BaseModel")


@dataclass(frozen=True)
class Credential:
    """A decrypted credential: its id, API.md type and plain data. Never stored or logged as is."""

    id: str
    type: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class WaitRequest:
    """The node goes WAITING: until a time (duration/until), or until resumed (resume mode)."""

    until: datetime | None
    resume: bool = False
    timeout_at: datetime | None = None


@dataclass(frozen=True)
class ChildRequest:
    """sub_workflow: start this workflow with this input; the node waits for the child to end."""

    workflow_id: str
    input: Any


Renew = Callable[[Mapping[str, Any]], Mapping[str, Any]]  # current credential data → data to use


@dataclass(frozen=True)
class NodeContext:
    """Everything one attempt of one node may use. ``config`` is raw: templates are not rendered."""

    execution_id: str
    node_id: str
    node_type: str
    attempt: int
    config: Mapping[str, Any]
    input: Any
    expression_context: Mapping[str, Any]
    credential: Credential | None
    timeout_s: float
    now: datetime
    # Refreshes OAuth2 tokens one run at a time per credential: calls ``renew(current_data)`` under
    # the credential's lock, stores and returns the result. None where nothing can be saved (the node
    # then refreshes for itself and the tokens live for this attempt only).
    refresh_credential: Callable[[Renew], Mapping[str, Any]] | None = None
    # integration nodes: the manifest of the package version the node was saved with (immutable).
    package: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class NodeLog:
    """A line the node's own work wrote (the code node's ``print``), for the execution's logs."""

    ts: datetime
    message: str
    level: str = "INFO"


@dataclass(frozen=True)
class NodeResult:
    """What a node produced. ``secrets`` are values derived at run time (fetched OAuth tokens)
    that the caller must scrub from what it stores, beside the credential's own values."""

    output: Any = None
    handles: tuple[str, ...] = MAIN
    wait: WaitRequest | None = None
    child: ChildRequest | None = None
    webhook_response: Mapping[str, Any] | None = None
    secrets: frozenset[str] = field(default_factory=frozenset)
    logs: tuple[NodeLog, ...] = ()


class NodeFailed(Exception):
    """A clean, user-facing failure. ``retryable`` says whether another attempt may succeed
    (5xx, 429, timeouts, connection errors) or not (4xx, bad config, blocked address)."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        details: Mapping[str, Any] | None = None,
        secrets: frozenset[str] = frozenset(),
        logs: tuple[NodeLog, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.details: dict[str, Any] = dict(details or {})
        self.secrets = secrets
        self.logs = logs  # what the failed run printed before it failed

    def as_error(self) -> dict[str, Any]:
        """The stored error shape: ``{message, retryable, details?}``."""
        error: dict[str, Any] = {"message": self.message, "retryable": self.retryable}
        if self.details:
            error["details"] = self.details
        return error


def render_config(value: Any, ctx: NodeContext) -> Any:
    """``value`` with its templates evaluated; a failing expression fails the node (not retryable)."""
    from a2n.engine.expressions import ExpressionError, render

    try:
        return render(value, ctx.expression_context, expression_limits())
    except ExpressionError as error:
        raise expression_failed(error) from None


def expression_limits() -> ExpressionLimits:
    """The evaluation budget from settings (`A2N_EXPRESSION_MAX_*`)."""
    from a2n.engine.expressions import ExpressionLimits
    from a2n.settings import get_settings

    settings = get_settings()
    return ExpressionLimits(
        max_steps=settings.expression_max_steps,
        max_elements=settings.expression_max_elements,
        max_bytes=settings.expression_max_bytes,
    )


def expression_failed(error: Exception) -> NodeFailed:
    """The node's failure for an expression error; the same input fails the same way every time, so
    never retryable. An exhausted budget names the setting that raises it."""
    from a2n.engine.expressions import ExpressionBudgetExceeded

    message = f"expression failed: {error}"
    if isinstance(error, ExpressionBudgetExceeded):
        message += f" (setting A2N_EXPRESSION_MAX_{error.budget.upper()})"
    return NodeFailed(message)


def parse_config(model: type[ConfigT], ctx: NodeContext) -> ConfigT:
    """The node's raw config through its model (defaults filled); saved definitions are already
    valid, so a failure here means a stale or hand-edited definition: not retryable."""
    from pydantic import ValidationError

    try:
        return model.model_validate(dict(ctx.config))
    except ValidationError as error:
        raise NodeFailed(f"invalid {ctx.node_type} config: {error.errors()[0]['msg']}") from None
