"""SECURITY case 6: Postgres stops while steps are in flight and comes back; the failed
deliveries are retried and every execution finishes, each node recorded once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from engine_harness import STEP_TYPES, Engine, node, sql, trigger
from ports_support import free_port

from a2n.db.migrate import upgrade
from a2n.db.models import Workspace
from a2n.db.uow import UnitOfWork


@pytest.fixture
def restartable(pg_workdir: Any, aws: None, app_env: Any) -> Iterator[tuple[Any, Engine]]:
    import boto3

    from a2n.adapters.sqs import reset_client
    from a2n.local.postgres import EmbeddedPostgres

    server = EmbeddedPostgres(pg_workdir / "data", port=free_port())
    url = server.start()
    try:
        upgrade(url)
        sqs = boto3.client("sqs", region_name="us-east-1")
        urls = {
            t: sqs.create_queue(QueueName=f"restart-{t.replace('.', '-')}")["QueueUrl"] for t in STEP_TYPES
        }
        app_env.setenv("A2N_DATABASE_URL", url)
        app_env.setenv("A2N_QUEUE_URLS", json.dumps(urls))
        app_env.setenv("A2N_DATABASE_CONNECT_TIMEOUT_S", "2")
        app_env.apply()
        reset_client()
        harness = Engine(sqs=sqs, urls=urls)
        with UnitOfWork() as uow:
            uow.session.add(Workspace(id=harness.workspace_id, name="ws", slug="restart"))
            uow.commit()
        yield server, harness
    finally:
        reset_client()
        server.stop()


def test_case6_executions_finish_after_postgres_restarts_mid_run(restartable: tuple[Any, Engine]) -> None:
    server, engine = restartable
    chain = [trigger()] + [node(f"n{i}", "noop") for i in range(4)]
    edges = [("start", "n0")] + [(f"n{i}", f"n{i + 1}") for i in range(3)]
    workflow_id = engine.workflow(chain, edges)
    executions = [engine.start(workflow_id, {"run": i}) for i in range(3)]
    engine.deliver("noop", engine.receive("noop"))  # first steps done, successors published
    in_flight = engine.receive("noop")
    assert in_flight
    server.stop()
    failed = engine.deliver("noop", in_flight)  # every record fails while the database is down
    assert failed == {m["MessageId"] for m in in_flight}
    server.start()
    engine.pump()
    for execution_id in executions:
        assert engine.execution(execution_id)["status"] == "SUCCEEDED"
        nodes = engine.nodes(execution_id)
        assert all(state["status"] == "SUCCEEDED" and state["attempt"] == 1 for state in nodes.values())
        starts = sql(
            "SELECT node_id, count(*) FROM execution_logs"
            " WHERE execution_id = :e AND message = 'node started'"
            " GROUP BY node_id", e=execution_id,
        )  # fmt: skip
        assert {row[0]: row[1] for row in starts} == {f"n{i}": 1 for i in range(4)}
