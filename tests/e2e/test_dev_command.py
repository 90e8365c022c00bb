"""`a2n dev` as a user runs it, in its own process: the ports and the allow list come from its flags
(issue 11 items 6 and 7), and while it runs `a2n invoke` works against that stack — its database,
its moto and so its pollers — and says so (item 5)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from e2e_support import ApiClient, RegisteredUser, register_user, wait_for_execution
from ports_support import free_port
from scripted_http import HitServer
from waiting import wait_until

from a2n.local import apigw
from a2n.local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
NOOP_RUN = {
    "nodes": [
        {"id": "start", "type": "trigger.manual", "config": {}},
        {"id": "n", "type": "noop", "config": {}},
    ],
    "connections": [{"source": "start", "target": "n"}],
}


class DevProcess:
    """`python -m a2n.cli dev …` with its output collected line by line; ``shell`` is the environment
    of the shell it was started from (without the DATABASE_URL given to it alone)."""

    def __init__(self, args: list[str], shell: dict[str, str], env: dict[str, str]) -> None:
        self.shell = shell
        self.process = subprocess.Popen(
            [sys.executable, "-m", "a2n.cli", "dev", *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=self._collect, args=(stream, lines), daemon=True).start()

    @staticmethod
    def _collect(stream: IO[str] | None, lines: list[str]) -> None:
        assert stream is not None
        for line in stream:
            lines.append(line.rstrip("\n"))

    def banner(self) -> str:
        wait_until(
            lambda: any("Ctrl-C to stop" in line for line in self.out) or self.process.poll() is not None,
            "the `a2n dev` banner",
            limit_s=120,
        )
        assert self.process.poll() is None, "\n".join(self.err[-30:])
        return "\n".join(self.out)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("a2n-dev")


@pytest.fixture(scope="module")
def base_env(workdir: Path) -> dict[str, str]:
    """The environment of a shell: none of this test session's A2N or AWS variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("A2N_", "AWS_")) and k != "DATABASE_URL"}
    return env | {"A2N_LOCAL_KEY_DIR": str(workdir / "keys"), "A2N_LOG_LEVEL": "WARNING"}


@pytest.fixture(scope="module")
def dev(workdir: Path, base_env: dict[str, str], module_empty_database_url: str) -> Iterator[DevProcess]:
    ports = ["--port", str(free_port()), "--moto-port", str(free_port())]
    flags = ["--data-dir", str(workdir / "pg"), "--allow-network", "127.0.0.1/32"]
    running = DevProcess([*ports, *flags], base_env, base_env | {"DATABASE_URL": module_empty_database_url})
    running.banner()
    yield running
    running.stop()


def api_url(dev: DevProcess) -> str:
    return next(line.split()[4] for line in dev.out if "A2N is running at" in line)


def flag(dev: DevProcess, name: str) -> str:
    args = list(dev.process.args)  # type: ignore[arg-type]
    return str(args[args.index(name) + 1])


