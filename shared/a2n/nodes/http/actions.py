"""The integration interpreter: one action of a package manifest, run through the HTTP node's own
machinery (guarded transport, credentials and OAuth2 refresh, body encoding, scrubbing) with the
package's host allow-list enforced on every hop, pagination with a page cap, and error mapping.

Two renderings, never mixed: the node's ``input`` is rendered against the workflow (trigger, nodes,
vars…); the manifest's templates are rendered against ``{input, credential}`` only, so user text is
data there and a package sees no credential but the one its node was given.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from a2n.nodes.context import Credential, NodeContext, NodeFailed, NodeResult, Renew, expression_failed
from a2n.nodes.http.client import InboundResponse, OutboundRequest, Transport, without_query
from a2n.nodes.http.credentials import Authorization
from a2n.nodes.http.message import as_text, encode_body, response_output, url_with_query

DEFAULT_TIMEOUT_MS = 30_000
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;[^,]*rel="?next"?', re.IGNORECASE)


@dataclass(frozen=True)
class ActionCall:
    """One action to run: the package's manifest, the action's name and the rendered input."""

    manifest: Mapping[str, Any]
    action: str
    input: Any


def run_action(ctx: NodeContext, call: ActionCall) -> NodeResult:
    """The action's mapped output, or NodeFailed (retryable as its error rules or status say)."""
    from a2n.settings import get_settings

    action = _action(call)
    check_input(action["input"], call.input)
    credential = credential_for(ctx.credential, call.manifest, action.get("credentials") or [])
    settings = get_settings()
    request = action["request"]
    timeout_s = min(int(request.get("timeoutMs") or DEFAULT_TIMEOUT_MS) / 1000, ctx.timeout_s)
    transport = Transport(
        deadline=time.monotonic() + timeout_s,
        allow_networks=tuple(settings.http_allow_networks),
        max_body_bytes=settings.node_output_limit_bytes,
        allowed_hosts=allowed_hosts(call.manifest, credential),
    )
    auth = Authorization()
    try:
        auth = apply_credential(ctx, call.manifest, credential, transport)
        responses, items = _pages(
            ctx, call, action=action, auth=auth, transport=transport, credential=credential
        )
        output = _mapped_output(action, responses[-1], items, call.input)
    except NodeFailed as failure:
        failure.secrets |= auth.secrets
        raise
    return NodeResult(output=output, secrets=auth.secrets)


def _action(call: ActionCall) -> Mapping[str, Any]:
    action = (call.manifest.get("actions") or {}).get(call.action)
    if action is None:
        raise NodeFailed(f"package {call.manifest.get('name')!r} has no action {call.action!r}")
    return dict(action)


def check_input(schema: Mapping[str, Any], value: Any) -> None:
    """The rendered input against the action's input schema (it may only be checked once its
    expressions have values); the first problem fails the node, not retryable."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft202012Validator(schema).iter_errors(value))
    if error is not None:
        where = "".join(f"/{part}" for part in error.absolute_path) or "/"
        raise NodeFailed(f"input does not match the action's schema at {where}: {error.message[:300]}")


# --- credentials --------------------------------------------------------------------------------


def credential_type_name(package: str, credential: str) -> str:
    """The credential ``type`` of a package's credential type, e.g. ``slack:bot_token``."""
    return f"{package}:{credential}"


def credential_for(
    credential: Credential | None, manifest: Mapping[str, Any], accepted: list[str]
) -> tuple[Credential, Mapping[str, Any]] | None:
    """The node's credential with its declared type, if the action accepts it. A package never sees
    a credential of another package or of a generic type, even one its node names."""
    if credential is None:
        if accepted:
            raise NodeFailed(f"this action needs a credential of type {_types(manifest, accepted)}")
        return None
    declared = manifest.get("credentials") or {}
    for name in accepted:
        if credential.type == credential_type_name(manifest["name"], name):
            return credential, declared[name]
    raise NodeFailed(
        f"credential type {credential.type!r} cannot be used by this action; it accepts "
        f"{_types(manifest, accepted) if accepted else 'no credential'}"
    )


