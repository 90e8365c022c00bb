"""`make dev` / `make invoke` take their settings as make variables, so nobody needs to reach for
.venv/bin/a2n to move a port (issue 11 item 4). Checked with `make -n`: what make would run."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def dry_run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-n", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_make_dev_turns_each_variable_into_its_flag() -> None:
    variables = ["PORT=3100", "MOTO_PORT=4567", "POSTGRES_PORT=54330", "DATA_DIR=/tmp/x/pg"]
    ran = dry_run("dev", *variables, "ALLOW_NETWORK=127.0.0.1/32 10.0.0.0/8", "ARGS=--template t.yaml")

    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[-1] == (
        ".venv/bin/a2n dev --port 3100 --moto-port 4567 --postgres-port 54330 --data-dir /tmp/x/pg "
        "--allow-network 127.0.0.1/32 --allow-network 10.0.0.0/8 --template t.yaml"
    )


def test_plain_make_dev_keeps_the_defaults_of_a2n_dev() -> None:
    assert dry_run("dev").stdout.splitlines()[-1] == ".venv/bin/a2n dev"


def test_make_invoke_runs_a2n_invoke_and_says_how_when_an_argument_is_missing() -> None:
    event = "events/apigw-http-v2-health.json"
    ran = dry_run("invoke", "FUNCTION=HealthFunction", f"EVENT={event}")
    assert ran.stdout.splitlines()[-1] == f".venv/bin/a2n invoke HealthFunction {event}"

    missing = subprocess.run(
        # -o: never (re)install the venv from a test
        ["make", "--no-print-directory", "-o", ".venv/.a2n-installed", "invoke", "FUNCTION=HealthFunction"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert missing.returncode != 0
    assert f"usage: make invoke FUNCTION=HealthFunction EVENT={event}" in missing.stdout
