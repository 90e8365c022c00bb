"""The code node over HTTP through the local runtime (``a2n dev``): a webhook → code → transform run
with the code's print in the execution's logs, the save-time syntax check, and hostile code that
finds nothing of the stack around it (SECURITY case 34): no environment, no key files, no
database, no moto, no API."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from e2e_support import ApiClient, RegisteredUser, wait_for_execution
from sandbox_support import BYPASS, sandbox_processes

from a2n.local.runtime import LocalRuntime

PARSE_ORDER = (
    "import re\n"
    "def main(input, ctx):\n"
    "    body = ctx['trigger']['body']\n"
    "    sku, count = re.fullmatch(r'(\\w+)x(\\d+)', body['line']).groups()\n"
    "    print(f'order {sku} x {count}')\n"
    "    return {'sku': sku, 'count': int(count)}\n"
)


def created(user: RegisteredUser, definition: dict[str, Any]) -> str:
    answer = user.client.post("/workflows", {"name": "code e2e", "definition": definition})
    assert answer.status == 201, answer.body
    return str(answer.json["id"])


def test_webhook_to_code_to_transform_runs_with_the_codes_print_in_the_logs(
    api: ApiClient, user: RegisteredUser
) -> None:
    definition = {
        "nodes": [
            {"id": "hook", "type": "trigger.webhook", "config": {"method": "POST"}},
            {"id": "parse", "type": "code", "config": {"code": PARSE_ORDER}},
            {"id": "shape", "type": "transform", "config": {"value": {"item": "{{ input.sku }}",
                                                                       "n": "{{ input.count }}"}}},
        ],
        "connections": [{"source": "hook", "target": "parse"}, {"source": "parse", "target": "shape"}],
    }  # fmt: skip
    workflow_id = created(user, definition)
    activation = user.client.post(f"/workflows/{workflow_id}/activate")
    assert activation.status == 200, activation.body
    path = urlsplit(activation.json["triggers"][0]["webhookUrl"]).path

    answer = api.request(
        "POST", path, body=b'{"line": "ABC7x3"}', headers={"Content-Type": "application/json"}
    )

    assert answer.status == 202, answer.body
    run = wait_for_execution(user, answer.json["executionId"])
    assert run["status"] == "SUCCEEDED", run
    assert run["output"] == {"item": "ABC7", "n": 3}
    logs = user.client.get(f"/executions/{run['id']}/logs").json["items"]
    parse_lines = [(line["level"], line["message"]) for line in logs if line["nodeId"] == "parse"]
    assert parse_lines == [("INFO", "node started"), ("INFO", "order ABC7 x 3"), ("INFO", "node succeeded")]


def test_saving_code_with_a_syntax_error_is_a_422_with_its_line_and_column(user: RegisteredUser) -> None:
    definition = {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {
                "id": "broken",
                "type": "code",
                "config": {"code": "def main(input, ctx):\n    return {'a': }\n"},
            },
        ],
        "connections": [{"source": "start", "target": "broken"}],
    }

    answer = user.client.post("/workflows", {"name": "broken", "definition": definition})

    assert answer.status == 422
    (error,) = answer.json["errors"]
    assert error["pointer"] == "/definition/nodes/1/config/code"
    assert (error["line"], error["column"]) == (2, 16)
    assert error["message"].startswith("SyntaxError: ")


SNOOP = BYPASS + (
    "def attempt(action):\n"
    "    try:\n"
    "        return action()\n"
    "    except BaseException as error:\n"
    "        return 'refused: ' + type(error).__name__\n"
    "def read(path):\n"
    "    return attempt(lambda: open(path, 'rb').read().decode('latin-1'))\n"
    "def connect(address):\n"
    "    socket = grab('socket')\n"
    "    return attempt(lambda: socket.create_connection(tuple(address), timeout=2).close() or 'connected')\n"
    "def main(input, ctx):\n"
    "    return {\n"
    "        'environ': dict(grab('os').environ),\n"
    "        'files': {path: read(path) for path in input['files']},\n"
    "        'network': {name: connect(address) for name, address in input['network'].items()},\n"
    "    }\n"
)


def test_hostile_code_sees_no_environment_keys_database_moto_or_api(
    stack: LocalRuntime, user: RegisteredUser, key_dir: Path, database_url: str
) -> None:
    keys = sorted(str(path) for path in key_dir.iterdir())
    assert keys, "registering a user created the JWT signing key"
    files = [*keys, f"/proc/{os.getpid()}/environ", f"/proc/{os.getpid()}/cmdline", "/proc/self/environ",
             str(stack.template_path)]  # fmt: skip
    postgres = urlsplit(database_url.replace("+pg8000", ""))
    network = {
        "postgres": [postgres.hostname, postgres.port],
        "moto": [urlsplit(stack.moto.endpoint).hostname, urlsplit(stack.moto.endpoint).port],
        "api": [urlsplit(stack.url).hostname, urlsplit(stack.url).port],
    }
    definition = {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "snoop", "type": "code", "config": {"code": SNOOP}},
        ],
        "connections": [{"source": "start", "target": "snoop"}],
    }
    workflow_id = created(user, definition)

    started = user.client.post(
        f"/workflows/{workflow_id}/execute", {"input": {"files": files, "network": network}}
    )

    assert started.status == 202, started.body
    run = wait_for_execution(user, started.json["executionId"])
    assert run["status"] == "SUCCEEDED", run
    seen = run["output"]
    assert seen["environ"] == {}
    assert all(seen["files"][path].startswith("refused: ") for path in files), seen["files"]
    assert all(seen["network"][name].startswith("refused: ") for name in network), seen["network"]
    everything = json.dumps(seen)
    for secret in [*(Path(key).read_bytes().decode("latin-1") for key in keys), database_url]:
        assert secret not in everything
    assert sandbox_processes() == []


def test_the_code_templates_run_as_their_descriptions_say(api: ApiClient, user: RegisteredUser) -> None:
    """Issue 15 item 5: the gallery's code-node templates, instantiated and run over HTTP."""
    dedupe = user.client.post("/workflows", {"templateId": "code-dedupe-orders"})
    assert dedupe.status == 201, dedupe.body
    activation = user.client.post(f"/workflows/{dedupe.json['id']}/activate")
    assert activation.status == 200, activation.body
    orders = [{"id": 2, "amount": 5.5}, {"id": 1, "amount": 10}, {"id": 2, "amount": 99}]
    answer = api.request(
        "POST",
        urlsplit(activation.json["triggers"][0]["webhookUrl"]).path,
        body=json.dumps({"orders": orders}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status == 202, answer.body
    run = wait_for_execution(user, answer.json["executionId"])
    assert run["status"] == "SUCCEEDED", run
    assert run["output"] == {"orders": [orders[1], orders[0]], "count": 2, "total": 15.5}

    week = user.client.post("/workflows", {"templateId": "code-reporting-week"})
    assert week.status == 201, week.body
    started = user.client.post(
        f"/workflows/{week.json['id']}/execute", {"input": {"day": "2026-12-03", "timezone": "Europe/Berlin"}}
    )
    assert started.status == 202, started.body
    run = wait_for_execution(user, started.json["executionId"])
    assert run["status"] == "SUCCEEDED", run
    assert run["output"] == {
        "week": "2026-W49",
        "from": "2026-11-30T00:00:00+01:00",
        "to": "2026-12-06T23:59:59+01:00",
    }