def _types(manifest: Mapping[str, Any], names: list[str]) -> str:
    return " or ".join(repr(credential_type_name(manifest["name"], name)) for name in names)


def allowed_hosts(
    manifest: Mapping[str, Any], credential: tuple[Credential, Mapping[str, Any]] | None
) -> tuple[str, ...]:
    """The package's hosts plus the hosts of credential fields declared ``egressHost`` (a base URL
    the user chose, e.g. an OpenAI-compatible server)."""
    from a2n.integrations.hosts import url_host

    hosts = list(manifest["hosts"])
    if credential is not None:
        data, declared = credential[0].data, credential[1]
        for name, field in (declared.get("fields") or {}).items():
            host = url_host(str(data.get(name) or "")) if field.get("egressHost") else None
            if host:
                hosts.append(host)
    return tuple(dict.fromkeys(hosts))


def apply_credential(
    ctx: NodeContext,
    manifest: Mapping[str, Any],
    credential: tuple[Credential, Mapping[str, Any]] | None,
    transport: Transport,
    *,
    force_refresh: bool = False,
) -> Authorization:
    """What the credential type's ``apply`` puts on every request of this run, with the forms the
    secret travels in (a Basic pair, its token) among the secrets to scrub."""
    if credential is None:
        return Authorization()
    row, declared = credential
    apply = declared["apply"]
    if apply["type"] == "oauth2":
        return _oauth2_authorization(ctx, row, apply, transport, force_refresh)
    values = _render_manifest({k: v for k, v in apply.items() if k != "type"}, {"credential": dict(row.data)})
    return _static_authorization(apply, {key: as_text(value) for key, value in values.items()})


def _static_authorization(apply: Mapping[str, Any], texts: Mapping[str, str]) -> Authorization:
    from a2n.nodes.http.credentials import basic_auth, bearer_auth, header_auth
    from a2n.nodes.secrets import basic_token

    kind = apply["type"]
    if kind == "bearer":
        return bearer_auth(texts["token"])
    if kind == "basic":
        user, password = texts["username"], texts["password"]
        derived = frozenset({f"{user}:{password}", basic_token(user, password)})
        return replace(basic_auth({"username": user, "password": password}), secrets=derived)
    if kind == "header":
        return header_auth(apply["name"], texts["value"])
    if kind == "query":
        return Authorization(query={apply["name"]: texts["value"]}, secrets=frozenset({texts["value"]}))
    # "none": the request templates use the credential's fields themselves (a token in the path).
    return Authorization()


# The connect flow stores the client and the tokens; where tokens come from is the manifest's.
_OAUTH2_DESCRIPTORS = ("tokenUrl", "clientAuth")


