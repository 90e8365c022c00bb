"""trigger.webhook: starts a workflow from ``ANY /webhooks/{token}``.

The auth secret is moved out of the definition and stored encrypted when the workflow is saved,
so a missing secret is an activation problem (see ``activation_problems``), not a save problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from a2n.errors import Problem
from a2n.nodes.config import HttpMethod, NodeConfig
from a2n.nodes.spec import NodeSpec

STANDARD_KEY_FORM = "a standard-webhooks secret is 'whsec_' followed by base64, as the sender shows it"
# API Gateway's HTTP API cuts integrations at 30 s; leave room for the answer itself.
MAX_SYNC_TIMEOUT_MS = 29_000


class WebhookAuth(NodeConfig):
    """How a caller proves itself: nothing, a header secret, basic auth or an HMAC signature."""

    type: Literal["none", "header", "basic", "hmac"] = "none"
    preset: Literal["generic", "github", "stripe", "slack", "standard-webhooks"] | None = None
    header: (
        Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")] | None
    ) = None
    secret: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    username: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    password: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    toleranceSeconds: Annotated[int, Field(ge=1, le=3600)] = 300

    @model_validator(mode="after")
    def _preset_needs_hmac(self) -> WebhookAuth:
        if self.preset is not None and self.type != "hmac":
            raise ValueError("preset applies only to auth type 'hmac'")
        return self

    @field_validator("secret")
    @classmethod
    def _standard_webhooks_secret_is_a_key(cls, secret: str | None, info: ValidationInfo) -> str | None:
        # A Standard Webhooks secret is a key: base64 after `whsec_`. A typo would otherwise only
        # show as every delivery refused. The stored-secret mask (all '*') is not judged here.
        if info.data.get("preset") != "standard-webhooks" or secret is None or set(secret) == {"*"}:
            return secret
        from a2n.webhooks.signatures import SignatureInvalid, standard_webhooks_key

        try:
            standard_webhooks_key(secret.encode())
        except SignatureInvalid:
            raise ValueError(STANDARD_KEY_FORM) from None
        return secret


class WebhookTriggerConfig(NodeConfig):
    """Allowed method, response mode and caller authentication."""

    method: HttpMethod | Literal["ANY"] = "POST"
    mode: Literal["async", "sync"] = "async"
    syncTimeoutMs: Annotated[int, Field(ge=1000, le=MAX_SYNC_TIMEOUT_MS)] | None = None
    auth: WebhookAuth = Field(default_factory=WebhookAuth)


def activation_problems(config: Mapping[str, Any], pointer: str) -> list[Problem]:
    """What must be present before the webhook may accept calls (SECURITY case 26).

    ``config`` is the node's stored config; the caller passes whether a secret is stored by
    leaving ``auth.secret`` (or a placeholder) in it.
    """
    auth = config.get("auth") or {}
    kind = auth.get("type", "none")
    required = {"header": ("header", "secret"), "hmac": ("secret",), "basic": ("username", "password")}
    return [
        Problem(f"{pointer}/auth/{field}", f"auth type '{kind}' needs '{field}' before activation")
        for field in required.get(kind, ())
        if not auth.get(field)
    ]


SPEC = NodeSpec(
    type="trigger.webhook",
    name="Webhook trigger",
    category="trigger",
    description="Starts the workflow when its webhook URL is called; outputs the HTTP request.",
    config_model=WebhookTriggerConfig,
    output_schema={
        "type": "object",
        "properties": {
            "method": {"type": "string"},
            "path": {"type": "string"},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "query": {"type": "object", "additionalProperties": {"type": "string"}},
            "body": {"description": "Parsed JSON, form fields or raw text."},
        },
        "required": ["method", "path", "headers", "query", "body"],
    },
    inputs=(),
    is_trigger=True,
)
