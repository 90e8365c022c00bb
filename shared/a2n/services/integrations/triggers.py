"""App triggers run on the core trigger machinery: at save, a ``trigger.integration`` node is
compiled from its package's manifest into the config of a webhook or poll trigger row (the
provider's signature preset, its event filter, its polling request); the webhook and poll paths
then read the ``app`` part of that config to filter events, answer handshakes and poll.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from a2n.integrations.manifest import DEFAULT_POLL_SCHEDULE

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

APP_TRIGGER = "trigger.integration"
# The synthetic action a polling trigger's request runs as (its output keeps the whole response).
POLL_ACTION = "__poll__"


def compiled_triggers(
    session: Session, workspace_id: uuid.UUID, definition: Mapping[str, Any]
) -> dict[str, Any]:
    """A copy of ``definition`` whose app trigger nodes are replaced by the webhook or poll trigger
    they run as. A node whose package version is not installed is left out: it owns no row (saving
    refuses such a node; an uninstall forced while it was used deactivates nothing else)."""
    from a2n.db.repositories.integrations import IntegrationRepository

    compiled = copy.deepcopy(dict(definition))
    repo = IntegrationRepository(session)
    nodes: list[Any] = []
    for node in compiled.get("nodes") or []:
        if not isinstance(node, dict) or node.get("type") != APP_TRIGGER:
            nodes.append(node)
            continue
        raw = node.get("config")
        config: dict[str, Any] = raw if isinstance(raw, dict) else {}
        name, version = config.get("package"), config.get("version")
        manifest = (
            repo.installed_manifest(workspace_id, name, version)
            if isinstance(name, str) and isinstance(version, str)
            else None
        )
        trigger = ((manifest or {}).get("triggers") or {}).get(config.get("trigger"))
        if manifest is None or not isinstance(trigger, dict):
            continue
        nodes.append({**node, **_compiled(config, trigger)})
    compiled["nodes"] = nodes
    return compiled


def _compiled(config: Mapping[str, Any], trigger: Mapping[str, Any]) -> dict[str, Any]:
    app = {"package": config["package"], "version": config["version"], "trigger": config["trigger"]}
    if trigger["kind"] == "webhook":
        auth = dict(trigger["auth"])
        secret = (config.get("auth") or {}).get("secret")
        if auth["type"] != "none" and secret:
            auth["secret"] = secret
        events = config.get("events")
        app |= {
            "event": trigger["event"],
            "action": trigger.get("action"),
            "events": list(events) if events else list(trigger.get("events") or []),
            "handshake": trigger.get("handshake"),
        }
        return {
            "type": "trigger.webhook",
            "config": {"method": "POST", "mode": "async", "auth": auth, "app": app},
        }
    app |= {"input": config.get("input") or {}}
    return {
        "type": "trigger.poll",
        "config": {
            "app": app,
            "itemsPath": trigger["items"],
            "keyExpression": trigger["key"],
            "expression": config.get("expression") or trigger.get("schedule") or DEFAULT_POLL_SCHEDULE,
            "timezone": config.get("timezone") or "UTC",
        },
    }


# --- webhook deliveries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppGate:
    """What an app trigger makes of an authenticated delivery: start a run, or answer at once."""

    start: bool
    status: int = 200
    body: Any = None
    outcome: str | None = None  # delivery-log outcome of an answer that starts nothing
    detail: str | None = None


def gate_delivery(app: Mapping[str, Any], data: Mapping[str, Any]) -> AppGate:
    """A provider's handshake is answered, an event the workflow does not filter for is acknowledged
    (2xx: the provider must not retry it) and starts nothing, anything else starts the run.
    ``data`` is the trigger data ``{method, path, headers, query, body}``."""
    from a2n.engine.expressions import ExpressionError, evaluate, is_truthy, render
    from a2n.nodes.context import expression_limits

    limits = expression_limits()
    handshake = app.get("handshake")
    try:
        if handshake and is_truthy(evaluate(str(handshake["when"]), data, limits)):
            response = handshake["response"]
            return AppGate(
                False,
                int(response.get("status") or 200),
                render(response["body"], data, limits),
                "handshake",
                "answered the provider's verification request",
            )
        event = evaluate(str(app["event"]), data, limits)
        action = evaluate(str(app["action"]), data, limits) if app.get("action") else None
    except ExpressionError as error:
        return AppGate(False, 200, {"ignored": True}, "filtered", f"event not readable: {error}"[:300])
    names = {str(event)} | ({f"{event}.{action}"} if action is not None else set())
    if event is not None and names & set(app.get("events") or []):
        return AppGate(True)
    shown = f"{event}.{action}" if action is not None else str(event)
    return AppGate(
        False,
        200,
        {"ignored": True, "event": shown[:200]},
        "filtered",
        f"event {shown[:200]!r} is not one this workflow starts on",
    )


# --- polls ---------------------------------------------------------------------------------------------


def poll_action(manifest: Mapping[str, Any], trigger_name: str) -> dict[str, Any]:
    """The manifest with the polling trigger's request as an action whose output is the whole
    response ``{status, headers, body}`` (what ``items`` reads, like a core poll's itemsPath)."""
    trigger = (manifest.get("triggers") or {}).get(trigger_name) or {}
    action = {
        "title": trigger.get("title", trigger_name),
        "credentials": trigger.get("credentials") or [],
        "input": trigger.get("input") or {"type": "object"},
        "request": trigger["request"],
        "output": {
            "status": "{{ response.status }}",
            "headers": "{{ response.headers }}",
            "body": "{{ response.body }}",
        },
    }
    return {**manifest, "actions": {POLL_ACTION: action}}