def _oauth2_authorization(
    ctx: NodeContext, row: Credential, apply: Mapping[str, Any], transport: Transport, force: bool
) -> Authorization:
    """The HTTP node's OAuth2 bearer and refresh, with the token URL and client authentication of
    the installed manifest — also inside a refresh that re-reads the stored credential under its
    lock, whose data holds neither (and must not be made to store them)."""
    from a2n.nodes.http.credentials import oauth2_auth

    if not row.data.get("accessToken") and not row.data.get("refreshToken"):
        raise NodeFailed(
            f"credential {row.id} is not connected yet: connect it with "
            f"POST /credentials/{row.id}/oauth2/authorize"
        )
    descriptors = {"tokenUrl": apply["tokenUrl"], "clientAuth": apply.get("clientAuth", "body")}

    def stored(data: Mapping[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in data.items() if key not in _OAUTH2_DESCRIPTORS}

    refresh = ctx.refresh_credential
    if refresh is not None:
        store = refresh

        def described(renew: Renew) -> Mapping[str, Any]:
            return {**store(lambda current: stored(renew({**current, **descriptors}))), **descriptors}

        ctx = replace(ctx, refresh_credential=described)
    described_row = Credential(row.id, "oauth2", {**stored(row.data), **descriptors})
    return oauth2_auth(ctx, described_row, transport, force)


# --- requests and pages ---------------------------------------------------------------------------


def _pages(
    ctx: NodeContext,
    call: ActionCall,
    *,
    action: Mapping[str, Any],
    auth: Authorization,
    transport: Transport,
    credential: tuple[Credential, Mapping[str, Any]] | None,
) -> tuple[list[dict[str, Any]], list[Any] | None]:
    """Every page's response (``{status, headers, body}``) and, when paginated, their items."""
    from a2n.settings import get_settings

    pagination = action.get("pagination")
    cap = min(int(pagination["maxPages"]), get_settings().integration_max_pages) if pagination else 1
    context = {"input": call.input, "credential": dict(credential[0].data) if credential else {}}
    request = build_request(ctx, action["request"], context, auth)
    responses: list[dict[str, Any]] = []
    items: list[Any] = []
    offset = int(pagination.get("start", 0)) if pagination else 0
    for _ in range(cap):
        response, auth = _send(
            ctx,
            call.manifest,
            credential=credential,
            transport=transport,
            request=request,
            auth=auth,
            action=action,
        )
        responses.append(response)
        if pagination is None:
            return responses, None
        page_items = _page_items(pagination, response)
        items.extend(page_items)
        offset += len(page_items)
        following = _next_request(pagination, request, response, page_items, offset)
        if following is None:
            break
        request = following
    return responses, items


def build_request(
    ctx: NodeContext, template: Mapping[str, Any], context: Mapping[str, Any], auth: Authorization
) -> OutboundRequest:
    """The manifest's request template rendered over ``{input, credential}``: keys that render to
    null are left out (optional inputs), the credential's headers and query win over the template's."""
    fields = {key: template.get(key) for key in ("url", "headers", "query", "body")}
    rendered = _without_nulls(_render_manifest(fields, context))
    url = rendered.get("url")
    if not isinstance(url, str) or not url:
        raise NodeFailed("the action's url must render to a non-empty string")
    query = {str(k): as_text(v) for k, v in (rendered.get("query") or {}).items()} | auth.query
    body, content_type = encode_body(rendered.get("body"), str(template.get("bodyType") or "json"))
    headers = {str(k): as_text(v) for k, v in (rendered.get("headers") or {}).items()}
    present = {name.lower() for name in headers}
    defaults = {"Content-Type": content_type, "Accept": "application/json", "User-Agent": _user_agent()}
    if template["method"] != "GET":
        defaults["Idempotency-Key"] = f"{ctx.execution_id}:{ctx.node_id}"  # receivers dedupe our retries
    headers |= {k: v for k, v in defaults.items() if v is not None and k.lower() not in present}
    headers = {k: v for k, v in headers.items() if k.lower() not in auth.sensitive_headers} | auth.headers
    for name, value in headers.items():
        if any(c in name or c in value for c in "\r\n"):
            raise NodeFailed(f"header '{name}' contains a line break")
    return OutboundRequest(template["method"], url_with_query(url, query), headers, body)


def _send(
    ctx: NodeContext,
    manifest: Mapping[str, Any],
    *,
    credential: tuple[Credential, Mapping[str, Any]] | None,
    transport: Transport,
    request: OutboundRequest,
    auth: Authorization,
    action: Mapping[str, Any],
) -> tuple[dict[str, Any], Authorization]:
    """One page, with one token refresh when an OAuth2 credential's token is refused (401)."""
    from a2n.nodes.secrets import secret_values, travelling_forms

    response = transport.send(request, auth.sensitive_headers)
    oauth2 = credential is not None and credential[1]["apply"]["type"] == "oauth2"
    if oauth2 and response.status == 401 and not auth.refreshed:
        fresh = apply_credential(ctx, manifest, credential, transport, force_refresh=True)
        request = _reauthorized(request, auth, fresh)
        auth = Authorization(
            fresh.headers, fresh.query, fresh.sensitive_headers, auth.secrets | fresh.secrets, refreshed=True
        )
        response = transport.send(request, auth.sensitive_headers)
    forms = travelling_forms(secret_values(credential[0] if credential else None) | auth.secrets)
    output = response_output(response, "auto", forms)
    _raise_mapped_error(action, output, response)
    return output, auth


def _reauthorized(request: OutboundRequest, old: Authorization, fresh: Authorization) -> OutboundRequest:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in old.sensitive_headers}
    return OutboundRequest(request.method, request.url, headers | fresh.headers, request.body)


