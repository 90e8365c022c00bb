"""Bench arithmetic: nearest-rank percentiles, the AWS cost formula, the table of a partial report."""

from __future__ import annotations

import pytest

from a2n.bench import code, cost
from a2n.bench.stats import percentile, summary
from a2n.bench.table import render
from a2n.bench.workflows import fan_out_in_workflow, linear_workflow


def test_percentiles_are_nearest_rank_samples() -> None:
    samples = list(range(1, 101))
    assert percentile(samples, 50) == 50
    assert percentile(samples, 99) == 99
    assert percentile([7.0], 99) == 7.0
    assert summary([]) == {"n": 0, "p50": 0.0, "p99": 0.0, "mean": 0.0, "max": 0.0}


def test_cost_per_million_follows_the_published_formula() -> None:
    shape = cost.ExecutionShape(steps=9, step_ms=10.2, api_ms=4.0, authorizer_ms=2.5, memory_mb=512)

    got = cost.cost_per_million(shape)

    # 11 Lambda requests; billed ms 11 x 9 + 4 + 3 at 0.5 GB; 27 SQS requests; 1 HTTP API request.
    compute = (11 * 9 + 4 + 3) / 1000 * 0.5 * cost.LAMBDA_ARM64_PER_GB_S * 1e6
    assert got.lambda_requests == pytest.approx(11 * 0.20)
    assert got.lambda_compute == pytest.approx(compute, abs=1e-4)
    assert got.sqs == pytest.approx(27 * 0.40)
    assert got.api_gateway == pytest.approx(1.00)
    assert got.total == pytest.approx(2.2 + compute + 10.8 + 1.0, abs=1e-3)


def test_a_sync_webhook_costs_its_invocation_its_queued_steps_and_the_database_beside() -> None:
    mixed = cost.webhook_cost_per_million(
        cost.WebhookShape(steps=2, step_ms=10.2, webhook_ms=80.0, executions_per_second=10.0)
    )
    # 3 Lambda requests; billed ms 80 + 2 x 11 at 0.5 GB; 6 SQS requests; 1 HTTP API request.
    compute = (80 + 2 * 11) / 1000 * 0.5 * cost.LAMBDA_ARM64_PER_GB_S * 1e6
    assert mixed.lambda_requests == pytest.approx(3 * 0.20)
    assert mixed.lambda_compute == pytest.approx(compute, abs=1e-4)
    assert mixed.sqs == pytest.approx(6 * 0.40)
    assert mixed.total == pytest.approx(0.6 + compute + 2.4 + 1.0, abs=1e-3)
    # 0.5 ACU x $0.12 per hour, for the 1/10 s each execution keeps it busy; not in the total.
    assert mixed.database == pytest.approx(0.5 * 0.12 / 3600 / 10 * 1e6, abs=1e-3)
    pure = cost.webhook_cost_per_million(
        cost.WebhookShape(steps=0, step_ms=0.0, webhook_ms=13.0, executions_per_second=60.0)
    )
    assert pure.sqs == 0 and pure.lambda_requests == pytest.approx(0.20) and pure.total < 2


def test_more_steps_or_slower_steps_cost_more() -> None:
    base = cost.cost_per_million(cost.ExecutionShape(steps=9, step_ms=5, api_ms=5, authorizer_ms=5))
    slower = cost.cost_per_million(cost.ExecutionShape(steps=9, step_ms=50, api_ms=5, authorizer_ms=5))
    longer = cost.cost_per_million(cost.ExecutionShape(steps=19, step_ms=5, api_ms=5, authorizer_ms=5))
    assert base.total < slower.total
    assert base.total < longer.total


def test_a_code_node_run_prices_both_lambdas_and_its_step_message() -> None:
    priced = code.cost_per_million(sandbox_ms=24.2, invoke_ms=30.0, step_ms=4.5)["usdPerMillionRuns"]

    # Sandbox: 25 billed ms at 0.5 GB; step: its 4.5 ms plus the 30 ms wait, 35 billed ms at 0.5 GB.
    assert priced["sandbox_requests"] == priced["step_requests"] == pytest.approx(0.20)
    assert priced["sandbox_compute"] == pytest.approx(
        25 / 1000 * 0.5 * cost.LAMBDA_ARM64_PER_GB_S * 1e6, abs=1e-4
    )
    assert priced["step_compute"] == pytest.approx(
        35 / 1000 * 0.5 * cost.LAMBDA_ARM64_PER_GB_S * 1e6, abs=1e-4
    )
    assert priced["sqs"] == pytest.approx(3 * 0.40)
    assert priced["total"] == pytest.approx(sum(v for k, v in priced.items() if k != "total"), abs=1e-3)


def test_both_bench_workflows_have_ten_nodes_and_one_trigger() -> None:
    for definition in (linear_workflow(), fan_out_in_workflow()):
        assert len(definition["nodes"]) == 10
        assert [n["type"] for n in definition["nodes"]].count("trigger.manual") == 1
    fan = fan_out_in_workflow()
    assert sum(1 for c in fan["connections"] if c["target"] == "join") == 8


def test_table_renders_failed_and_missing_sections_without_crashing() -> None:
    report = {
        "budgets": {"transactionsPerStep": 2, "statementsPerStep": 10, "cpuMsPerStep": 3.0},
        "engineOverhead": {"linear10": {"steps": 0}},
        "workflows": {"linear10": {"error": "RuntimeError: boom"}},
        "coldImports": {
            "budgetMs": 300.0,
            "handlers": [{"function": "F", "ms": 412.0, "error": None, "overBudget": True}],
        },
        "routes": {"error": "RuntimeError: no authorizer"},
        "cost": {"prices": cost.prices(), "sectionSeconds": 0.1},
    }
    text = render(report)
    assert "FAILED: RuntimeError: boom" in text
    assert "412.0  OVER" in text
    assert "Routes FAILED" in text
