"""The code sandbox's contract: ``main(input, ctx)`` in, JSON out; print captured and bounded;
exceptions as failures with the user's frames only; the output limit; the allowed imports.

Each run is a real sandbox process (functions/sandbox), as on Lambda and under ``a2n dev``.
"""

from __future__ import annotations

import json

from lambda_handlers import FakeLambdaContext
from sandbox_support import BYPASS, load_sandbox, output_of, run


class AlmostOutOfTime(FakeLambdaContext):
    def get_remaining_time_in_millis(self) -> int:
        return 2_500


def test_main_gets_input_and_ctx_and_its_return_value_is_the_output() -> None:
    code = "def main(input, ctx):\n    return {'sum': sum(input['n']), 'node': ctx['nodeId']}\n"

    assert output_of(code, input={"n": [1, 2, 3]}, context={"nodeId": "add"}) == {"sum": 6, "node": "add"}


def test_print_lines_come_back_in_order_with_their_offsets() -> None:
    code = (
        "def main(input, ctx):\n"
        "    print('first', 1)\n"
        "    print('second', end='')\n"
        "    print(' line')\n"
        "    print('no newline at the end', end='')\n"
        "    return None\n"
    )

    result = run(code)

    assert result["status"] == "ok" and result["output"] is None
    assert [text for _, text in result["logs"]] == ["first 1", "second line", "no newline at the end"]
    offsets = [offset for offset, _ in result["logs"]]
    assert offsets == sorted(offsets) and all(offset >= 0 for offset in offsets)
    assert result["logsDroppedBytes"] == 0


def test_print_output_beyond_the_log_limit_is_counted_not_kept() -> None:
    code = "def main(input, ctx):\n    for i in range(5000):\n        print('x' * 99)\n    return 'done'\n"

    result = run(code, limits={"logBytes": 1000})

    assert result["output"] == "done"
    kept = "".join(text + "\n" for _, text in result["logs"])
    assert len(kept.encode()) <= 1000
    assert result["logsDroppedBytes"] == 5000 * 100 - len(kept.encode())


def test_an_exception_fails_the_run_with_a_traceback_of_the_users_frames_only() -> None:
    code = "def helper(x):\n    return 1 / x\n\ndef main(input, ctx):\n    return helper(input)\n"

    result = run(code, input=0)

    error = result["error"]
    assert result["status"] == "error" and error["kind"] == "exception"
    assert error["message"] == "ZeroDivisionError: division by zero"
    assert error["line"] == 2
    assert 'File "<code>", line 5, in main' in error["traceback"]
    assert 'File "<code>", line 2, in helper' in error["traceback"]
    assert "child.py" not in error["traceback"] and "sandbox" not in error["traceback"]


def test_what_was_printed_before_a_failure_is_kept() -> None:
    result = run("def main(input, ctx):\n    print('about to fail')\n    raise ValueError('bad row 7')\n")

    assert result["error"]["message"] == "ValueError: bad row 7"
    assert [text for _, text in result["logs"]] == ["about to fail"]


def test_system_exit_is_a_failure_of_the_code_not_of_the_sandbox() -> None:
    result = run("def main(input, ctx):\n    raise SystemExit(3)\n")

    assert result["error"]["kind"] == "exception"
    assert result["error"]["message"] == "SystemExit: 3"


def test_a_process_ended_by_the_code_itself_is_reported_with_its_status() -> None:
    result = run(BYPASS + "def main(input, ctx):\n    grab('os')._exit(7)\n")

    assert result["error"]["kind"] == "crash"
    assert "exited with status 7 without a result" in result["error"]["message"]


def test_code_without_main_or_with_an_async_main_is_a_contract_failure() -> None:
    missing = run("def handler(input, ctx):\n    return 1\n")
    coroutine = run("async def main(input, ctx):\n    return 1\n")

    assert missing["error"]["kind"] == "contract"
    assert missing["error"]["message"] == "the code defines no main(input, ctx) function"
    assert coroutine["error"]["kind"] == "contract"
    assert "async def" in coroutine["error"]["message"]


