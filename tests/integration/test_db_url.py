"""How the app finds and reaches its database: URL forms, RDS secrets, SSL and timeouts."""

from __future__ import annotations

import json
import ssl
from typing import Any

import boto3
import pytest
from sqlalchemy import text

from a2n.db.session import get_engine
from a2n.db.url import connect_args_for, resolve_database_url, ssl_context_for, to_pg8000_url
from a2n.errors import ConfigurationError
from a2n.settings import Settings


@pytest.mark.parametrize(
    "raw",
    ["postgres://u:p@db.example.com/app", "postgresql://u:p@db.example.com/app?sslmode=require"],
)
def test_provider_urls_are_rewritten_to_pg8000_without_libpq_options(raw: str) -> None:
    url = to_pg8000_url(raw)

    assert url.drivername == "postgresql+pg8000"
    assert (url.host, url.database, url.password) == ("db.example.com", "app", "p")
    assert "sslmode" not in url.query


def test_non_postgres_urls_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        to_pg8000_url("mysql://u@h/db")


def test_ssl_auto_requires_encryption_for_remote_hosts_only() -> None:
    remote = ssl_context_for(to_pg8000_url("postgresql://u@ep-x.neon.tech/db"), "auto")
    assert remote is not None and remote.verify_mode == ssl.CERT_NONE
    assert ssl_context_for(to_pg8000_url("postgresql://u@127.0.0.1/db"), "auto") is None
    verified = ssl_context_for(to_pg8000_url("postgresql://u@127.0.0.1/db"), "verify")
    assert verified is not None and verified.verify_mode == ssl.CERT_REQUIRED


def test_statement_and_idle_session_timeouts_travel_in_the_startup_packet() -> None:
    url = to_pg8000_url("postgresql://u@127.0.0.1/db")
    args = connect_args_for(url, Settings(database_statement_timeout_ms=1234))
    off = Settings(database_statement_timeout_ms=0, database_idle_session_timeout_s=0)
    neither = connect_args_for(url, off)

    assert args["startup_params"] == {"options": "-c statement_timeout=1234 -c idle_session_timeout=60000"}
    assert "startup_params" not in neither


def test_without_url_or_secret_the_error_says_what_to_do() -> None:
    with pytest.raises(ConfigurationError, match="a2n dev"):
        resolve_database_url(Settings(database_url=None, database_secret_arn=None))


def test_engine_enforces_the_statement_timeout(database_url: str, app_env: Any) -> None:
    app_env.setenv("A2N_DATABASE_STATEMENT_TIMEOUT_MS", "100")
    app_env.apply()

    with get_engine().connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "100ms"


@pytest.mark.parametrize("shape", ["url", "rds_json"])
def test_database_url_is_read_from_secrets_manager_in_either_shape(
    shape: str, database_url: str, aws: None, app_env: Any
) -> None:
    real = to_pg8000_url(database_url)
    secret = (
        database_url.replace("postgresql+pg8000://", "postgres://")
        if shape == "url"
        else json.dumps(
            {
                "username": real.username,
                "password": real.password or "",
                "host": real.host,
                "port": real.port,
                "dbname": real.database,
            }
        )
    )
    arn = boto3.client("secretsmanager").create_secret(Name=f"db-{shape}", SecretString=secret)["ARN"]
    app_env.delenv("A2N_DATABASE_URL")
    app_env.delenv("DATABASE_URL", raising=False)
    app_env.setenv("A2N_DATABASE_SECRET_ARN", arn)
    app_env.apply()

    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT current_database()")).scalar_one() == real.database


@pytest.mark.parametrize("shape", ["url", "rds_json"])
def test_database_host_replaces_the_host_of_the_secret_url_and_nothing_else(shape: str, aws: None) -> None:
    fields = {"username": "a2n", "password": "pw", "host": "cluster.local", "port": 6432, "dbname": "app"}
    secret = "postgresql://a2n:pw@cluster.local:6432/app" if shape == "url" else json.dumps(fields)
    arn = boto3.client("secretsmanager").create_secret(Name=f"db-host-{shape}", SecretString=secret)["ARN"]

    url = resolve_database_url(
        Settings(database_url=None, database_secret_arn=arn, database_host="proxy.local")
    )

    assert (url.host, url.port, url.username, url.password, url.database) == (
        "proxy.local",
        6432,
        "a2n",
        "pw",
        "app",
    )
    assert resolve_database_url(Settings(database_url=None, database_secret_arn=arn)).host == "cluster.local"
