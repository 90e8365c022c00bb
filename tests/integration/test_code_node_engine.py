"""The code node through the engine: real Postgres, moto SQS, and the template's sandbox function
reached over the Lambda Invoke API (the local runtime's stand-in), as the code step does on AWS."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import engine_harness
import pytest
from engine_harness import Engine, node, sql, trigger

from a2n.local.functions import FunctionHost
from a2n.local.lambda_api import LambdaApiServer
from a2n.local.template import load_template
from a2n.settings import reset_settings

engine = engine_harness.engine  # the fixture
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sandbox(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The template's CodeSandboxFunction behind a local Lambda API; the code step points at it."""
    template = load_template(ROOT / "template.yaml")
    server = LambdaApiServer(FunctionHost(template))
    server.start()
    name = template.functions["CodeSandboxFunction"].name
    configure(monkeypatch, A2N_LAMBDA_ENDPOINT_URL=server.url, A2N_CODE_SANDBOX_FUNCTION=name)
    try:
        yield name
    finally:
        server.stop()
        reset_settings()


def run_code(engine: Engine, code: str, data: Any = None, **fields: Any) -> uuid.UUID:
    """GIVEN start ─► shape (code) ─► done; run it to its end."""
    workflow_id = engine.workflow(
        [trigger(), node("shape", "code", {"code": code}, **fields), node("done", "noop")],
        [("start", "shape"), ("shape", "done")],
    )
    execution_id = engine.start(workflow_id, data)
    engine.pump()
    return execution_id


def node_error(
    engine: Engine, code: str, data: Any = None, **fields: Any
) -> tuple[uuid.UUID, dict[str, Any]]:
    """GIVEN start ─► shape (code) ─► done, run to its end: the run and what shape's error says."""
    execution_id = run_code(engine, code, data, **fields)
    return execution_id, engine.nodes(execution_id)["shape"]["error"]


def configure(monkeypatch: pytest.MonkeyPatch, **variables: str) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    reset_settings()


def logs(execution_id: uuid.UUID, node_id: str) -> list[tuple[str, str]]:
    rows = sql(
        "SELECT level, message FROM execution_logs WHERE execution_id = :e AND node_id = :n ORDER BY ts, id",
        e=execution_id,
        n=node_id,
    )
    return [(row.level, row.message) for row in rows]


def test_a_code_node_runs_main_and_its_prints_land_between_start_and_end_in_the_logs(
    engine: Engine, sandbox: str
) -> None:
    code = (
        "def main(input, ctx):\n"
        "    print('items:', len(input['items']))\n"
        "    total = sum(item['price'] for item in input['items'])\n"
        "    print('total', total)\n"
        "    return {'total': total, 'region': ctx['vars']['region']}\n"
    )

    execution_id = run_code(engine, code, {"items": [{"price": 2}, {"price": 5}]})

    execution = engine.execution(execution_id)
    assert execution["status"] == "SUCCEEDED"
    assert execution["output"] == {"total": 7, "region": "eu"}
    assert logs(execution_id, "shape") == [
        ("INFO", "node started"),
        ("INFO", "items: 2"),
        ("INFO", "total 7"),
        ("INFO", "node succeeded"),
    ]


def test_the_code_sees_ids_and_the_expression_contexts_plain_data(engine: Engine, sandbox: str) -> None:
    code = "def main(input, ctx):\n    return {key: ctx[key] for key in sorted(ctx)}\n"

    execution_id = run_code(engine, code, {"n": 1})

    seen = engine.execution(execution_id)["output"]
    assert set(seen) == {"attempt", "executionId", "execution", "nodeId", "nodes", "trigger", "vars"}
    assert (seen["executionId"], seen["nodeId"], seen["attempt"]) == (str(execution_id), "shape", 1)
    assert seen["trigger"] == {"n": 1} and seen["nodes"]["start"] == {"n": 1}
    assert seen["vars"] == {"region": "eu"} and seen["execution"]["id"] == str(execution_id)


def test_an_exception_fails_the_node_with_the_users_traceback_and_keeps_its_prints(
    engine: Engine, sandbox: str
) -> None:
    code = "def main(input, ctx):\n    print('checking', input)\n    return input['missing']\n"

    execution_id, error = node_error(engine, code, {"present": 1})

    assert engine.execution(execution_id)["status"] == "FAILED"
    assert error["message"] == "KeyError: 'missing'"
    assert error["retryable"] is True
    assert error["details"]["kind"] == "exception" and error["details"]["line"] == 3
    assert error["details"]["traceback"].startswith(
        'Traceback (most recent call last):\n  File "<code>", line 3'
    )
    assert ("INFO", "checking {'present': 1}") in logs(execution_id, "shape")


def test_a_contract_failure_skips_the_remaining_attempts(engine: Engine, sandbox: str) -> None:
    retry = {"maxAttempts": 3, "backoff": "fixed", "initialDelayMs": 0}

    execution_id = run_code(engine, "def main(input, ctx):\n    return {1, 2}\n", retry=retry)

    state = engine.nodes(execution_id)["shape"]
    assert state["status"] == "FAILED" and state["attempt"] == 1
    assert (
        state["error"]["message"]
        == "main() returned a value that is not JSON: Object of type set is not JSON serializable"
    )
    assert state["error"]["retryable"] is False


def test_the_code_is_stopped_inside_the_nodes_timeout_and_fails_as_a_timeout(
    engine: Engine, sandbox: str
) -> None:
    _, error = node_error(engine, "def main(input, ctx):\n    while True:\n        pass\n", timeoutMs=1000)

    assert error["message"] == "the code ran past its time limit of 0.5 s and was stopped"
    assert error["details"] == {"kind": "timeout"}


def test_output_over_the_node_output_limit_fails_the_node(
    engine: Engine, sandbox: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, A2N_NODE_OUTPUT_LIMIT_BYTES="1000")

    _, error = node_error(engine, "def main(input, ctx):\n    return 'x' * 5000\n")

    assert error["message"] == "output is 5002 bytes, over the limit of 1000"
    assert error["retryable"] is False


def test_input_too_large_for_a_lambda_invocation_is_a_clear_failure(engine: Engine, sandbox: str) -> None:
    _, error = node_error(engine, "def main(input, ctx):\n    return 1\n", {"blob": "x" * 3_500_000})

    assert error["message"].startswith("the code node's input and context are ")
    assert error["message"].endswith("bytes, over the sandbox's 6291456: pass it less data")


def test_an_operator_requiring_a_vpc_sandbox_gets_no_code_run_without_one(
    engine: Engine, sandbox: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, A2N_CODE_REQUIRE_VPC="true")

    execution_id, error = node_error(engine, "def main(input, ctx):\n    print('ran')\n    return 1\n")

    assert error["message"].startswith("code nodes are required to run in a VPC without internet access")
    assert [message for _, message in logs(execution_id, "shape")] == ["node started", "node failed"]


def test_a_sandbox_that_cannot_be_invoked_is_a_retryable_failure(
    engine: Engine, sandbox: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, A2N_CODE_SANDBOX_FUNCTION="no-such-sandbox")

    _, error = node_error(engine, "def main(input, ctx):\n    return 1\n")

    assert error["message"] == (
        "the code sandbox could not be invoked: "
        "ResourceNotFoundException: Function not found: no-such-sandbox"
    )
    assert error["retryable"] is True
