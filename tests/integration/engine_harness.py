"""Test harness for the engine: moto SQS queues per node type, a pump that feeds queued step
messages to the real step handler as SQS batches, and workflow/execution factories.

Everything commits for real (clean_db), so steps can run on other connections and threads.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from scripted_http import HitServer
from sqlalchemy import text

from a2n.db.models import Workflow, Workspace
from a2n.db.session import get_engine
from a2n.db.uow import UnitOfWork
from a2n.execution.links import start_and_publish
from a2n.execution.start import StartRequest
from a2n.execution.steps import StepDeps, process_step_batch
from a2n.nodes.registry import NODE_MODULES
from a2n.settings import reset_settings

STEP_TYPES = [t for t in NODE_MODULES if not t.startswith("trigger.")]


@dataclass
class Engine:
    sqs: Any
    urls: dict[str, str]
    deps: StepDeps = field(default_factory=StepDeps)
    workspace_id: uuid.UUID = field(default_factory=uuid.uuid4)
    # settings.inlinePureNodes of the workflows this harness saves (unless a test sets it): off by
    # default, so the queued-step protocol stays covered node by node; suites parametrize it.
    inline: bool = False

    def workflow(
        self, nodes: list[dict[str, Any]], connections: list[tuple[Any, ...]], **settings: Any
    ) -> uuid.UUID:
        """Insert a workflow; connections are (source, target) or (source, handle, target)."""
        edges = []
        for edge in connections:
            if len(edge) == 2:
                edges.append({"source": edge[0], "target": edge[1]})
            else:
                edges.append({"source": edge[0], "sourceHandle": edge[1], "target": edge[2]})
        settings.setdefault("inlinePureNodes", self.inline)
        definition = {
            "nodes": nodes,
            "connections": edges,
            "settings": settings,
            "variables": {"region": "eu"},
        }
        workflow_id = uuid.uuid4()
        with UnitOfWork() as uow:
            uow.session.add(
                Workflow(
                    id=workflow_id, workspace_id=self.workspace_id, name="wf", definition=definition,
                    published_version=1, published_definition=definition,
                )
            )
            uow.session.flush()
            # Each credential a node names is attached by its creator and shared with the workspace, as
            # every credential made before sharing existed is (tests of sharing set up their own).
            refs = [str(n["credentialId"]) for n in nodes if n.get("credentialId")]
            uow.session.execute(
                text(
                    "INSERT INTO credential_attachments (workflow_id, credential_id, attached_by)"
                    " SELECT :w, c.id, c.created_by FROM credentials c WHERE c.id::text = ANY(:refs)"
                ),
                {"w": workflow_id, "refs": refs},
            )
            uow.session.execute(
                text(
                    "INSERT INTO credential_shares (id, credential_id, workspace_id)"
                    " SELECT gen_random_uuid(), c.id, c.workspace_id FROM credentials c"
                    " WHERE c.id::text = ANY(:refs) ON CONFLICT DO NOTHING"
                ),
                {"refs": refs},
            )
            uow.commit()
        return workflow_id

    def start(self, workflow_id: uuid.UUID, data: Any = None, **extra: Any) -> uuid.UUID:
        from a2n.db.enums import ExecutionMode

        request = StartRequest(
            workflow_id=workflow_id,
            workspace_id=self.workspace_id,
            mode=extra.pop("mode", ExecutionMode.MANUAL),
            trigger_data=data,
            **extra,
        )
        return start_and_publish(request).execution_id

    def receive(self, node_type: str, *, wait_s: int = 0) -> list[dict[str, Any]]:
        answer = self.sqs.receive_message(
            QueueUrl=self.urls[node_type],
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait_s,
            VisibilityTimeout=30,
        )
        return answer.get("Messages", [])

    def deliver(
        self, node_type: str, messages: list[dict[str, Any]], deps: StepDeps | None = None
    ) -> set[str]:
        """Hand messages to the step handler as one SQS batch; delete the acknowledged ones."""
        event = {"Records": [sqs_record(node_type, m) for m in messages]}
        try:
            answer = process_step_batch(event, None, deps=deps or self.deps)
            failed = {item["itemIdentifier"] for item in answer["batchItemFailures"]}
        except Exception:  # every record failed: Lambda reports the whole batch
            failed = {m["MessageId"] for m in messages}
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.urls[node_type], ReceiptHandle=message["ReceiptHandle"])
            else:  # redeliver at once, as a short visibility timeout would
                self.sqs.change_message_visibility(
                    QueueUrl=self.urls[node_type], ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
        return failed

    def pump(
        self,
        *,
        until: Callable[[], bool] | None = None,
        max_rounds: int = 200,
        idle_wait_s: float = 0.2,
        deps: StepDeps | None = None,
    ) -> None:
        """Deliver queued messages until `until()` holds (default: nothing active) or rounds run out."""
        done = until or (lambda: not self.active())
        for _ in range(max_rounds):
            if done():
                return
            delivered = False
            for node_type in STEP_TYPES:
                messages = self.receive(node_type)
                if messages:
                    delivered = True
                    self.deliver(node_type, messages, deps)
            if not delivered:
                time.sleep(idle_wait_s)
        raise AssertionError("pump gave up: the executions did not settle")

    def active(self) -> list[Any]:
        return sql("SELECT id FROM executions WHERE status IN ('QUEUED', 'RUNNING')")

    def execution(self, execution_id: uuid.UUID) -> dict[str, Any]:
        rows = sql("SELECT * FROM executions WHERE id = :e", e=execution_id)
        return dict(rows[0]._mapping)

    def nodes(self, execution_id: uuid.UUID) -> dict[str, dict[str, Any]]:
        rows = sql("SELECT * FROM execution_node_states WHERE execution_id = :e", e=execution_id)
        return {row.node_id: dict(row._mapping) for row in rows}

    def drain(self) -> int:
        """Count and drop every message waiting in every queue."""
        count = 0
        for node_type in STEP_TYPES:
            while messages := self.receive(node_type):
                count += len(messages)
                for message in messages:
                    self.sqs.delete_message(
                        QueueUrl=self.urls[node_type], ReceiptHandle=message["ReceiptHandle"]
                    )
        return count


def sql(statement: str, **params: Any) -> list[Any]:
    with get_engine().begin() as conn:
        result = conn.execute(text(statement), params)
        return list(result) if result.returns_rows else []


def sqs_record(node_type: str, message: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{node_type}",
        "awsRegion": "us-east-1",
    }


@pytest.fixture
def engine(clean_db: str, aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    import boto3

    from a2n.adapters.sqs import reset_client

    sqs = boto3.client("sqs", region_name="us-east-1")
    urls = {t: sqs.create_queue(QueueName=f"step-{t.replace('.', '-')}")["QueueUrl"] for t in STEP_TYPES}
    monkeypatch.setenv("A2N_QUEUE_URLS", json.dumps(urls))
    monkeypatch.setenv("A2N_HTTP_ALLOW_NETWORKS", '["127.0.0.0/8"]')
    reset_settings()
    reset_client()
    harness = Engine(sqs=sqs, urls=urls)
    with UnitOfWork() as uow:
        uow.session.add(
            Workspace(id=harness.workspace_id, name="ws", slug=f"ws-{harness.workspace_id.hex[:8]}")
        )
        uow.commit()
    yield harness
    reset_client()
    reset_settings()


@pytest.fixture
def hits() -> Iterator[HitServer]:
    server = HitServer()
    yield server
    server.close()


class ZeroJitter:
    def random(self) -> float:
        return 0.0


def issued(execution_id: uuid.UUID) -> str:
    """A resume token for the execution's waiting node, as POST /executions/{id}/resume-token issues it."""
    from a2n.execution.control import issue_resume_token

    with UnitOfWork() as uow:
        _, token = issue_resume_token(uow.session, execution_id=execution_id, node_id=None)
        uow.commit()
    return token


def trigger(node_id: str = "start") -> dict[str, Any]:
    return {"id": node_id, "type": "trigger.manual", "config": {}}


def node(node_id: str, node_type: str, config: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "config": config or {}, **fields}