def test_a_syntax_error_reports_its_line_and_column() -> None:
    result = run("def main(input, ctx):\n    return (1 +\n")

    assert result["error"]["kind"] == "syntax"
    assert result["error"]["line"] == 2 and result["error"]["column"] == 12


def test_non_json_output_is_a_clear_failure() -> None:
    cases = {
        "{1, 2}": "Object of type set is not JSON serializable",
        "float('nan')": "Out of range float values are not JSON compliant",
        "object()": "Object of type object is not JSON serializable",
        "b'bytes'": "Object of type bytes is not JSON serializable",
    }
    for expression, reason in cases.items():
        result = run(f"def main(input, ctx):\n    return {expression}\n")

        assert result["error"]["kind"] == "contract", expression
        assert result["error"]["message"] == f"main() returned a value that is not JSON: {reason}"


def test_ten_megabytes_of_output_are_refused_by_the_output_limit() -> None:
    result = run("def main(input, ctx):\n    return 'x' * 10_000_000\n")

    assert result["error"]["kind"] == "output-limit"
    assert result["error"]["message"] == "output is 10000002 bytes, over the limit of 1048576"


def test_the_output_limit_is_the_callers() -> None:
    code = "def main(input, ctx):\n    return 'x' * 2000\n"

    assert run(code, limits={"outputBytes": 1000})["error"]["kind"] == "output-limit"
    assert output_of(code, limits={"outputBytes": 3000}) == "x" * 2000


def test_the_allowed_modules_import_and_others_are_refused_with_the_list() -> None:
    allowed = (
        "import json, re, math, statistics, datetime, zoneinfo, decimal, hashlib, base64, uuid, itertools\n"
        "from collections import Counter\n"
        "from urllib.parse import urlsplit\n"
        "def main(input, ctx):\n"
        "    when = datetime.datetime(2024, 3, 31, 12, tzinfo=zoneinfo.ZoneInfo('Europe/Paris'))\n"
        "    return [when.isoformat(), urlsplit('https://a.example/x?y=1').hostname,\n"
        "            Counter('abca').most_common(1)[0][0], str(decimal.Decimal('1.10') * 3),\n"
        "            datetime.datetime.strptime('2024-02-29', '%Y-%m-%d').strftime('%j')]\n"
    )

    assert output_of(allowed) == ["2024-03-31T12:00:00+02:00", "a.example", "a", "3.30", "060"]
    for refused in ("os", "socket", "subprocess", "ctypes", "importlib", "urllib.request"):
        result = run(f"import {refused}\ndef main(input, ctx):\n    return 1\n")
        assert result["error"]["kind"] == "exception", refused
        assert result["error"]["message"].startswith(f"ImportError: module '{refused}' is not available")
        assert "json" in result["error"]["message"]  # the message lists what is available


def test_an_invocation_never_runs_past_the_time_the_lambda_has_left() -> None:
    sandbox = load_sandbox()
    code = "import time\ndef main(input, ctx):\n    time.sleep(60)\n"
    event = {"code": code, "limits": {"timeoutMs": 10**9}}

    result = sandbox.lambda_handler(event, AlmostOutOfTime())  # the handler keeps a second for itself

    assert result["error"]["kind"] == "timeout"
    assert result["error"]["message"] == "the code ran past its time limit of 1.5 s and was stopped"


def test_a_request_without_code_is_refused_without_starting_a_process() -> None:
    sandbox = load_sandbox()

    result = sandbox.run_sandboxed({"input": 1})

    assert result["error"] == {"kind": "request", "message": "the sandbox request needs a 'code' string"}
    assert "durationMs" not in result


def test_the_answer_is_plain_json_the_lambda_runtime_can_return() -> None:
    result = run("def main(input, ctx):\n    return {'é': [1.5, None, True]}\n")

    assert json.loads(json.dumps(result))["output"] == {"é": [1.5, None, True]}
