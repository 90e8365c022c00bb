"""trigger.poll fires: run the configured request through the http_request node, pick the items,
and start one execution per item whose key was never seen — keys and executions in one transaction.

The first poll of a trigger only records what exists (like n8n): activating a poll on a feed with
500 old entries must not start 500 runs. ``itemsPath`` reads the response ``{status, headers, body}``;
``keyExpression`` reads one item.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from a2n.errors import A2NError

if TYPE_CHECKING:
    from a2n.db.repositories.triggers import LiveTrigger
    from a2n.db.uow import UnitOfWork
    from a2n.nodes.context import Credential

MAX_ITEMS_PER_POLL = 1000
_POLL_TIMEOUT_S = 30.0


class PollFailed(A2NError):
    """The poll request or item extraction failed; the fire is retried by EventBridge."""

    status, title, type_slug = 502, "Poll failed", "poll-failed"


def poll_once(uow: UnitOfWork, live: LiveTrigger, scheduled_time: datetime) -> tuple[uuid.UUID, ...]:
    """One poll: new items → executions (committed and published here); their ids."""
    from a2n.execution.outbox import publish_outbox

    trigger = live.trigger
    credential = _credential(uow, live)
    if "app" in trigger.config:
        response = _fetch_app(uow, live, credential, scheduled_time)
    else:
        response = _fetch(trigger.config, trigger.id, credential, scheduled_time)
    keyed = keyed_items(trigger.config, response)
    started, messages = _start_new(uow, live, keyed)
    if trigger.consecutive_failures:
        trigger.consecutive_failures = 0
    uow.commit()
    publish_outbox(messages)
    return started


def count_poll_failure(trigger_id: uuid.UUID, reason: str) -> bool:
    """One more failed poll in a row; True when that deactivated the workflow (its schedules gone,
    audited, its owner told)."""
    from a2n.db.models import Workflow, WorkflowTrigger
    from a2n.db.uow import UnitOfWork
    from a2n.services.activation import deactivate_after_errors
    from a2n.services.notification_routing import ensure_sent_eventually, send_after_commit
    from a2n.settings import get_settings

    deliveries: list[uuid.UUID] = []
    with UnitOfWork() as uow:
        trigger = uow.session.get(WorkflowTrigger, trigger_id, with_for_update=True)
        if trigger is None or not trigger.is_active:
            return False
        trigger.consecutive_failures += 1
        failures = trigger.consecutive_failures
        deactivated = failures >= get_settings().poll_failures_to_deactivate
        if deactivated:
            workflow = uow.session.get(Workflow, trigger.workflow_id, with_for_update=True)
            if workflow is not None:
                why = f"its poll trigger {trigger.node_id!r} failed {failures} times in a row ({reason})"
                deliveries = deactivate_after_errors(uow.session, workflow, why)
            ensure_sent_eventually(deliveries, datetime.now(UTC))
        uow.commit()
    send_after_commit(deliveries)
    return deactivated


def keyed_items(config: dict[str, Any], response: Any) -> dict[str, Any]:
    """The response's items by key (first occurrence wins); items without a key are skipped."""
    from a2n.engine.expressions import ExpressionError, evaluate
    from a2n.nodes.context import expression_limits

    limits = expression_limits()
    try:
        items = evaluate(str(config["itemsPath"]), response, limits)
    except ExpressionError as error:
        raise PollFailed(f"itemsPath failed: {error}") from None
    if not isinstance(items, list):
        items = [] if items is None else [items]
    keyed: dict[str, Any] = {}
    for item in items[:MAX_ITEMS_PER_POLL]:
        try:
            key = evaluate(str(config["keyExpression"]), item, limits)
        except ExpressionError:
            continue
        if key is not None:
            keyed.setdefault(key if isinstance(key, str) else json.dumps(key, sort_keys=True), item)
    return keyed


def _start_new(
    uow: UnitOfWork, live: LiveTrigger, keyed: dict[str, Any]
) -> tuple[tuple[uuid.UUID, ...], list[Any]]:
    from a2n.db.enums import ExecutionMode
    from a2n.db.repositories.triggers import PollSeenItemRepository
    from a2n.execution.links import start_execution
    from a2n.execution.start import StartRequest

    seen = PollSeenItemRepository(uow.session)
    first_poll = not seen.has_any(live.trigger.id)
    new_keys = seen.record_new(live.trigger.id, list(keyed))
    if first_poll:
        return (), []
    fresh = _admitted(uow, live, [k for k in keyed if k in new_keys], seen)
    ids: list[uuid.UUID] = []
    messages: list[Any] = []
    for key in fresh:
        request = StartRequest(
            workflow_id=live.workflow.id,
            workspace_id=live.workflow.workspace_id,
            mode=ExecutionMode.POLL,
            trigger_data=keyed[key],
            trigger_node_id=live.trigger.node_id,
            trigger_id=live.trigger.id,
        )
        started, outbox = start_execution(uow.session, request)
        ids.append(started.execution_id)
        messages.extend(outbox)
    return tuple(ids), messages


