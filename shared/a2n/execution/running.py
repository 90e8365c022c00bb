"""A node's run turned into what its completion records, shared by queued steps and inline runs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from a2n.engine.planner import Outcome
from a2n.execution.rows import UNISSUED_RESUME_TOKEN, Completion
from a2n.nodes.context import NodeFailed
from a2n.settings import get_settings
from a2n.storable import json_has_unstorable_text

if TYPE_CHECKING:
    from a2n.nodes.context import NodeResult

ERROR_TEXT_LIMIT = 2000


@dataclass
class Attempt:
    """What the run produced, ready for the completion transaction (already scrubbed)."""

    outcome: Outcome
    completion: Completion = field(default_factory=Completion)
    child: Any = None  # a ChildRequest, started inside the completion transaction


def attempt_from(node_id: str, attempt: int, result: NodeResult) -> Attempt:
    """A node's (checked) result as the completion will record it."""
    if result.wait is not None:
        return _waiting(node_id, attempt, result)
    if result.child is not None:
        return Attempt(Outcome.waiting(node_id, attempt), child=result.child)
    outcome = Outcome.succeeded(node_id, result.output, result.handles, attempt)
    return Attempt(outcome, Completion(webhook_response=result.webhook_response))


def checked_result(result: NodeResult) -> NodeResult:
    """`result` unless it cannot be stored: raises NodeFailed for non-finite numbers or an output
    over the limit, keeping what the run printed. Runs where the node ran (its deadline covers the
    serialisation)."""
    try:
        return _storable(result)
    except NodeFailed as failure:
        failure.logs = failure.logs or result.logs
        raise


def _storable(result: NodeResult) -> NodeResult:
    if result.wait is not None:
        return result
    if result.child is not None:
        storable_json(result.child.input, "sub-workflow input")
        return result
    size = len(storable_json(result.output, "output").encode())
    if result.webhook_response is not None:
        storable_json(result.webhook_response, "webhook response")
    limit = get_settings().node_output_limit_bytes
    if size > limit:
        raise NodeFailed(f"output is {size} bytes, over the limit of {limit}")
    return result


def storable_json(value: Any, what: str) -> str:
    """`value` as stored JSON. JSON (and Postgres' jsonb) has no Infinity or NaN, and jsonb refuses
    NUL and unpaired surrogates: such a value fails the node here, before the completion, with a
    message that says what to change. (A pure node run inline would otherwise fail the whole
    transaction that ran it — a manual start or a webhook delivery included — instead of the node.)"""
    try:
        text = json.dumps(value, separators=(",", ":"), default=str, allow_nan=False)
    except ValueError:
        raise NodeFailed(
            f"the node's {what} contains a non-finite number (Infinity or NaN), which JSON cannot hold;"
            " check the expressions that compute numbers (e.g. to_number of a huge value, an overflowing sum)"
        ) from None
    if json_has_unstorable_text(text, value):
        raise NodeFailed(
            f"the node's {what} contains a NUL character (\\u0000) or an unpaired surrogate, which"
            " Postgres cannot store; remove or replace it in the expressions or data that produce it"
        )
    return text


# What a resume-mode wait shows while it waits; the token itself is never stored.
WAITING_FOR_RESUME = {"waitingForResume": True}


def _waiting(node_id: str, attempt: int, result: NodeResult) -> Attempt:
    """Park the node. A resume-mode wait stores no token (its output only says it waits): the token
    is issued by POST /executions/{id}/resume-token, shown once in that answer, stored as a hash."""
    wait = result.wait
    assert wait is not None
    completion = Completion(wait_until=wait.until if not wait.resume else wait.timeout_at)
    if wait.resume:
        completion.resume_token_hash = UNISSUED_RESUME_TOKEN
        completion.waiting_output = WAITING_FOR_RESUME
    return Attempt(Outcome.waiting(node_id, attempt), completion)




def unexpected_error(error: Exception) -> dict[str, Any]:
    """A bug or an unexpected library error as a node error: the message, never a traceback."""
    return {"message": f"{type(error).__name__}: {error}"[:ERROR_TEXT_LIMIT], "retryable": True}
