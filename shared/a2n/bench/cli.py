"""``a2n bench [--quick] [--out FILE]``: run every measurement, print a table, write JSON.

Each section is independent: one that fails is recorded with its error and the rest still run,
so the JSON always says what was and was not measured.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from a2n.bench import cost
from a2n.bench.meter import StepMeter, StepSample
from a2n.bench.stats import summary

# §11 budgets, reported beside the measurements (a benchmark reports; it never fails a build).
BUDGETS = {
    "transactionsPerStep": 2,
    "statementsPerStep": 10,
    "cpuMsPerStep": 3.0,
    "coldImportMs": 300.0,
    "crudRouteP99Ms": 25.0,
}
WORKFLOWS = ("linear10", "fanout10")
CONCURRENCY = (1, 16)
# --quick is a smoke run (and a test): one small wave at a lower concurrency keeps it under a minute.
QUICK_CONCURRENCY = (1, 4)


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="few repetitions: a smoke run in seconds")
    parser.add_argument("--out", type=Path, default=Path("bench-results/bench.json"), help="JSON output file")
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument("--database-url", default=None, help="use this Postgres instead of an embedded one")


def run(args: argparse.Namespace) -> int:
    report = run_bench(args.template, quick=args.quick, database_url=args.database_url)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str))
    print(render_table(report))
    print(f"\nJSON written to {args.out}")
    return 0


def run_bench(template: Path, *, quick: bool, database_url: str | None) -> dict[str, Any]:
    from a2n.bench import imports

    report: dict[str, Any] = {
        "startedAt": datetime.now(UTC).isoformat(),
        "quick": quick,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "budgets": BUDGETS,
    }
    files = imports.handler_files(template)
    chosen = dict(list(files.items())[:3]) if quick else files
    report["coldImports"] = _section("cold imports", lambda: _cold_imports(chosen))
    report.update(_with_stack(template, quick=quick, database_url=database_url))
    report["idle"] = _section("idle day", lambda: _idle_day(template, quick=quick, database_url=database_url))
    report["finishedAt"] = datetime.now(UTC).isoformat()
    return report


def _with_stack(template: Path, *, quick: bool, database_url: str | None) -> dict[str, Any]:
    from a2n.bench.stack import bench_stack

    meter = StepMeter()
    meter.install()
    _meter_steps(meter)
    out: dict[str, Any] = {}
    progress("starting embedded Postgres + local runtime")
    with bench_stack(template, database_url) as stack:
        user = stack.register_user()
        out["workflows"], out["engineOverhead"] = _workflows(user, meter, quick)
        out["webhooks"] = _section("webhooks", lambda: _webhooks(stack, user, quick))
        out["codeNode"] = _section("code node", lambda: _code_node(stack, out, quick))
        out["syncWorkflows"] = _section("sync workflows", lambda: _sync_workflows(stack, user, meter, quick))
        out["routes"] = _section("routes", lambda: _routes(stack, user, quick))
        out["cost"] = _section("cost", lambda: _costs(out))
    return out


def _idle_day(template: Path, *, quick: bool, database_url: str | None) -> dict[str, Any]:
    """A stack of its own on a ManualClock (one runtime at a time per process): one simulated idle
    day (--quick: an hour and a half, without the daily run)."""
    from a2n.bench.idle import DAY_MINUTES, idle_day
    from a2n.bench.stack import bench_stack
    from a2n.local.clock import ManualClock

    progress("idle day: a fresh stack on a ManualClock")
    clock = ManualClock(datetime.now(UTC).replace(second=0, microsecond=0))
    with bench_stack(template, database_url, clock=clock) as stack:
        return idle_day(stack, clock, minutes=90 if quick else DAY_MINUTES, progress=progress)


def _meter_steps(meter: StepMeter) -> None:
    """Wrap the step service that every node-step handler imports at call time."""
    try:
        from a2n.execution import steps
    except ImportError:
        progress("engine step service (a2n.execution.steps) not found: steps are not metered")
        return
    steps.handle_step_message = meter.wrap(steps.handle_step_message)


def _workflows(user: Any, meter: StepMeter, quick: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    from a2n.bench import workflows

    builders = {"linear10": workflows.linear_workflow, "fanout10": workflows.fan_out_in_workflow}
    runs: dict[str, Any] = {}
    overhead: dict[str, Any] = {}
    for name in WORKFLOWS:

        def measure(name: str = name) -> dict[str, Any]:
            workflow_id = workflows.create_workflow(user, f"bench {name}", builders[name]())
            results: dict[str, Any] = {"workflowId": workflow_id}
            samples: dict[int, list[StepSample]] = {}
            for concurrency in QUICK_CONCURRENCY if quick else CONCURRENCY:
                count = _executions(quick, concurrency)
                progress(f"{name}: {count} executions at concurrency {concurrency}")
                meter.samples.clear()
                result = workflows.run_many(user, workflow_id, count, concurrency)
                samples[concurrency] = list(meter.samples)
                results[f"concurrency{concurrency}"] = {
                    "executions": len(result.latencies_ms),
                    "statuses": result.statuses,
                    "executionsPerSecond": round(result.per_second, 2),
                    "latencyMs": summary(result.latencies_ms),
                }
            overhead[name] = _overhead([s for run in samples.values() for s in run])
            overhead[name]["byConcurrency"] = {str(c): _overhead(run) for c, run in samples.items()}
            return results

        runs[name] = _section(f"workflow {name}", measure)
    return runs, overhead


def _webhooks(stack: Any, user: Any, quick: bool) -> dict[str, Any]:
    from a2n.bench import webhooks
    from a2n.bench.stack import Client

    caller = Client(stack.runtime.url)  # webhooks are public: the caller's proof is the signature
    out: dict[str, Any] = {"nodes": 10}
    for mode in webhooks.MODES:
        path = webhooks.activate(user, f"bench webhook {mode}", webhooks.webhook_workflow(mode))
        rows: dict[str, Any] = {}
        for concurrency in QUICK_CONCURRENCY if quick else CONCURRENCY:
            count = _executions(quick, concurrency)
            progress(f"webhook {mode}: {count} signed POSTs at concurrency {concurrency}")
            rows[f"concurrency{concurrency}"] = webhooks.measure(
                user, caller, path, mode, count=count, concurrency=concurrency
            )
        out[mode] = rows
    return out


SYNC_WORKFLOWS = ("pure10", "mixed")


def _sync_workflows(stack: Any, user: Any, meter: StepMeter, quick: bool) -> dict[str, Any]:
    """Issue 10's two sync webhooks, pure nodes inline and not: latency, exec/s, and the node steps
    (= SQS messages) and step time each execution costs, from the metered steps of each phase."""
    from a2n.bench import mixed, webhooks
    from a2n.bench.stack import Client

    caller = Client(stack.runtime.url)
    out: dict[str, Any] = {}
    with mixed.local_server() as base_url:
        builders = {
            "pure10": lambda inline: webhooks.pure10_workflow(inline=inline),
            "mixed": lambda inline: mixed.mixed_workflow(base_url, inline=inline),
        }
        for name in SYNC_WORKFLOWS:
            for inline in (True, False):
                label = f"{name} inline {'on' if inline else 'off'}"
                path = webhooks.activate(user, f"bench {label}", builders[name](inline))
                rows: dict[str, Any] = {}
                for concurrency in QUICK_CONCURRENCY if quick else CONCURRENCY:
                    count = _executions(quick, concurrency)
                    progress(f"{label}: {count} signed POSTs at concurrency {concurrency}")
                    meter.samples.clear()
                    row = webhooks.measure(user, caller, path, "sync", count=count, concurrency=concurrency)
                    steps = list(meter.samples)
                    row["stepsPerExecution"] = round(len(steps) / max(1, row["requests"]), 2)
                    row["stepWallMs"] = summary([s.wall_ms for s in steps]) if steps else None
                    rows[f"concurrency{concurrency}"] = row
                out[label] = rows
    return out


def _code_node(stack: Any, report: dict[str, Any], quick: bool) -> dict[str, Any]:
    """Overhead per code-node run (a process start) and its AWS cost per million runs."""
    from a2n.bench import code

    count = 5 if quick else 50
    progress(f"code node: {count} trivial runs each way (interpreter, sandbox, Lambda Invoke)")
    measured = code.measure(stack.runtime, count)
    # The code step's own engine work is a queued step's: linear10's measured step wall time.
    step_ms = report.get("engineOverhead", {}).get("linear10", {}).get("wallMs", {}).get("mean", 0.0)
    sandbox_ms, invoke_ms = measured["sandboxMs"]["p50"], measured["invokeMs"]["p50"]
    measured["cost"] = code.cost_per_million(sandbox_ms, invoke_ms, step_ms) | {"stepMs": step_ms}
    return measured


def _executions(quick: bool, concurrency: int) -> int:
    """Enough runs for a p99 at concurrency 1, ten waves at higher concurrency; a few when quick."""
    return (2 if quick else 10) * concurrency if concurrency > 1 else (3 if quick else 50)


def _overhead(samples: list[StepSample]) -> dict[str, Any]:
    return {
        "steps": len(samples),
        "transactions": summary([s.transactions for s in samples]),
        "statements": summary([s.statements for s in samples]),
        "cpuMs": summary([s.cpu_ms for s in samples]),
        "wallMs": summary([s.wall_ms for s in samples]),
    }


def _routes(stack: Any, user: Any, quick: bool) -> dict[str, Any]:
    from a2n.bench import routes, workflows
    from a2n.local.template import load_template

    template = load_template(stack.template)
    definition = workflows.linear_workflow(3)
    workflow_id = workflows.create_workflow(user, "bench routes", definition)
    listed = user.client.call("GET", "/executions?limit=1").body or {}
    execution_id = (listed.get("items") or [{}])[0].get("id")
    calls = routes.read_calls(user.workspace_id, workflow_id, execution_id)
    calls += routes.write_calls(workflow_id, definition)
    progress(f"routes in-process: {len(calls)} routes x {5 if quick else 200}")
    measured = routes.measure_routes(template, user.access_token, calls, 5 if quick else 200, progress)
    return {"perRoute": measured, "notMeasured": routes.not_measured(template, list(measured))}


def _costs(report: dict[str, Any]) -> dict[str, Any]:
    route_rows = report.get("routes", {}).get("perRoute", {})
    api_ms = route_rows.get("POST /workflows/{id}/execute", {}).get("p50", 0.0)
    authorizer_ms = route_rows.get("authorizer", {}).get("p50", 0.0)
    out: dict[str, Any] = {"prices": cost.prices()}
    for name in WORKFLOWS:
        wall = report.get("engineOverhead", {}).get(name, {}).get("wallMs", {})
        shape = cost.ExecutionShape(
            steps=9, step_ms=wall.get("mean", 0.0), api_ms=api_ms, authorizer_ms=authorizer_ms
        )
        out[name] = {
            "shape": shape.__dict__,
            "usdPerMillion": cost.as_json(cost.cost_per_million(shape)),
            # Without metered steps the compute term assumes 1 billed ms per step.
            "stepDurationsMeasured": bool(wall.get("n")),
        }
    for label, rows in report.get("syncWorkflows", {}).items():
        if isinstance(rows, dict) and "concurrency1" in rows:
            out[label] = _sync_cost(rows)
    return out


def _sync_cost(rows: dict[str, Any]) -> dict[str, Any]:
    """A sync webhook's execution: the webhook invocation is billed for the whole answer (p50 at
    concurrency 1), plus its queued steps; the database is busy at the highest concurrency's rate."""
    one = rows["concurrency1"]
    busiest = rows[max(rows, key=lambda key: int(key.removeprefix("concurrency")))]
    shape = cost.WebhookShape(
        steps=one["stepsPerExecution"], step_ms=(one.get("stepWallMs") or {}).get("mean", 0.0),
        webhook_ms=one["latencyMs"]["p50"], executions_per_second=busiest.get("completedPerSecond") or 0.0,
    )  # fmt: skip
    return {"shape": shape.__dict__, "usdPerMillion": cost.as_json(cost.webhook_cost_per_million(shape))}


def _cold_imports(files: dict[str, Path]) -> dict[str, Any]:
    from a2n.bench.imports import BUDGET_MS, measure_cold_import

    rows = []
    for lid, path in files.items():
        row = measure_cold_import(lid, path)
        progress(f"cold import {lid:<36} {row.ms if row.ms is not None else row.error} ms")
        rows.append(row.__dict__ | {"overBudget": row.over_budget})
    return {
        "budgetMs": BUDGET_MS,
        "handlers": rows,
        "overBudget": [r["function"] for r in rows if r["overBudget"]],
    }


def _section(name: str, measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    began = time.perf_counter()
    try:
        result = measure()
    except Exception as error:  # recorded, not raised: the other sections still run
        progress(f"{name}: FAILED ({type(error).__name__}: {error})")
        return {"error": f"{type(error).__name__}: {error}"}
    result["sectionSeconds"] = round(time.perf_counter() - began, 2)
    return result


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def render_table(report: dict[str, Any]) -> str:
    from a2n.bench.table import render

    return render(report)