def invoke(dev: DevProcess, function: str, event: Any, **env: str) -> subprocess.CompletedProcess[str]:
    """`a2n invoke` from another shell in the same checkout, pointed at that `a2n dev`'s data dir."""
    data_dir = flag(dev, "--data-dir")
    event_file = Path(data_dir).parent / f"{function}.json"
    event_file.write_text(json.dumps(event))
    return subprocess.run(
        [sys.executable, "-m", "a2n.cli", "invoke", function, str(event_file), "--data-dir", data_dir],
        cwd=ROOT, env=dev.shell | env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def user(dev: DevProcess) -> RegisteredUser:
    return register_user(ApiClient(api_url(dev)))


def test_the_banner_names_the_chosen_ports_the_allowed_range_and_the_state_file(
    dev: DevProcess, workdir: Path
) -> None:
    banner = dev.banner()
    port, moto = flag(dev, "--port"), flag(dev, "--moto-port")

    assert f"A2N is running at http://127.0.0.1:{port} " in banner
    assert f"moto (AWS)   http://127.0.0.1:{moto}" in banner
    assert "may also reach 127.0.0.1/32" in banner
    assert f"State        {workdir / 'dev.json'}" in banner
    assert json.loads((workdir / "dev.json").read_text())["pid"] == dev.process.pid


def test_the_readme_shows_the_banner_as_a2n_dev_prints_it(dev: DevProcess) -> None:
    """Issue 11, item 2: the quick start's banner is what `make dev` prints, line for line. Ports,
    the database URL and the state file's place are this run's own; `…` stands for the counts that
    every new route or queue changes."""
    readme = (ROOT / "README.md").read_text()
    after = readme.split("`make dev` prints what is running:", 1)[1]
    shown = after.split("```text\n", 1)[1].split("```", 1)[0]
    printed = [line for line in dev.banner().splitlines() if line.strip() and "HTTP node" not in line]
    port, moto = flag(dev, "--port"), flag(dev, "--moto-port")

    def normalised(line: str) -> str:
        line = line.replace(f"127.0.0.1:{port}", "127.0.0.1:3000")
        line = line.replace(f"127.0.0.1:{moto}", "127.0.0.1:4566")
        line = re.sub(r"postgresql\+pg8000://\S+", "<database>", line)
        return re.sub(r"(State +)\S+", r"\1<state file>", line)

    lines = [line for line in shown.splitlines() if line.strip()]
    patterns = [re.escape(normalised(line)).replace("…", ".+?") for line in lines]
    actual = [normalised(line) for line in printed]
    assert len(patterns) == len(actual), f"README shows {len(patterns)} lines, a2n dev prints {actual}"
    for pattern, line in zip(patterns, actual, strict=True):
        assert re.fullmatch(pattern, line), f"README: {pattern!r}\n  a2n dev: {line!r}"


def test_the_http_node_reaches_a_range_allowed_by_the_flag(user: RegisteredUser) -> None:
    target = HitServer(path="/ping")
    try:
        definition = {
            "nodes": [
                {"id": "start", "type": "trigger.manual", "config": {}},
                {"id": "call", "type": "http_request", "config": {"method": "GET", "url": target.url}},
            ],
            "connections": [{"source": "start", "target": "call"}],
        }
        created = user.client.post("/workflows", {"name": "loopback", "definition": definition})
        assert created.status == 201, created.body
        started = user.client.post(f"/workflows/{created.json['id']}/execute", {"input": {}})
        assert started.status == 202, started.body

        execution = wait_for_execution(user, started.json["executionId"])
    finally:
        target.close()

    assert execution["status"] == "SUCCEEDED", execution
    assert target.hits == 1


def test_invoke_runs_against_the_running_stack_and_says_so(dev: DevProcess, user: RegisteredUser) -> None:
    """The execute function, invoked on its own, writes to the stack's database and enqueues on the
    stack's moto: the running stack's pollers then finish the run."""
    created = user.client.post("/workflows", {"name": "invoked", "definition": NOOP_RUN})
    assert created.status == 201, created.body
    template = load_template(ROOT / "template.yaml")
    path = f"/workflows/{created.json['id']}/execute"
    headers = [("authorization", f"Bearer {user.access_token}"), ("content-type", "application/json")]
    request = apigw.HttpRequest("POST", path, "", headers, json.dumps({"input": {}}).encode())
    match = apigw.match_route(template.routes, "POST", path)
    assert match is not None
    asked = apigw.build_authorizer_event(request, match, [headers[0][1]])
    authorizer = invoke(dev, "AuthorizerFunction", asked)
    assert authorizer.returncode == 0, authorizer.stderr[-3000:]
    context = json.loads(authorizer.stdout)["context"]

    executed = invoke(dev, "WorkflowsExecuteFunction", apigw.build_event(request, match, context))

    assert executed.returncode == 0, executed.stderr[-3000:]
    answer = json.loads(executed.stdout)
    assert answer["statusCode"] == 202, answer
    assert wait_for_execution(user, json.loads(answer["body"])["executionId"])["status"] == "SUCCEEDED"
    said = [line for line in executed.stderr.splitlines() if line.startswith("a2n invoke: ")]
    moto = next(line.split()[-1] for line in dev.out if "moto (AWS)" in line)
    assert said[0].startswith(f"a2n invoke: using the running `a2n dev` (pid {dev.process.pid}, ")
    assert said[0].endswith(f"moto {moto}")
    assert said[1].endswith("(that `a2n dev`'s)")


def test_database_url_still_wins_over_the_running_stacks_database(dev: DevProcess) -> None:
    nowhere = f"postgresql://a2n@127.0.0.1:{free_port()}/a2n"
    event = json.loads((ROOT / "events" / "apigw-http-v2-health.json").read_text())

    health = invoke(dev, "HealthFunction", event, DATABASE_URL=nowhere)

    assert health.returncode == 0, health.stderr[-3000:]
    assert json.loads(json.loads(health.stdout)["body"])["database"] != "ok"
    assert f"a2n invoke: PostgreSQL {nowhere} (DATABASE_URL)" in health.stderr


def test_db_commands_use_the_running_stacks_database_when_none_is_configured(dev: DevProcess) -> None:
    from a2n.db.migrate import head

    shell = dev.shell | {"A2N_LOCAL_POSTGRES_DIR": flag(dev, "--data-dir")}
    current = subprocess.run(
        [sys.executable, "-m", "a2n.cli", "db", "current"],
        cwd=ROOT, env=shell, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip

    assert current.returncode == 0, current.stderr[-3000:]
    assert current.stdout.strip() == head()
    assert "a2n db: using the running `a2n dev`'s database (" in current.stderr


def test_stopping_dev_removes_its_state_file(dev: DevProcess, workdir: Path) -> None:
    assert (workdir / "dev.json").exists()

    assert dev.stop() == 0

    assert not (workdir / "dev.json").exists()
    assert dev.err[-1] == "Stopped."

