"""Schemathesis against the local runtime with its response-conformance checks on (issue 11 item 15):
every operation of GET /openapi.json, fuzzed with a bounded number of examples, must answer only
declared statuses, content types, headers and bodies, and never a 5xx it does not declare.

Runs `.ci/fuzz.py` (what `make fuzz` runs against `make dev`) with schemathesis from its own tool venv
(.tools/fuzz, made by `make tools`), against this session's stack, with a fixed seed so that a run is
reproducible. Its time is bounded for `make test`: the examples, fuzzing and stateful phases (about
30 s here); `make fuzz` adds the coverage phase (every boundary value of every parameter: ~1,600
cases, 95 s on this machine) and explores with fresh seeds."""

from __future__ import annotations

import subprocess
from pathlib import Path

from a2n.local.runtime import LocalRuntime

ROOT = Path(__file__).resolve().parents[2]
FUZZ = ROOT / ".tools" / "fuzz" / "bin"
EXAMPLES_PER_OPERATION = 5
SEED = 11
PHASES = "examples,fuzzing,stateful"


def test_every_operation_answers_as_its_openapi_document_says(stack: LocalRuntime) -> None:
    schemathesis = FUZZ / "schemathesis"
    assert schemathesis.exists(), f"{schemathesis} is missing: run `make tools` (it installs it there)"
    command = [
        str(FUZZ / "python"), str(ROOT / ".ci" / "fuzz.py"), "--url", stack.url,
        "--max-examples", str(EXAMPLES_PER_OPERATION), "--schemathesis", str(schemathesis),
        "--", "--seed", str(SEED), "--phases", PHASES, "--no-color",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=ROOT)

    report = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    assert "passed" in done.stdout and "failure" not in done.stdout.rsplit("SUMMARY", 1)[-1], report
