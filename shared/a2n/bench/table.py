"""The human-readable end of ``a2n bench``: one text table per section of the JSON report."""

from __future__ import annotations

from typing import Any


def render(report: dict[str, Any]) -> str:
    lines: list[str] = []
    lines += _engine(report.get("engineOverhead", {}), report.get("budgets", {}))
    lines += _workflows(report.get("workflows", {}))
    lines += _webhooks(report.get("webhooks", {}))
    lines += _code_node(report.get("codeNode", {}))
    lines += _sync_workflows(report.get("syncWorkflows", {}))
    lines += _cold(report.get("coldImports", {}))
    lines += _routes(report.get("routes", {}))
    lines += _cost(report.get("cost", {}))
    lines += _idle(report.get("idle", {}))
    return "\n".join(lines)


def _idle(idle: dict[str, Any]) -> list[str]:
    if "error" in idle or not idle:
        return ["", f"Idle: not measured ({idle.get('error', 'no section')})"]
    daily, runs = idle["dailyRun"], idle["sweeperRuns"] or "none"
    outside = f"{idle['connectionsOpened']} opened, {idle['checkouts']} checkouts"
    in_daily = f"{daily['connectionsOpened']} opened, {daily['checkouts']} checkouts"
    return [
        "",
        f"Idle: DB connections opened during a simulated idle day ({idle['idleMinutes']} min, ManualClock)",
        f"  outside the daily run: {outside}",
        f"  the daily run (sweep, retention): {in_daily}",
        f"  sweeper runs: {runs}; settled {idle['settleMinutes']} min after the work",
    ]


def _engine(overhead: dict[str, Any], budgets: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "Engine overhead per node step (p50 / p99)",
        f"{'workflow':<14} {'steps':>6} {'tx':>9} {'stmts':>9} {'cpu ms':>13} {'wall ms':>13}",
    ]
    for name, row in overhead.items():
        if not row.get("steps"):
            lines.append(f"{name:<10} no steps metered")
            continue
        for concurrency, part in (row.get("byConcurrency") or {"all": row}).items():
            label = f"{name} c{concurrency}" if concurrency != "all" else name
            lines.append(
                f"{label:<14} {part['steps']:>6} {_pair(part['transactions'])} {_pair(part['statements'])} "
                f"{_pair(part['cpuMs'], 13)} {_pair(part['wallMs'], 13)}"
            )
    lines.append(
        f"budget: <= {budgets.get('transactionsPerStep')} tx,"
        f" <= {budgets.get('statementsPerStep')} statements, <= {budgets.get('cpuMsPerStep')} ms CPU"
        " (CPU judged at concurrency 1: a Lambda runs one step at a time; at 16 the local runtime's"
        " steps share one process and one GIL)"
    )
    return lines


def _workflows(runs: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "Workflows end to end (execute call → the execution's recorded endedAt)",
        f"{'workflow':<10} {'conc':>4} {'execs':>6} {'exec/s':>8} {'p50 ms':>9} {'p99 ms':>9}  statuses",
    ]
    for name, run in runs.items():
        if "error" in run:
            lines.append(f"{name:<10} FAILED: {run['error']}")
            continue
        for key, row in run.items():
            if key.startswith("concurrency") and isinstance(row, dict):
                lat = row["latencyMs"]
                lines.append(
                    f"{name:<10} {key.removeprefix('concurrency'):>4} {row['executions']:>6} "
                    f"{row['executionsPerSecond']:>8} {lat['p50']:>9} {lat['p99']:>9}  {row['statuses']}"
                )
    return lines


def _webhooks(hooks: dict[str, Any]) -> list[str]:
    if "error" in hooks:
        return ["", f"Webhooks FAILED: {hooks['error']}"]
    lines = [
        "",
        f"Webhooks (signed POST, {hooks.get('nodes', 10)}-node chain; async: request → 202; sync: request"
        " → respond_webhook's answer; run: async request → its recorded endedAt, queueing included)",
        f"{'mode':<6} {'conc':>4} {'reqs':>5} {'p50 ms':>9} {'p99 ms':>9}"
        f" {'202/s':>7} {'done/s':>7} {'run p50/p99 ms':>15}  outcomes",
    ]
    for mode in ("async", "sync"):
        for key, row in hooks.get(mode, {}).items():
            lat = row["latencyMs"]
            accepted = row.get("acceptedPerSecond", "-")
            lines.append(
                f"{mode:<6} {key.removeprefix('concurrency'):>4} {row['requests']:>5} {lat['p50']:>9}"
                f" {lat['p99']:>9} {accepted:>7} {row.get('completedPerSecond', '-'):>7}"
                f" {_run_pair(row):>15}  {row['outcomes']}"
                + (f" runs {row['runStatuses']}" if row.get("runStatuses") else "")
            )
    return lines


