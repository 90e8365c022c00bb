"""A client generated from the published OpenAPI document works against the local runtime
(issue 11 item 15): openapi-python-client, in its own tool venv (.tools/openapi-client, made by
`make tools`), generates ``a2n_client`` from GET /openapi.json; generated_client_flow.py drives
register → login → create → execute → replay with an Idempotency-Key → read the execution through it,
with the client raising on any status the document does not declare."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from e2e_support import ApiClient

from a2n.local.runtime import LocalRuntime

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / ".tools" / "openapi-client" / "bin"


def _tool(name: str) -> str:
    path = TOOL / name
    assert path.exists(), f"{path} is missing: run `make tools` (it installs openapi-python-client there)"
    return str(path)


@pytest.fixture(scope="module")
def generated_client(stack: LocalRuntime, tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("generated")
    document = where / "openapi.json"
    document.write_bytes(ApiClient(stack.url).get("/openapi.json").body)
    # No post-hooks: they would format the code with a ruff the tool venv does not have.
    config = where / "config.json"
    config.write_text(json.dumps({"post_hooks": []}))
    generate = [_tool("openapi-python-client"), "generate", "--path", str(document), "--meta", "none",
                "--output-path", str(where / "a2n_client"), "--config", str(config)]  # fmt: skip
    done = subprocess.run(generate, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return where


def test_a_generated_client_registers_creates_executes_replays_and_reads(
    stack: LocalRuntime, generated_client: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(generated_client)}
    flow = [_tool("python"), str(Path(__file__).with_name("generated_client_flow.py")), stack.url]
    done = subprocess.run(flow, capture_output=True, text=True, timeout=120, check=False, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    assert seen["register"] == [202, "RegistrationAccepted"]
    assert seen["login"] == [200, "SessionOut"]
    assert seen["create"] == [201, "WorkflowOut", '"1"']
    execution_id = seen["execute"][2]
    assert seen["execute"] == [202, "ExecuteOut", execution_id]
    assert seen["replay"] == [200, "ExecuteOut", execution_id]  # the declared replay, same execution
    assert seen["execution"] == {
        "model": "ExecutionView",
        "status": "SUCCEEDED",
        "workflowName": "generated",
        "output": {"ok": True, "total": 21},
        "nodes": ["double", "start"],  # sorted: their order in the answer is not part of the contract
    }
