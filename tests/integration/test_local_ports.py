"""A local server whose port is taken fails at once with a message naming the port and the way out,
instead of hanging (moto's start() waits forever when its thread cannot bind)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from a2n.errors import ConfigurationError
from a2n.local.aws import MotoServer


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_moto_on_a_taken_port_refuses_to_start_with_a_clear_message(taken_port: int) -> None:
    server = MotoServer(port=taken_port)
    with pytest.raises(ConfigurationError, match=rf"Port {taken_port} .* already in use.*--moto-port"):
        server.start()
