"""The embedded server `a2n dev` relies on: persists data, survives a killed run, explains a busy port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pg8000.native
import pytest
from ports_support import free_port

from a2n.errors import ConfigurationError
from a2n.local.postgres import EmbeddedPostgres


def _sql(server: EmbeddedPostgres, statement: str) -> list[list[object]]:
    conn = pg8000.native.Connection("postgres", host="127.0.0.1", port=server.port, database="a2n")
    try:
        return conn.run(statement)
    finally:
        conn.close()


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().splitlines()[0])


@pytest.fixture
def servers(pg_workdir: Path) -> Iterator[list[EmbeddedPostgres]]:
    """Servers a test starts; whichever still runs is stopped afterwards."""
    started: list[EmbeddedPostgres] = []
    yield started
    for server in started:
        server.stop()


def test_data_survives_a_stop_and_start(pg_workdir: Path, servers: list[EmbeddedPostgres]) -> None:
    server = EmbeddedPostgres(pg_workdir / "data", port=free_port())
    servers.append(server)
    assert server.start() == server.url
    _sql(server, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")

    server.stop()
    assert not server.is_running()
    server.start()

    assert _sql(server, "SELECT v FROM kept") == [["still here"]]


def test_a_server_left_by_a_killed_run_is_reused(pg_workdir: Path, servers: list[EmbeddedPostgres]) -> None:
    port = free_port()
    first = EmbeddedPostgres(pg_workdir / "data", port=port)
    servers.append(first)
    first.start()
    pid = _postmaster_pid(first.data_dir)

    # A new process (the next `a2n dev`) finds the server the previous one never stopped.
    second = EmbeddedPostgres(pg_workdir / "data", port=port)
    second.start()

    assert second.is_running()
    assert _postmaster_pid(second.data_dir) == pid
    assert _sql(second, "SELECT 1") == [[1]]


def test_a_leftover_server_on_another_port_is_stopped_and_restarted_on_ours(
    pg_workdir: Path, servers: list[EmbeddedPostgres]
) -> None:
    old = EmbeddedPostgres(pg_workdir / "data", port=free_port())
    new = EmbeddedPostgres(pg_workdir / "data", port=free_port())
    servers.extend([old, new])
    old.start()

    new.start()

    assert new.is_running()
    assert not old.is_running()
    assert _sql(new, "SELECT 1") == [[1]]


def test_a_stale_pid_file_from_a_dead_server_is_cleared(
    pg_workdir: Path, servers: list[EmbeddedPostgres]
) -> None:
    server = EmbeddedPostgres(pg_workdir / "data", port=free_port())
    servers.append(server)
    server.start()
    pid_file = server.data_dir / "postmaster.pid"
    lines = pid_file.read_text()
    server.stop()
    dead = subprocess.Popen(["true"])
    dead.wait()
    # Same file a SIGKILLed postmaster leaves behind, naming a pid that no longer runs.
    pid_file.write_text(lines.replace(lines.splitlines()[0], str(dead.pid), 1))

    server.start()

    assert server.is_running()
    assert _postmaster_pid(server.data_dir) != dead.pid


def test_a_port_taken_by_another_program_gets_a_clear_message(pg_workdir: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        server = EmbeddedPostgres(pg_workdir / "data", port=port)

        clash = rf"Port {port} .* already in use.*--postgres-port.*DATABASE_URL"
        with pytest.raises(ConfigurationError, match=clash):
            server.start()

    assert not server.is_running()


def test_a2n_dev_gets_a_migrated_embedded_database_when_no_url_is_set(
    pg_workdir: Path, servers: list[EmbeddedPostgres]
) -> None:
    from a2n.db.migrate import current, head
    from a2n.local.postgres import prepare_local_database
    from a2n.settings import Settings

    settings = Settings(
        database_url=None, local_postgres_dir=pg_workdir / "dev", local_postgres_port=free_port()
    )
    url, server = prepare_local_database(settings)
    assert server is not None
    servers.append(server)

    assert current(url) == head()


@pytest.fixture
def private_checkout(pg_workdir: Path) -> Iterator[Path]:
    """A checkout's directory as `mktemp -d` makes it (0700): as root, out of the server user's reach."""
    private = Path(tempfile.mkdtemp(prefix="a2n-private-"))
    yield private / "checkout"
    shutil.rmtree(private, ignore_errors=True)


def _remove(path: Path) -> None:
    """`rm -rf path`: a symlink goes, not what it points to."""
    if path.is_symlink():
        path.unlink()
    else:
        shutil.rmtree(path)


@pytest.fixture
def start_in_checkout(
    private_checkout: Path, pg_workdir: Path, servers: list[EmbeddedPostgres]
) -> Callable[[], EmbeddedPostgres]:
    """Starts a server on the checkout's `.a2n/pg`, as each `a2n dev` run there would."""
    port, home = free_port(), pg_workdir / "home"

    def start() -> EmbeddedPostgres:
        server = EmbeddedPostgres(private_checkout / ".a2n" / "pg", port=port, home=home)
        servers.append(server)
        server.start()
        return server

    return start


def test_a_data_directory_inside_a_private_checkout_works_and_keeps_its_data(
    private_checkout: Path, start_in_checkout: Callable[[], EmbeddedPostgres]
) -> None:
    first = start_in_checkout()
    _sql(first, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
    first.stop()

    again = start_in_checkout()  # the next `a2n dev` in that checkout

    assert _sql(again, "SELECT v FROM kept") == [["still here"]]
    assert (private_checkout / ".a2n" / "pg").resolve() == again.data_dir == first.data_dir
    assert (again.data_dir / "PG_VERSION").exists()


def test_removing_the_data_directory_of_a_private_checkout_starts_afresh(
    private_checkout: Path, start_in_checkout: Callable[[], EmbeddedPostgres]
) -> None:
    first = start_in_checkout()
    _sql(first, "CREATE TABLE dropped (v text)")
    first.stop()

    _remove(private_checkout / ".a2n" / "pg")  # as `rm -rf .a2n/pg` would
    fresh = start_in_checkout()

    assert _sql(fresh, "SELECT count(*) FROM pg_tables WHERE tablename = 'dropped'") == [[0]]
    assert fresh.is_running()
