"""AWS cost per million executions, from measured step durations and request counts.

Public on-demand prices, us-east-1, as listed on the AWS pricing pages in January 2026
(Lambda arm64, SQS standard, API Gateway HTTP API first tier). Free tiers are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

LAMBDA_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_ARM64_PER_GB_S = 0.0000133334
SQS_PER_REQUEST = 0.40 / 1_000_000
HTTP_API_PER_REQUEST = 1.00 / 1_000_000
# Each step message is sent once, received once and deleted once by the event source mapping.
SQS_REQUESTS_PER_STEP = 3
# The database, listed beside the rest (assumption): Aurora Serverless v2, I/O-Standard, $0.12 per
# ACU-hour, at its 0.5-ACU floor and busy exactly while executions run at the measured concurrency-16
# throughput (scaled to zero otherwise); storage and I/O requests are not included.
# Sync-webhook executions: the webhook function is billed for the whole answer; steps as above.
AURORA_PER_ACU_HOUR = 0.12
AURORA_MIN_ACU = 0.5
DATABASE_ASSUMPTION = (
    "Aurora Serverless v2 at 0.5 ACU x $0.12/ACU-hour, busy only while executions run at the measured"
    " concurrency-16 rate; storage and I/O not included"
)

FORMULA = (
    "per execution = lambda_requests x $0.20/M + sum(billed_ms/1000 x memory_GB) x $0.0000133334"
    " + steps x 3 SQS requests x $0.40/M + 1 HTTP API request x $1.00/M; x 1,000,000"
)


@dataclass(frozen=True)
class ExecutionShape:
    """What one execution of a workflow costs in AWS units."""

    steps: int  # node-step Lambda invocations (one per non-trigger node; batching only lowers it)
    step_ms: float  # mean measured duration of one step invocation
    api_ms: float  # duration of the start call's route handler (+ the authorizer, billed apart)
    authorizer_ms: float
    memory_mb: int = 512


@dataclass(frozen=True)
class CostBreakdown:
    lambda_requests: float
    lambda_compute: float
    sqs: float
    api_gateway: float
    total: float  # Lambda + SQS + API Gateway
    database: float = 0.0  # beside the total: see DATABASE_ASSUMPTION


@dataclass(frozen=True)
class WebhookShape:
    """One sync-webhook execution: the webhook's own invocation (it runs the start transaction and any
    inline nodes, then answers) plus `steps` queued node steps on average."""

    steps: float
    step_ms: float
    webhook_ms: float
    executions_per_second: float  # at concurrency 16: what the database is busy for
    memory_mb: int = 512


def cost_per_million(shape: ExecutionShape) -> CostBreakdown:
    """USD per 1,000,000 executions of ``shape``; Lambda bills every invocation per started ms."""
    invocations = [(shape.step_ms, shape.steps), (shape.api_ms, 1), (shape.authorizer_ms, 1)]
    return _per_million(invocations, shape.memory_mb, steps=shape.steps)


def webhook_cost_per_million(shape: WebhookShape) -> CostBreakdown:
    """USD per 1,000,000 executions of a sync webhook workflow (no authorizer: webhooks are public)."""
    rate = shape.executions_per_second
    database = AURORA_MIN_ACU * AURORA_PER_ACU_HOUR / 3600 / rate if rate > 0 else 0.0
    invocations = [(shape.webhook_ms, 1.0), (shape.step_ms, shape.steps)]
    return _per_million(invocations, shape.memory_mb, steps=shape.steps, database=database)


def _per_million(
    invocations: Sequence[tuple[float, float]], memory_mb: int, *, steps: float, database: float = 0.0
) -> CostBreakdown:
    """Lambda (requests + GB-seconds of `(ms, count)` invocations), SQS for `steps` queued steps and
    one HTTP API request, per execution, times 1,000,000; `database` (per execution) beside the total."""
    gb = memory_mb / 1024
    gb_seconds = sum(_billed_ms(ms) / 1000 * gb * count for ms, count in invocations)
    requests = sum(count for _, count in invocations) * LAMBDA_PER_REQUEST
    compute = gb_seconds * LAMBDA_ARM64_PER_GB_S
    sqs = steps * SQS_REQUESTS_PER_STEP * SQS_PER_REQUEST
    api = HTTP_API_PER_REQUEST
    million = 1_000_000
    return CostBreakdown(
        lambda_requests=round(requests * million, 4),
        lambda_compute=round(compute * million, 4),
        sqs=round(sqs * million, 4),
        api_gateway=round(api * million, 4),
        total=round((requests + compute + sqs + api) * million, 4),
        database=round(database * million, 4),
    )


def prices() -> dict[str, object]:
    return {
        "lambdaPerRequest": LAMBDA_PER_REQUEST,
        "lambdaArm64PerGbSecond": LAMBDA_ARM64_PER_GB_S,
        "sqsPerRequest": SQS_PER_REQUEST,
        "httpApiPerRequest": HTTP_API_PER_REQUEST,
        "sqsRequestsPerStep": SQS_REQUESTS_PER_STEP,
        "priceListDate": "2026-01",
        "database": DATABASE_ASSUMPTION,
        "formula": FORMULA,
    }


def as_json(breakdown: CostBreakdown) -> dict[str, float]:
    return asdict(breakdown)


def _billed_ms(ms: float) -> float:
    return float(max(1, -(-ms // 1)))  # rounded up to the next whole millisecond
