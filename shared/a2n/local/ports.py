"""Loopback ports of the local stack: refuse to start on a port something else already holds,
with a message that says what to do (a server that cannot bind may otherwise hang its caller)."""

from __future__ import annotations

import socket

from a2n.errors import ConfigurationError


def ensure_port_free(port: int, service: str, remedy: str) -> None:
    """ConfigurationError when something already listens on 127.0.0.1:``port`` (0 = any free port)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise ConfigurationError(
                f"Port {port} on 127.0.0.1 is already in use by another program, so {service} cannot "
                f"start. Stop that program (is another `a2n dev` running?), or {remedy}."
            )
