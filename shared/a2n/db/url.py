"""Where the database is and how to reach it: URL resolution, driver rewrite, SSL and timeouts.

Pure functions of the settings (plus one Secrets Manager read in the cloud), kept apart from the
engine so they are easy to test.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

from sqlalchemy.engine import URL, make_url

from a2n.errors import ConfigurationError
from a2n.settings import Settings

_LOOPBACK = {"localhost", "127.0.0.1", "::1", ""}
_NO_DATABASE = (
    "No database configured: run `a2n dev` (embedded Postgres) or set DATABASE_URL "
    "(or A2N_DATABASE_SECRET_ARN in the cloud)."
)


def resolve_database_url(settings: Settings) -> URL:
    """The pg8000 URL from settings.database_url, else from the Secrets Manager secret; its host
    replaced by settings.database_host when set (an RDS Proxy in front of the database)."""
    if settings.database_url:
        url = to_pg8000_url(settings.database_url)
    elif settings.database_secret_arn:
        from a2n.adapters.secrets import get_secret_string

        url = url_from_secret(get_secret_string(settings.database_secret_arn))
    else:
        raise ConfigurationError(_NO_DATABASE)
    return url.set(host=settings.database_host) if settings.database_host else url


def to_pg8000_url(raw: str) -> URL:
    """Accept postgres:// and postgresql:// (what providers hand out) and pin the pg8000 driver."""
    url = make_url(raw.replace("postgres://", "postgresql://", 1) if raw.startswith("postgres://") else raw)
    if url.get_backend_name() != "postgresql":
        raise ConfigurationError(f"Unsupported database URL scheme {url.drivername!r}; use postgresql://")
    # libpq-only query options (sslmode, channel_binding) mean nothing to pg8000; SSL comes from settings.
    query = {k: v for k, v in url.query.items() if k not in {"sslmode", "channel_binding"}}
    return url.set(drivername="postgresql+pg8000", query=query)


def url_from_secret(secret: str) -> URL:
    """A secret is either a plain URL or the RDS JSON shape {username, password, host, port, dbname}."""
    text = secret.strip()
    if not text.startswith("{"):
        return to_pg8000_url(text)
    fields: dict[str, Any] = json.loads(text)
    return URL.create(
        "postgresql+pg8000",
        username=fields.get("username"),
        password=fields.get("password"),
        host=fields.get("host"),
        port=int(fields.get("port", 5432)),
        database=fields.get("dbname") or fields.get("database") or "postgres",
    )


def ssl_context_for(url: URL, mode: str) -> ssl.SSLContext | None:
    """SSL per settings.database_ssl: auto = require unless the host is loopback."""
    if mode == "auto":
        mode = "disable" if (url.host or "") in _LOOPBACK else "require"
    if mode == "disable":
        return None
    if mode == "verify":
        return ssl.create_default_context()
    if mode == "require":
        # Encrypt without verifying, like libpq's sslmode=require (managed providers rotate CAs).
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    raise ConfigurationError(f"A2N_DATABASE_SSL must be auto, require, verify or disable, not {mode!r}")


def connect_args_for(url: URL, settings: Settings) -> dict[str, Any]:
    """pg8000 connect() arguments: SSL, connect timeout and the server-side statement and idle
    session timeouts."""
    args: dict[str, Any] = {
        "timeout": settings.database_connect_timeout_s,
        "application_name": settings.service_name,
    }
    context = ssl_context_for(url, settings.database_ssl)
    if context is not None:
        args["ssl_context"] = context
    # Sent in the startup packet: no extra round trip per connection.
    options = []
    if settings.database_statement_timeout_ms > 0:
        options.append(f"-c statement_timeout={settings.database_statement_timeout_ms}")
    if settings.database_idle_session_timeout_s > 0:
        # Postgres ≥ 14; ends idle sessions so an idle stack holds no connection (scale to zero).
        options.append(f"-c idle_session_timeout={settings.database_idle_session_timeout_s * 1000}")
    if options:
        args["startup_params"] = {"options": " ".join(options)}
    return args
