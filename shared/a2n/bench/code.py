"""The code node's overhead per run, measured locally, and what a million runs cost on AWS.

A run is a fresh, locked-down Python process (the sandbox), JSON in and out and, on the code
node's path, one Lambda Invoke call from the code step. Measured with a trivial ``main``, so the
numbers are the overhead and nothing of user code: a bare interpreter start for reference, the
sandbox handler in-process (what the sandbox function bills), and the code node's own call through
the local Lambda Invoke API (what the code step waits for).
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

from a2n.bench import cost
from a2n.bench.stats import summary

TRIVIAL = "def main(input, ctx):\n    return input\n"
SANDBOX_MEMORY_MB = 512  # CodeSandboxFunction's MemorySize
STEP_MEMORY_MB = 512  # the code step function's (the engine stack's Globals)
# Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB.
LAMBDA_MB_PER_VCPU = 1769


@dataclass(frozen=True)
class CodeRunCost:
    """USD per million code-node runs, beside what the rest of the execution costs."""

    sandbox_requests: float
    sandbox_compute: float
    step_requests: float
    step_compute: float
    sqs: float
    total: float


def measure(runtime: Any, count: int) -> dict[str, Any]:
    """``count`` runs each way against the running stack's sandbox function."""
    from a2n.adapters.lambda_invoke import invoke_function
    from a2n.settings import get_settings

    function = get_settings().code_sandbox_function
    if not function:
        raise RuntimeError("the stack sets no A2N_CODE_SANDBOX_FUNCTION")
    logical_id = next(f.logical_id for f in runtime.template.functions.values() if f.name == function)
    event = {"code": TRIVIAL, "input": {"n": 1}, "context": {"nodeId": "bench"}}
    starts = [_timed(lambda: subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True))
              for _ in range(count)]  # fmt: skip
    handler = [_timed(lambda: _ok(runtime.invoke(logical_id, event))) for _ in range(count)]
    invoked = [_timed(lambda: _ok(invoke_function(function, event, max_run_s=30))) for _ in range(count)]
    isolation = _ok(runtime.invoke(logical_id, event)).get("isolation", {})
    return {"runs": count, "isolation": isolation, "interpreterStartMs": summary(starts),
            "sandboxMs": summary(handler), "invokeMs": summary(invoked)}  # fmt: skip


def cost_per_million(sandbox_ms: float, invoke_ms: float, step_ms: float) -> dict[str, Any]:
    """A million code-node runs: the sandbox function bills its run, the code step bills its own
    engine work plus the wait for the sandbox, and the step's message is one send, receive and
    delete. Two readings: local timings as they are, and scaled to the CPU Lambda gives 512 MB
    (a process start is CPU-bound; this VM's cores are faster than a third of a vCPU)."""
    scale = LAMBDA_MB_PER_VCPU / SANDBOX_MEMORY_MB
    measured = _cost(sandbox_ms, invoke_ms, step_ms)
    scaled = _cost(sandbox_ms * scale, invoke_ms + sandbox_ms * (scale - 1), step_ms)
    return {
        "usdPerMillionRuns": asdict(measured),
        "usdPerMillionRunsCpuScaled": asdict(scaled),
        "assumptions": (
            f"sandbox {SANDBOX_MEMORY_MB} MB and step {STEP_MEMORY_MB} MB arm64, billed per started ms;"
            f" 'CpuScaled' multiplies the sandbox's time by {scale:.2f} ({LAMBDA_MB_PER_VCPU} MB = 1 vCPU);"
            " the Invoke call's network time on AWS is not measured here; a pure node run inline costs"
            " none of this"
        ),
    }


def _cost(sandbox_ms: float, invoke_ms: float, step_ms: float) -> CodeRunCost:
    million = 1_000_000
    sandbox_gb_s = _billed(sandbox_ms) / 1000 * SANDBOX_MEMORY_MB / 1024
    step_gb_s = _billed(step_ms + invoke_ms) / 1000 * STEP_MEMORY_MB / 1024
    parts = {
        "sandbox_requests": cost.LAMBDA_PER_REQUEST * million,
        "sandbox_compute": sandbox_gb_s * cost.LAMBDA_ARM64_PER_GB_S * million,
        "step_requests": cost.LAMBDA_PER_REQUEST * million,
        "step_compute": step_gb_s * cost.LAMBDA_ARM64_PER_GB_S * million,
        "sqs": cost.SQS_REQUESTS_PER_STEP * cost.SQS_PER_REQUEST * million,
    }
    rounded = {key: round(value, 4) for key, value in parts.items()}
    return CodeRunCost(**rounded, total=round(sum(parts.values()), 4))


def _billed(ms: float) -> float:
    return float(max(1, -(-ms // 1)))


def _ok(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict) or answer.get("status") != "ok":
        raise RuntimeError(f"the sandbox did not run the trivial code: {answer}")
    return answer


def _timed(action: Any) -> float:
    began = time.perf_counter()
    action()
    return (time.perf_counter() - began) * 1000