def _code_node(code: dict[str, Any]) -> list[str]:
    if not code:
        return []
    if "error" in code:
        return ["", f"Code node FAILED: {code['error']}"]
    lines = ["", f"Code node overhead per run, trivial main ({code['runs']} runs; p50 / p99 ms)"]
    for key, label in (("interpreterStartMs", "bare interpreter start (python -I -S)"),
                       ("sandboxMs", "sandbox handler: fresh locked-down process, in and out"),
                       ("invokeMs", "code node's Lambda Invoke through the local API")):  # fmt: skip
        lines.append(f"  {label:<58} {_pair(code[key], 13)}")
    lines.append(f"  isolation: {code.get('isolation')}")
    for key, label in (("usdPerMillionRuns", "as measured"), ("usdPerMillionRunsCpuScaled", "CPU-scaled")):
        usd = code["cost"][key]
        lines.append(
            f"  AWS per million runs ({label}): total {usd['total']:.2f}"
            f"  sandbox {usd['sandbox_requests']:.2f} + {usd['sandbox_compute']:.2f}"
            f"  step {usd['step_requests']:.2f} + {usd['step_compute']:.2f}  sqs {usd['sqs']:.2f}"
        )
    lines.append(f"  {code['cost']['assumptions']}")
    return lines


def _sync_workflows(runs: dict[str, Any]) -> list[str]:
    if "error" in runs:
        return ["", f"Sync workflows FAILED: {runs['error']}"]
    lines = [
        "",
        "Sync webhook workflows (pure10: webhook → 8 transforms → condition; mixed: webhook → http → 5 pure"
        " → http → 2 pure); steps/exec = queued node steps = SQS messages per execution",
        f"{'workflow':<18} {'conc':>4} {'reqs':>5} {'exec/s':>7} {'p50 ms':>9} {'p99 ms':>9}"
        f" {'steps/exec':>10}  outcomes",
    ]
    for label, rows in runs.items():
        if not isinstance(rows, dict):
            continue  # sectionSeconds
        for key, row in rows.items():
            lat = row["latencyMs"]
            lines.append(
                f"{label:<18} {key.removeprefix('concurrency'):>4} {row['requests']:>5}"
                f" {row.get('completedPerSecond', '-'):>7} {lat['p50']:>9} {lat['p99']:>9}"
                f" {row.get('stepsPerExecution', '-'):>10}  {row['outcomes']}"
            )
    return lines


def _run_pair(row: dict[str, Any]) -> str:
    """Async rows: request → the run's recorded end. Accepting outpaces executing, so this includes the
    queue the burst built up: it says how long a burst takes to clear, not one run's latency."""
    done = row.get("completionMs")
    return f"{done['p50']:.0f}/{done['p99']:.0f}" if done else "-"


def _cold(cold: dict[str, Any]) -> list[str]:
    if "error" in cold:
        return ["", f"Cold imports FAILED: {cold['error']}"]
    lines = ["", f"Cold import per handler (budget {cold.get('budgetMs')} ms)"]
    for row in sorted(cold.get("handlers", []), key=lambda r: -(r["ms"] or 0)):
        mark = "  OVER" if row["overBudget"] else ""
        lines.append(f"  {row['function']:<40} {row['ms'] if row['ms'] is not None else row['error']}{mark}")
    return lines


def _routes(routes: dict[str, Any]) -> list[str]:
    if "error" in routes:
        return ["", f"Routes FAILED: {routes['error']}"]
    lines = ["", "API routes in-process (ms)", f"  {'route':<48} {'status':>6} {'p50':>8} {'p99':>8}"]
    for key, row in routes.get("perRoute", {}).items():
        if "error" in row:
            lines.append(f"  {key:<48} {row['error']}")
        else:
            lines.append(f"  {key:<48} {row['status']:>6} {row['p50']:>8} {row['p99']:>8}")
    if routes.get("notMeasured"):
        lines.append(f"  not measured (not repeatable): {', '.join(routes['notMeasured'])}")
    return lines


def _cost(costs: dict[str, Any]) -> list[str]:
    if "error" in costs:
        return ["", f"Cost FAILED: {costs['error']}"]
    lines = ["", "AWS cost per million executions (USD)"]
    for name, row in costs.items():
        if isinstance(row, dict) and "usdPerMillion" in row:
            usd = row["usdPerMillion"]
            lines.append(
                f"  {name:<18} total {usd['total']:>9.2f}  lambda req {usd['lambda_requests']:.2f}"
                f"  compute {usd['lambda_compute']:.2f}  sqs {usd['sqs']:.2f}  api {usd['api_gateway']:.2f}"
                + (f"  | database {usd['database']:.2f}" if usd.get("database") else "")
            )
    lines.append(f"  {costs.get('prices', {}).get('formula', '')}")
    if costs.get("prices", {}).get("database"):
        lines.append(f"  database: {costs['prices']['database']}")
    return lines


def _pair(stat: dict[str, Any], width: int = 9) -> str:
    return f"{stat['p50']:g}/{stat['p99']:g}".rjust(width)
