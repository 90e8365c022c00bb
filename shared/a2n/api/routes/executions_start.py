"""POST /workflows/{id}/execute: start a manual run, idempotent under an Idempotency-Key.

The key's request hash is SHA-256 of the canonical JSON body, so the same key with a different
body is a 409 while a byte-different but equal body is a replay.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, Literal

from pydantic import Field

from a2n.api.openapi import IDEMPOTENCY_KEY, RouteDoc
from a2n.api.request import Request
from a2n.api.response import Response
from a2n.api.schemas import RequestBody, ResponseBody
from a2n.errors import NotFound


class ExecuteIn(RequestBody):
    input: Any = Field(default=None, description="Becomes the manual trigger node's output")
    version: Literal["published", "draft"] = Field(
        default="published",
        description="What to run: the published version (what triggers run) or the draft, to test it",
    )

    def hashed(self) -> dict[str, Any]:
        """What the Idempotency-Key's request hash covers (``version`` only when it is not the default,
        so keys recorded before drafts existed still replay)."""
        body = self.model_dump(mode="json", include={"input"})
        return body if self.version == "published" else {**body, "version": self.version}


class ExecuteOut(ResponseBody):
    execution_id: str
    status: str


def execute_workflow(request: Request) -> Response:
    from a2n.services.execution_commands import execute_workflow as start

    body = request.parse(ExecuteIn) if (request.raw_body or "").strip() else ExecuteIn()
    key = request.idempotency_key
    started = start(
        request.principal,
        _workflow_id(request.path_param("id")),
        body.input,
        idempotency_key=key,
        request_hash=request_hash(body.hashed()) if key is not None else None,
        run_draft=body.version == "draft",
        origin=request.origin,
    )
    out = ExecuteOut(execution_id=str(started.execution_id), status=started.status)
    # A replay answers 200 with the first result's body; the first request 202 (accepted, running).
    return Response(202 if started.created else 200, out)


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _workflow_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound("Workflow not found") from None


ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "POST",
        "/workflows/{id}/execute",
        "Start a run (Idempotency-Key: same key within 24 h returns the first execution)",
        ExecuteIn,
        ExecuteOut,
        202,
        tags=("executions",),
        errors=(404, 409, 429),
        request_headers=(IDEMPOTENCY_KEY,),
        also=((200, ExecuteOut),),  # an Idempotency-Key replay: the first request's execution
        body_required=False,
    ),
)