def _raise_mapped_error(action: Mapping[str, Any], output: dict[str, Any], response: InboundResponse) -> None:
    """The first error rule whose ``when`` holds decides; otherwise a 4xx/5xx fails as the HTTP node
    does (retryable for 429 and 5xx)."""
    from a2n.engine.expressions import ExpressionError, evaluate, is_truthy
    from a2n.nodes.context import expression_limits

    for rule in action.get("errors") or []:
        try:
            matched = is_truthy(evaluate(rule["when"], output, expression_limits()))
        except ExpressionError as error:
            raise expression_failed(error) from None
        if matched:
            message = _render_manifest(rule.get("message") or "", output) or f"HTTP {response.status}"
            raise NodeFailed(
                str(message),
                retryable=bool(rule["retryable"]),
                details={"status": response.status, "url": without_query(response.url)},
            )
    if response.status >= 400:
        raise NodeFailed(
            f"HTTP {response.status} from {without_query(response.url)}",
            retryable=response.status == 429 or response.status >= 500,
            details={"status": response.status, "body": _excerpt(output.get("body"))},
        )


def _page_items(pagination: Mapping[str, Any], response: Mapping[str, Any]) -> list[Any]:
    found = _evaluate(pagination["items"], response)
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def _next_request(
    pagination: Mapping[str, Any],
    request: OutboundRequest,
    response: Mapping[str, Any],
    page_items: list[Any],
    offset: int,
) -> OutboundRequest | None:
    kind = pagination["type"]
    if kind == "link":
        match = _LINK_NEXT.search(str(response["headers"].get("link", "")))
        if match is None:
            return None
        from urllib.parse import urljoin

        return OutboundRequest(
            request.method, urljoin(request.url, match.group(1)), request.headers, request.body
        )
    if kind == "cursor":
        cursor = _evaluate(pagination["next"], response)
        if cursor in (None, "", False):
            return None
        return _with_param(request, pagination, as_text(cursor))
    if len(page_items) < int(pagination["pageSize"]):
        return None  # a short page is the last one
    return _with_param(request, pagination, str(offset))


def _with_param(request: OutboundRequest, pagination: Mapping[str, Any], value: str) -> OutboundRequest:
    import json

    name = str(pagination["param"])
    if pagination.get("in", "query") == "query":
        return OutboundRequest(
            request.method, url_with_query(request.url, {name: value}), request.headers, request.body
        )
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise NodeFailed(f"pagination puts '{name}' in the body, which needs a JSON object body")
    body[name] = value
    encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return OutboundRequest(request.method, request.url, request.headers, encoded)


# --- output -----------------------------------------------------------------------------------------


def _mapped_output(
    action: Mapping[str, Any], response: Mapping[str, Any], items: list[Any] | None, input_value: Any
) -> Any:
    context = {"response": response, "items": items, "input": input_value}
    if "output" not in action:
        return {"items": items} if items is not None else response.get("body")
    return _render_manifest(action["output"], context)


def _render_manifest(value: Any, context: Mapping[str, Any]) -> Any:
    from a2n.engine.expressions import ExpressionError, render
    from a2n.nodes.context import expression_limits

    try:
        return render(value, context, expression_limits())
    except ExpressionError as error:
        raise expression_failed(error) from None


def _evaluate(expression: str, value: Any) -> Any:
    from a2n.engine.expressions import ExpressionError, evaluate
    from a2n.nodes.context import expression_limits

    try:
        return evaluate(expression, value, expression_limits())
    except ExpressionError as error:
        raise expression_failed(error) from None


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _excerpt(body: Any) -> Any:
    import json

    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return body if len(text) <= 2048 else text[:2048] + "…"


def _user_agent() -> str:
    from a2n import __version__

    return f"a2n/{__version__}"
