"""`a2n bench --quick` end to end in a subprocess (its meter patches the step service and SQLAlchemy
for the whole process): every section is present, counts are positive and each engine step's
transactions and statements are recorded. Budgets are reported by the bench, never asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def quick_bench(out: Path) -> tuple[dict[str, Any], str]:
    command = [sys.executable, "-m", "a2n.cli", "bench", "--quick", "--out", str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=280, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text()), done.stdout


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """One quick bench (about half a minute) read by every test here."""
    return quick_bench(tmp_path_factory.mktemp("bench") / "bench.json")


def test_quick_bench_reports_every_section_with_metered_engine_steps(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    report, table = quick_run

    assert report["quick"] is True and report["budgets"]["statementsPerStep"] == 10
    sections = ("coldImports", "workflows", "engineOverhead", "webhooks", "codeNode", "routes", "cost")
    sections += ("idle",)
    for section in sections:
        assert "error" not in report[section], (section, report[section])
    cold = report["coldImports"]["handlers"]
    assert cold and all(row["ms"] and row["ms"] > 0 and row["error"] is None for row in cold)
    for name in ("linear10", "fanout10"):
        runs = [v for k, v in report["workflows"][name].items() if k.startswith("concurrency")]
        assert len(runs) == 2 and all(r["executions"] > 0 for r in runs)
        assert all(set(r["statuses"]) == {"SUCCEEDED"} for r in runs), report["workflows"][name]
        overhead = report["engineOverhead"][name]
        # Nine non-trigger nodes per execution, each one metered step.
        assert overhead["steps"] == 9 * sum(r["executions"] for r in runs)
        assert overhead["transactions"]["n"] == overhead["steps"] and overhead["transactions"]["p50"] >= 1
        assert overhead["statements"]["p50"] >= 1 and overhead["cpuMs"]["max"] > 0
        by_concurrency = overhead["byConcurrency"]  # the CPU budget is judged at concurrency 1
        assert set(by_concurrency) == {"1", "4"}
        assert sum(part["steps"] for part in by_concurrency.values()) == overhead["steps"]
        assert by_concurrency["1"]["steps"] == 9 * report["workflows"][name]["concurrency1"]["executions"]
        assert report["cost"][name]["stepDurationsMeasured"] is True
        assert report["cost"][name]["usdPerMillion"]["total"] > 0
    per_route = report["routes"]["perRoute"]
    assert per_route["authorizer"]["n"] > 0
    assert {row["status"] for key, row in per_route.items() if key != "authorizer"} <= {200, 201, 202}
    assert "GET /executions/{id}" in per_route
    assert "DELETE /executions/{id}" in report["routes"]["notMeasured"]
    # Scale to zero: simulated idle minutes open no database connection (the quick run has no daily run).
    idle = report["idle"]
    assert (idle["idleMinutes"], idle["connectionsOpened"], idle["checkouts"]) == (90, 0, 0)
    assert "Idle: DB connections opened during a simulated idle day" in table
    assert "Engine overhead per node step" in table and "Webhooks (signed POST" in table
    assert "linear10 c1" in table and "fanout10 c4" in table


def test_quick_bench_webhook_section_counts_every_signed_delivery(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    hooks = quick_run[0]["webhooks"]

    assert "error" not in hooks, hooks
    for mode, answered in (("async", "202"), ("sync", "200")):
        rows = [v for k, v in hooks[mode].items() if k.startswith("concurrency")]
        assert len(rows) == 2 and all(r["requests"] > 0 for r in rows), hooks[mode]
        # Distinct signed bodies: none refused as a replay; every sync answer echoed its own request.
        assert all(r["outcomes"] == {answered: r["requests"]} for r in rows), hooks[mode]
        assert all(r["latencyMs"]["n"] == r["requests"] and r["latencyMs"]["p50"] > 0 for r in rows)
        assert all(r["completedPerSecond"] > 0 for r in rows)
    # Every accepted async delivery started an execution, each one succeeded and its end was timed.
    for row in hooks["async"].values():
        assert row["runStatuses"] == {"SUCCEEDED": row["requests"]}, row
        assert row["completionMs"]["n"] == row["requests"] and row["completionMs"]["p50"] > 0


def test_quick_bench_measures_the_code_nodes_overhead_each_way_and_prices_it(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    report, table = quick_run
    code = report["codeNode"]

    for way in ("interpreterStartMs", "sandboxMs", "invokeMs"):
        assert code[way]["n"] == code["runs"] == 5 and code[way]["p50"] > 0, way
    assert code["isolation"]["limits"] == "all"
    measured, scaled = code["cost"]["usdPerMillionRuns"], code["cost"]["usdPerMillionRunsCpuScaled"]
    assert measured["sandbox_requests"] == measured["step_requests"] == 0.2 and measured["sqs"] == 1.2
    assert 0 < measured["sandbox_compute"] <= scaled["sandbox_compute"]
    assert code["cost"]["stepMs"] > 0  # the code step's own engine work, from the metered steps
    assert "Code node overhead per run" in table


def test_quick_bench_sync_workflows_count_the_queued_steps_of_each_mode(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    """Pure nodes inline: the all-pure workflow queues no step and the mixed one only its 2 I/O nodes;
    inline off, every one of the 9 non-trigger nodes is a queued step (an SQS message)."""
    report, table = quick_run
    runs = {k: v for k, v in report["syncWorkflows"].items() if k != "sectionSeconds"}
    assert "error" not in runs, runs
    expected = {"pure10 inline on": 0, "pure10 inline off": 9, "mixed inline on": 2, "mixed inline off": 9}
    assert set(runs) == set(expected)
    for label, steps in expected.items():
        for row in runs[label].values():
            assert row["outcomes"] == {"200": row["requests"]}, (label, row)
            assert row["stepsPerExecution"] == steps, (label, row)
        usd = report["cost"][label]["usdPerMillion"]
        assert (usd["sqs"] == 0) is (steps == 0) and usd["database"] > 0
    assert "Sync webhook workflows" in table and "mixed inline on" in table
