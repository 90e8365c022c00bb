"""One http_request attempt: render the config, apply the credential, send through the guarded
transport, retry once with a refreshed token on an oauth2 401, and turn the response into output.
"""

from __future__ import annotations

import json
import time
from typing import Any

from a2n.nodes.context import NodeContext, NodeFailed, NodeResult, parse_config, render_config
from a2n.nodes.http.client import InboundResponse, OutboundRequest, Transport, without_query
from a2n.nodes.http.credentials import Authorization, authorize
from a2n.nodes.http.message import as_text, encode_body, response_output, url_with_query

ERROR_BODY_EXCERPT = 2048


def call(ctx: NodeContext) -> NodeResult:
    """The node's output ``{status, headers, body}``, or NodeFailed (retryable for 429/5xx)."""
    from a2n.nodes.http_request import HttpRequestConfig
    from a2n.settings import get_settings

    config = parse_config(HttpRequestConfig, ctx)
    settings = get_settings()
    transport = Transport(
        deadline=time.monotonic() + min(config.timeoutMs / 1000, ctx.timeout_s),
        allow_networks=tuple(settings.http_allow_networks),
        max_body_bytes=settings.node_output_limit_bytes,
    )
    fields = {"url": config.url, "headers": config.headers, "query": config.query, "body": config.body}
    rendered = render_config(fields, ctx)
    auth = Authorization()
    try:
        auth = authorize(ctx, transport)
        response = transport.send(_request(config, rendered, auth, ctx), auth.sensitive_headers)
        if _oauth2_rejected(ctx, auth, response):
            auth = authorize(ctx, transport, force_refresh=True)
            response = transport.send(_request(config, rendered, auth, ctx), auth.sensitive_headers)
        output = response_output(response, config.responseType, _secret_forms(ctx, auth))
    except NodeFailed as failure:
        failure.secrets |= auth.secrets
        raise
    if config.failOnStatus and response.status >= 400:
        raise NodeFailed(
            f"HTTP {response.status} from {without_query(response.url)}",
            retryable=response.status == 429 or response.status >= 500,
            details={"status": response.status, "body": _excerpt(output["body"])},
            secrets=auth.secrets,
        )
    return NodeResult(output=output, secrets=auth.secrets)


def _request(config: Any, rendered: dict[str, Any], auth: Authorization, ctx: NodeContext) -> OutboundRequest:
    url = rendered["url"]
    if not isinstance(url, str) or not url:
        raise NodeFailed("'url' must render to a non-empty string")
    query = {str(k): as_text(v) for k, v in (rendered["query"] or {}).items()} | auth.query
    body, content_type = encode_body(rendered["body"], config.bodyType)
    headers = {str(k): as_text(v) for k, v in (rendered["headers"] or {}).items()}
    defaults = {
        "Content-Type": content_type,
        "Idempotency-Key": f"{ctx.execution_id}:{ctx.node_id}",  # receivers dedupe our retries
        "User-Agent": _user_agent(),
    }
    present = {name.lower() for name in headers}
    headers |= {k: v for k, v in defaults.items() if v is not None and k.lower() not in present}
    # The credential wins over a same-named header typed into the config.
    headers = {k: v for k, v in headers.items() if k.lower() not in auth.sensitive_headers} | auth.headers
    for name, value in headers.items():
        if any(c in name or c in value for c in "\r\n"):
            raise NodeFailed(f"header '{name}' contains a line break")
    return OutboundRequest(config.method, url_with_query(url, query), headers, body)


def _oauth2_rejected(ctx: NodeContext, auth: Authorization, response: InboundResponse) -> bool:
    # One refresh per attempt: a token rejected right after a refresh is a real 401.
    credential = ctx.credential
    return (
        credential is not None
        and credential.type == "oauth2"
        and response.status == 401
        and not auth.refreshed
    )


def _secret_forms(ctx: NodeContext, auth: Authorization) -> frozenset[str]:
    from a2n.nodes.secrets import secret_values, travelling_forms

    return travelling_forms(secret_values(ctx.credential) | auth.secrets)


def _excerpt(body: Any) -> Any:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    if len(text) <= ERROR_BODY_EXCERPT:
        return body
    return text[:ERROR_BODY_EXCERPT] + "…"


def _user_agent() -> str:
    from a2n import __version__

    return f"a2n/{__version__}"
