"""A local server whose port is taken fails at once with a message naming the port and the way out,
instead of hanging (moto's start() waits forever when its thread cannot bind)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from ports_support import free_port

from a2n.cli import main
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


def test_the_http_api_on_a_taken_port_names_the_port_and_the_flag(taken_port: int) -> None:
    from a2n.local.http import HttpApiServer

    with pytest.raises(ConfigurationError, match=rf"Port {taken_port} .* HTTP API .*--port .*make dev PORT="):
        HttpApiServer(cast(Any, None), port=taken_port)


@pytest.mark.parametrize(("flag", "names"), [("--port", "the HTTP API"), ("--moto-port", "moto")])
def test_a2n_dev_on_a_taken_port_says_which_and_how_to_move_before_starting_anything(
    taken_port: int, flag: str, names: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ports = {"--port": str(free_port()), "--moto-port": str(free_port()), flag: str(taken_port)}
    data_dir = tmp_path / "pg"

    code = main(["dev", *(x for pair in ports.items() for x in pair), "--data-dir", str(data_dir)])

    error = capsys.readouterr().err
    assert code == 1
    assert f"Port {taken_port} on 127.0.0.1 is already in use" in error and names in error
    assert f"another {flag} (`make dev " in error
    assert "Errno" not in error
    assert not data_dir.exists()  # no Postgres was started for a stack that could not run
