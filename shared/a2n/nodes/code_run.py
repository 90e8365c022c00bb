"""The code node's run: send source, input and plain context to the sandbox function, and turn its
answer into the node's output, its ``print`` lines and, when it failed, a clear failure.

Nothing of the user's code runs here: this process holds the database connection and the step's
credentials, the sandbox holds nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError

from a2n.nodes.code import CodeConfig
from a2n.nodes.context import NodeContext, NodeFailed, NodeLog, NodeResult, parse_config

if TYPE_CHECKING:
    from a2n.settings import Settings

# Failures another attempt may cure (the code's own exceptions can depend on time or data it reads);
# refusals of the contract (not JSON, too large, no main) and limits hit would only repeat.
RETRYABLE_KINDS = frozenset({"exception", "timeout"})
PRINT_LINE_LIMIT = 2000
# The expression context's plain data, under the names expressions use.
CONTEXT_KEYS = ("trigger", "nodes", "vars", "execution")


class SandboxError(BaseModel):
    kind: str
    message: str
    traceback: str | None = None
    line: int | None = None
    column: int | None = None
    stderr: str | None = None


class SandboxAnswer(BaseModel):
    """What the sandbox function answers (functions/sandbox/app.py)."""

    status: Literal["ok", "error"]
    output: Any = None
    error: SandboxError | None = None
    logs: list[tuple[int, str]] = []
    logsDroppedBytes: int = 0
    isolation: dict[str, str] = {}
    durationMs: int = 0


def run_code(ctx: NodeContext) -> NodeResult:
    """One run in the sandbox; raises NodeFailed with what the code printed before it failed."""
    from a2n.settings import get_settings

    settings = get_settings()
    config = parse_config(CodeConfig, ctx)
    function = _sandbox_function(settings)
    request = sandbox_request(ctx, config.code, settings)
    started = datetime.now(UTC)
    answer = _invoke(function, request, settings)
    logs = printed_lines(answer, started, datetime.now(UTC), settings.code_log_bytes)
    if answer.status == "ok":
        return NodeResult(output=answer.output, logs=logs)
    raise _failure(answer.error, logs, settings)


def sandbox_wall_s(node_timeout_s: float, cap_s: float) -> float:
    """The code's wall time: the node's timeout capped, less a margin for the process start and the
    answer, so a run past it fails as the code's timeout rather than as an abandoned step."""
    return max(0.1, min(cap_s, node_timeout_s - min(0.5, node_timeout_s / 2)))


def sandbox_request(ctx: NodeContext, code: str, settings: Settings) -> dict[str, Any]:
    """``{code, input, context, limits}``: the context is plain JSON (ids and the expression
    context's data), never a credential or a setting."""
    expression = ctx.expression_context
    context = {"executionId": ctx.execution_id, "nodeId": ctx.node_id, "attempt": ctx.attempt}
    context.update({key: expression.get(key) for key in CONTEXT_KEYS})
    limits = {
        "timeoutMs": int(sandbox_wall_s(ctx.timeout_s, settings.code_timeout_max_s) * 1000),
        "memoryMb": settings.code_memory_mb,
        "outputBytes": settings.node_output_limit_bytes,
        "logBytes": settings.code_log_bytes,
    }
    return {"code": code, "input": ctx.input, "context": context, "limits": limits}


def printed_lines(
    answer: SandboxAnswer, started: datetime, ended: datetime, limit: int
) -> tuple[NodeLog, ...]:
    """Each printed line at the time it was printed, a microsecond apart at least so that the log
    keeps their order, and strictly inside the run (before the node's own end line); a warning
    when lines were dropped."""
    count = len(answer.logs)
    lines = []
    for index, (offset, text) in enumerate(answer.logs):
        printed = started + timedelta(milliseconds=offset, microseconds=index)
        lines.append(
            NodeLog(min(printed, ended - timedelta(microseconds=count + 1 - index)), text[:PRINT_LINE_LIMIT])
        )
    if answer.logsDroppedBytes:
        message = f"print output over the limit of {limit} bytes: {answer.logsDroppedBytes} bytes not kept"
        lines.append(NodeLog(ended - timedelta(microseconds=1), message, "WARN"))
    return tuple(lines)


def _sandbox_function(settings: Settings) -> str:
    if settings.code_require_vpc and not settings.code_sandbox_in_vpc:
        raise NodeFailed(
            "code nodes are required to run in a VPC without internet access (CodeRequireVpc), but "
            "the sandbox is not in one: deploy with CodeSandboxSubnetIds and CodeSandboxVpcId"
        )
    if not settings.code_sandbox_function:
        raise NodeFailed("no code sandbox is configured: set A2N_CODE_SANDBOX_FUNCTION (the template does)")
    return settings.code_sandbox_function


def _invoke(function: str, request: dict[str, Any], settings: Settings) -> SandboxAnswer:
    from a2n.adapters import lambda_invoke

    try:
        raw = lambda_invoke.invoke_function(function, request, max_run_s=settings.code_timeout_max_s)
    except lambda_invoke.PayloadTooLarge as error:
        raise NodeFailed(
            f"the code node's input and context are {error.size} bytes, over the sandbox's "
            f"{lambda_invoke.MAX_PAYLOAD_BYTES}: pass it less data"
        ) from None
    except lambda_invoke.FunctionBusy:
        raise NodeFailed("the code sandbox is at its concurrency limit; try again", retryable=True) from None
    except lambda_invoke.FunctionUnavailable as error:
        raise NodeFailed(f"the code sandbox could not be invoked: {error}", retryable=True) from None
    except lambda_invoke.FunctionCrashed as error:
        raise NodeFailed(f"the code sandbox failed: {error}", retryable=True) from None
    try:
        return SandboxAnswer.model_validate(raw)
    except ValidationError:
        raise NodeFailed("the code sandbox answered in an unexpected shape", retryable=True) from None


def _failure(error: SandboxError | None, logs: tuple[NodeLog, ...], settings: Settings) -> NodeFailed:
    if error is None:
        return NodeFailed("the code sandbox reported a failure without saying why", retryable=True, logs=logs)
    message = error.message
    if error.kind == "memory":
        message = f"{message}: the code went over its memory limit of {settings.code_memory_mb} MiB"
    fields = {"kind": error.kind, "traceback": error.traceback, "line": error.line, "column": error.column,
              "stderr": error.stderr}  # fmt: skip
    details = {key: value for key, value in fields.items() if value is not None}
    return NodeFailed(message, retryable=error.kind in RETRYABLE_KINDS, details=details, logs=logs)
