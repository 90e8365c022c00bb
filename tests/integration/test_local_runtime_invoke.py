"""``a2n invoke``: one function, one event file, the JSON result on stdout, exit 1 on a handler error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from a2n.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures" / "runtime"
TEMPLATE = str(FIXTURES / "template.yaml")


@pytest.fixture(autouse=True)
def no_dev_stack(tmp_path: Path, app_env: Any) -> None:
    """Whatever `a2n dev` runs in this checkout, these invocations look for one elsewhere."""
    app_env.setenv("A2N_LOCAL_POSTGRES_DIR", str(tmp_path / "pg"))
    app_env.apply()


def test_invoke_prints_the_handler_result_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["invoke", "BinaryFunction", str(FIXTURES / "health_event.json"), "--template", TEMPLATE])
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {"status": "ok"}


def test_invoke_exits_1_and_prints_the_traceback_when_the_handler_raises(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["invoke", "EchoFunction", str(FIXTURES / "crash_event.json"), "--template", TEMPLATE])
    captured = capsys.readouterr()
    assert code == 1
    assert "RuntimeError: the fixture crashed on purpose" in captured.err
    assert json.loads(captured.out)["errorType"] == "RuntimeError"


def test_invoke_applies_env_vars_file_over_the_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env_file = tmp_path / "env.json"
    env_file.write_text(json.dumps({"EchoFunction": {"ECHO_NAME": "overridden"}}))
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"rawPath": "/echo/1", "pathParameters": {"id": "1"}}))
    code = main(["invoke", "EchoFunction", str(event), "--template", TEMPLATE, "--env-vars", str(env_file)])
    assert code == 0
    body = json.loads(json.loads(capsys.readouterr().out)["body"])
    assert body["env"]["ECHO_NAME"] == "overridden"


def test_invoke_unknown_function_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["invoke", "NoSuchFunction", str(FIXTURES / "health_event.json"), "--template", TEMPLATE])
    assert code == 2
    assert "NoSuchFunction" in capsys.readouterr().err


def test_invoke_finds_a_function_of_a_nested_stack_by_id_or_by_stack_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    nested = str(FIXTURES / "nested" / "template.yaml")
    event = str(FIXTURES / "crash_event.json")
    assert main(["invoke", "Area/EchoFunction", event, "--template", nested]) == 1
    assert json.loads(capsys.readouterr().out)["errorType"] == "RuntimeError"
    assert main(["invoke", "Auth/EchoFunction", event, "--template", nested]) == 2
    assert "no function 'Auth/EchoFunction'" in capsys.readouterr().err


def test_invoke_without_a_running_dev_says_what_it_uses_on_stderr_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], app_env: Any
) -> None:
    app_env.delenv("A2N_DATABASE_URL", raising=False)
    app_env.delenv("DATABASE_URL", raising=False)
    app_env.apply()

    code = main(["invoke", "BinaryFunction", str(FIXTURES / "health_event.json"), "--template", TEMPLATE])

    captured = capsys.readouterr()
    assert code == 0
    assert json.loads(captured.out) == {"status": "ok"}
    assert f"a2n invoke: no `a2n dev` running (no live {tmp_path / 'dev.json'})" in captured.err
    assert "no database: functions that need one fail (run `make dev` in another shell" in captured.err
