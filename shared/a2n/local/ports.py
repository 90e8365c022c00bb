"""Loopback ports of the local stack: refuse to start on a port something else already holds,
with a message that names the port and the flag that changes it (a server that cannot bind may
otherwise hang its caller, or fail with a bare "[Errno 98] Address already in use")."""

from __future__ import annotations

import socket

from a2n.errors import ConfigurationError

# How to move each server of `a2n dev` elsewhere: its flag, and the same through `make dev`.
API_REMEDY = "start with another --port (`make dev PORT=3100`)"
MOTO_REMEDY = "start with another --moto-port (`make dev MOTO_PORT=4567`)"
POSTGRES_REMEDY = (
    "start with another --postgres-port (A2N_LOCAL_POSTGRES_PORT; `make dev POSTGRES_PORT=54330`), "
    "or point A2N at your own server with DATABASE_URL"
)


def ensure_port_free(port: int, service: str, remedy: str) -> None:
    """ConfigurationError when something already listens on 127.0.0.1:``port`` (0 = any free port)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise port_in_use(port, service, remedy)


def port_in_use(port: int, service: str, remedy: str) -> ConfigurationError:
    """The error for a port another program holds: which port, for what, and how to move."""
    return ConfigurationError(
        f"Port {port} on 127.0.0.1 is already in use by another program, so {service} cannot "
        f"start. Stop that program (is another `a2n dev` running?), or {remedy}."
    )
