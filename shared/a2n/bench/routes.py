"""Every API route's handler called in-process (no HTTP, no authorizer) against local Postgres,
with the events API Gateway would send (§11: CRUD p99 ≤ 25 ms)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from a2n.bench.stats import summary
from a2n.local.apigw import HttpRequest, build_authorizer_event, build_event, match_route
from a2n.local.functions import FunctionHost, context_for
from a2n.local.template import Template


@dataclass(frozen=True)
class RouteCall:
    method: str
    path: str
    body: Any = None


def read_calls(workspace_id: str, workflow_id: str, execution_id: str | None) -> list[RouteCall]:
    """Calls that leave the data as they found it, so N repetitions measure the same work."""
    calls = [
        RouteCall("GET", "/health"),
        RouteCall("GET", "/me"),
        RouteCall("GET", "/workspaces"),
        RouteCall("GET", f"/workspaces/{workspace_id}"),
        RouteCall("GET", "/api-keys"),
        RouteCall("GET", "/workflows"),
        RouteCall("GET", f"/workflows/{workflow_id}"),
        RouteCall("GET", f"/workflows/{workflow_id}/versions"),
        RouteCall("GET", f"/workflows/{workflow_id}/versions/1"),
        RouteCall("GET", f"/workflows/{workflow_id}/export"),
        RouteCall("GET", "/executions"),
        RouteCall("GET", "/credentials"),
        RouteCall("GET", "/audit-logs"),
        RouteCall("GET", "/templates"),
        RouteCall("GET", "/node-types"),
        RouteCall("GET", "/openapi.json"),
    ]
    if execution_id is not None:
        calls += [
            RouteCall("GET", f"/executions/{execution_id}"),
            RouteCall("GET", f"/executions/{execution_id}/logs"),
        ]
    return calls


def write_calls(workflow_id: str, definition: dict[str, Any]) -> list[RouteCall]:
    """Calls that add data (a version, a workflow, an execution) but never invalidate the next call."""
    return [
        RouteCall("POST", "/workflows/validate", {"definition": definition}),
        RouteCall("POST", "/workflows", {"name": "bench", "definition": definition}),
        RouteCall("PUT", f"/workflows/{workflow_id}", {"name": "bench", "definition": definition}),
        RouteCall("POST", f"/workflows/{workflow_id}/execute", {"input": {}}),
    ]


def measure_routes(
    template: Template,
    token: str,
    calls: Sequence[RouteCall],
    repeat: int,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, dict[str, Any]]:
    """Route key → {n, p50, p99, mean, max (ms), status}; the authorizer is measured as its own row."""
    host = FunctionHost(template)
    context = _principal_context(template, host, token)
    results: dict[str, dict[str, Any]] = {"authorizer": _measure_authorizer(template, host, token, repeat)}
    for call in calls:
        request = _request(call, token)
        match = match_route(template.routes, call.method, call.path)
        if match is None:
            results[f"{call.method} {call.path}"] = {"error": "no such route in the template"}
            continue
        handler = host.handler(match.route.function)
        event = build_event(request, match, context)
        lambda_context = context_for(host.function(match.route.function))
        samples, status = _time(partial(handler, event, lambda_context), repeat)
        results[match.route_key] = {**summary(samples), "status": status}
        progress(f"  {match.route_key:<48} p50 {results[match.route_key]['p50']:7.2f} ms")
    return results


def not_measured(template: Template, measured: Sequence[str]) -> list[str]:
    """Template routes without a repeatable call (deletes, state changes, auth entry points …)."""
    keys = {f"{r.method} {r.path}" for r in template.routes}
    return sorted(keys - set(measured))


def _principal_context(template: Template, host: FunctionHost, token: str) -> dict[str, Any]:
    answer = _authorize(template, host, token)
    if not answer.get("isAuthorized"):
        raise RuntimeError("the authorizer refused the bench user's token")
    context: dict[str, Any] = answer["context"]
    return context


def _authorize(template: Template, host: FunctionHost, token: str) -> dict[str, Any]:
    match = match_route(template.routes, "GET", "/workflows")
    assert match is not None and match.route.authorizer is not None
    authorizer = template.authorizers[match.route.authorizer]
    event = build_authorizer_event(
        _request(RouteCall("GET", "/workflows"), token), match, [f"Bearer {token}"]
    )
    lambda_context = context_for(host.function(authorizer.function))
    answer: dict[str, Any] = host.handler(authorizer.function)(event, lambda_context)
    return answer


def _measure_authorizer(template: Template, host: FunctionHost, token: str, repeat: int) -> dict[str, Any]:
    samples, _ = _time(lambda: {"statusCode": 200 if _authorize(template, host, token) else 403}, repeat)
    return {**summary(samples), "status": 200}


def _time(call: Callable[[], Any], repeat: int) -> tuple[list[float], int]:
    call()  # warm: the first call imports and connects, like a cold start (measured elsewhere)
    samples, status = [], 0
    for _ in range(repeat):
        began = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - began) * 1000)
        status = int(result.get("statusCode", 0)) if isinstance(result, dict) else 0
    return samples, status


def _request(call: RouteCall, token: str) -> HttpRequest:
    path, _, query = call.path.partition("?")
    headers = [("authorization", f"Bearer {token}"), ("user-agent", "a2n-bench")]
    body = b""
    if call.body is not None:
        headers.append(("content-type", "application/json"))
        body = json.dumps(call.body).encode()
    return HttpRequest(method=call.method, raw_path=path, raw_query=query, headers=headers, body=body)