def _admitted(uow: UnitOfWork, live: LiveTrigger, fresh: list[str], seen: Any) -> list[str]:
    """The new items the workspace's start rate lets through now; the rest are un-seen, so the next
    poll starts them (delayed, never lost), and the skip is recorded for the owner."""
    from a2n.services.start_limits import admit_starts, record_skipped_fire

    admitted = admit_starts(uow.session, live.workflow.workspace_id, len(fresh))
    deferred = fresh[admitted:]
    if deferred:
        seen.forget(live.trigger.id, deferred)
        details = {"triggerId": str(live.trigger.id), "nodeId": live.trigger.node_id, "mode": "poll",
                   "started": admitted, "deferred": len(deferred)}  # fmt: skip
        record_skipped_fire(
            uow.session, live.workflow.workspace_id, workflow_id=live.workflow.id, details=details
        )
    return fresh[:admitted]


def _credential(uow: UnitOfWork, live: LiveTrigger) -> Credential | None:
    from a2n.nodes.context import Credential
    from a2n.services.activation import running_definition

    nodes: list[dict[str, Any]] = list(running_definition(live.workflow).get("nodes", []))
    node = next((n for n in nodes if n.get("id") == live.trigger.node_id), {})
    credential_id = node.get("credentialId")
    if not credential_id:
        return None
    from a2n.db.repositories.credentials import UseSite
    from a2n.services.credentials import load_for_node

    site = UseSite(live.workflow.id, live.trigger.node_id)
    opened = load_for_node(
        uow.session, workspace_id=live.workflow.workspace_id, credential_id=credential_id, site=site
    )
    return Credential(id=opened.id, type=opened.type, data=opened.data)


def _fetch(config: dict[str, Any], trigger_id: uuid.UUID, credential: Credential | None, at: datetime) -> Any:
    """The http_request node's output for the poll's request (same SSRF guard, same credentials)."""
    from a2n.engine.expressions import expression_context
    from a2n.nodes.context import NodeContext, NodeFailed
    from a2n.nodes.http_request import run

    context = expression_context(
        trigger={"scheduledTime": at.astimezone(UTC).isoformat()},
        input=None,
        nodes={},
        variables={},
        execution={"id": f"poll-{trigger_id}", "startedAt": at.isoformat(), "mode": "poll"},
    )
    ctx = NodeContext(
        execution_id=f"poll-{trigger_id}",
        node_id="poll",
        node_type="http_request",
        attempt=1,
        config=config["request"],
        input=None,
        expression_context=context,
        credential=credential,
        timeout_s=_POLL_TIMEOUT_S,
        now=datetime.now(UTC),
    )
    try:
        return run(ctx).output
    except NodeFailed as failure:
        raise PollFailed(f"poll request failed: {failure.message}") from None


def _fetch_app(uow: UnitOfWork, live: LiveTrigger, credential: Credential | None, at: datetime) -> Any:
    """An app trigger's polling request, run by the integration interpreter (the package's hosts,
    credential types and error rules); ``{status, headers, body}`` like ``_fetch``'s."""
    from a2n.nodes.context import NodeContext, NodeFailed
    from a2n.nodes.http.actions import ActionCall, run_action
    from a2n.services.integrations.installs import manifest_for_run
    from a2n.services.integrations.triggers import POLL_ACTION, poll_action

    app = live.trigger.config["app"]
    manifest = manifest_for_run(uow.session, live.workflow.workspace_id, app)
    if manifest is None:
        package = f"{app.get('package')!r} {app.get('version')!r}"
        raise PollFailed(f"package {package} is not installed in this workspace")
    ctx = NodeContext(
        execution_id=f"poll-{live.trigger.id}", node_id="poll", node_type="trigger.integration", attempt=1,
        config={}, input=None, expression_context={}, credential=credential, timeout_s=_POLL_TIMEOUT_S,
        now=at,
    )  # fmt: skip
    call = ActionCall(poll_action(manifest, str(app["trigger"])), POLL_ACTION, app.get("input") or {})
    try:
        return run_action(ctx, call).output
    except NodeFailed as failure:
        raise PollFailed(f"poll request failed: {failure.message}") from None
