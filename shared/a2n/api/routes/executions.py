"""Executions routes of API.md: list, read (with nodes), logs, cancel, retry, resume, delete.

Route functions parse the request, call one service function and shape the response; the
wire models below are also what the OpenAPI document publishes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field, JsonValue, field_validator

from a2n.api.http import Request, Response
from a2n.api.openapi import QueryParam, RouteDoc
from a2n.api.pagination import Page, page_of, page_request
from a2n.api.schemas import CamelModel, PageOf, RequestBody, ResponseBody, UtcDatetime
from a2n.db.enums import ExecutionStatus, LogLevel
from a2n.errors import BadRequest

if TYPE_CHECKING:
    from a2n.api.pagination import Cursor
    from a2n.db.models import Execution, ExecutionLog, ExecutionNodeState
    from a2n.db.repositories.execution_queries import After

# --- wire models --------------------------------------------------------------------------------


class ExecutionListQuery(CamelModel):
    """``?workflowId=&status=&since=&until=``; status takes one value or a comma-separated list."""

    workflow_id: uuid.UUID | None = None
    status: tuple[ExecutionStatus, ...] = ()
    since: UtcDatetime | None = None
    until: UtcDatetime | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _split_statuses(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().upper() for part in value.split(",") if part.strip())
        return value


class LogQuery(CamelModel):
    """``?level=``: that level and every more severe one (WARN → WARN and ERROR)."""

    level: LogLevel | None = None

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class ExecutionSummary(ResponseBody):
    id: uuid.UUID
    workflow_id: uuid.UUID
    workflow_name: str = Field(description="the workflow's name now (it may have been renamed since)")
    workflow_version: int
    status: ExecutionStatus
    mode: str
    started_at: UtcDatetime
    ended_at: UtcDatetime | None = None
    duration_ms: int | None = None


class NodeRun(CamelModel):
    node_id: str
    type: str
    status: str
    attempt: int
    started_at: UtcDatetime | None = None
    ended_at: UtcDatetime | None = None
    duration_ms: int | None = None
    input: JsonValue = None
    output: JsonValue = None
    error: JsonValue = None

    @classmethod
    def of(cls, state: ExecutionNodeState) -> NodeRun:
        return cls(
            node_id=state.node_id,
            type=state.node_type,
            status=str(state.status),
            attempt=state.attempt,
            started_at=state.started_at,
            ended_at=state.ended_at,
            duration_ms=_millis_between(state.started_at, state.ended_at),
            input=state.input,
            output=state.output,
            error=state.error,
        )


class ExecutionView(ExecutionSummary):
    trigger_data: JsonValue = None
    output: JsonValue = None
    error: JsonValue = None
    parent_execution_id: uuid.UUID | None = None
    retry_of: uuid.UUID | None = None
    nodes: list[NodeRun] = Field(default_factory=list)


class LogLine(CamelModel):
    ts: UtcDatetime
    level: LogLevel
    node_id: str | None = None
    message: str
    metadata: JsonValue = None

    @classmethod
    def of(cls, line: ExecutionLog) -> LogLine:
        return cls(
            ts=line.ts, level=line.level, node_id=line.node_id, message=line.message, metadata=line.meta
        )


class RetryBody(RequestBody):
    from_node_id: str | None = Field(default=None, min_length=1, max_length=255)


class ResumeBody(RequestBody):
    token: str = Field(min_length=1, max_length=512)
    data: JsonValue = None


class ResumeTokenBody(RequestBody):
    node_id: str | None = Field(default=None, min_length=1, max_length=200,
                                description="the waiting node; needed only when several wait")


class ResumeTokenOut(ResponseBody):
    node_id: str
    token: str = Field(description="shown only in this answer (its hash is stored); a new one replaces it")


class ExecutionAccepted(CamelModel):
    execution_id: uuid.UUID
    status: str


# --- routes -------------------------------------------------------------------------------------


def list_executions(request: Request) -> Response:
    from a2n.db.repositories.execution_queries import ExecutionFilter
    from a2n.services import execution_queries

    query = request.parse_query(ExecutionListQuery)
    page = page_request(request.query)
    where = ExecutionFilter(query.workflow_id, query.status, query.since, query.until)
    rows = execution_queries.list_executions(
        request.principal, where, limit=page.limit, after=_after(page.cursor)
    )
    found: Page[Execution] = page_of(rows, page.limit, lambda e: (e.started_at, e.id))
    items = [_summary(e, rows.workflow_names.get(e.workflow_id, "")) for e in found.items]
    return Response(200, PageOf[ExecutionSummary](items=items, next_cursor=found.next_cursor))


def get_execution(request: Request) -> Response:
    from a2n.services import execution_queries

    execution_id = execution_queries.execution_id_from_path(request.path_param("id"))
    detail = execution_queries.get_execution(request.principal, execution_id)
    summary = _summary(detail.execution, detail.workflow_name)
    view = ExecutionView(**summary.model_dump(), **_details(detail.execution))
    view.nodes = [NodeRun.of(state) for state in detail.nodes]
    return Response(200, view)


def list_execution_logs(request: Request) -> Response:
    from a2n.services import execution_queries

    execution_id = execution_queries.execution_id_from_path(request.path_param("id"))
    query = request.parse_query(LogQuery)
    page = page_request(request.query)
    rows = execution_queries.list_execution_logs(
        request.principal, execution_id, query.level, limit=page.limit, after=_after(page.cursor)
    )
    found: Page[ExecutionLog] = page_of(rows, page.limit, lambda line: (line.ts, line.id))
    return Response(200, PageOf[LogLine](items=[LogLine.of(line) for line in found.items],
                                         next_cursor=found.next_cursor))


def cancel_execution(request: Request) -> Response:
    from a2n.services import execution_commands, execution_queries

    execution_id = execution_queries.execution_id_from_path(request.path_param("id"))
    status = execution_commands.cancel(request.principal, execution_id, request.origin)
    return Response(202, ExecutionAccepted(execution_id=execution_id, status=status))


def retry_execution(request: Request) -> Response:
    from a2n.services import execution_commands, execution_queries

    execution_id = execution_queries.execution_id_from_path(request.path_param("id"))
    body = request.parse(RetryBody) if request.raw_body else RetryBody()
    started = execution_commands.retry(request.principal, execution_id, body.from_node_id, request.origin)
    return Response(202, ExecutionAccepted(execution_id=started.execution_id, status=started.status))


def resume_execution(request: Request) -> Response:
    from a2n.services import execution_commands, execution_queries

    execution_id = execution_queries.execution_id_from_path(request.path_param("id"))
    body = request.parse(ResumeBody)
    status = execution_commands.resume(
        request.principal, execution_id, body.token, body.data, request.origin
    )
    return Response(202, ExecutionAccepted(execution_id=execution_id, status=status))


def issue_resume_token(request: Request) -> Response:
    from a2n.services import execution_commands, execution_queries

    execution_id = execution_queries.execution_id_from_path(request.path_param("id"))
    body = request.parse(ResumeTokenBody) if request.raw_body else ResumeTokenBody()
    node_id, token = execution_commands.issue_resume_token(
        request.principal, execution_id, body.node_id, request.origin
    )
    return Response(201, ResumeTokenOut(node_id=node_id, token=token))


def delete_execution(request: Request) -> Response:
    from a2n.services import execution_commands, execution_queries

    execution_id = execution_queries.execution_id_from_path(request.path_param("id"))
    execution_commands.delete(request.principal, execution_id, request.origin)
    return Response.no_content()


# --- helpers of the routes above ----------------------------------------------------------------


def _summary(execution: Execution, workflow_name: str) -> ExecutionSummary:
    return ExecutionSummary(
        id=execution.id, workflow_id=execution.workflow_id, workflow_name=workflow_name,
        workflow_version=execution.workflow_version, status=execution.status, mode=execution.mode,
        started_at=execution.started_at, ended_at=execution.ended_at, duration_ms=execution.duration_ms,
    )  # fmt: skip


def _details(execution: Execution) -> dict[str, Any]:
    return {
        "trigger_data": execution.trigger_data, "output": execution.output, "error": execution.error,
        "parent_execution_id": execution.parent_execution_id, "retry_of": execution.retry_of,
    }  # fmt: skip


def _after(cursor: Cursor | None) -> After | None:
    from a2n.db.repositories.execution_queries import After

    if cursor is None:
        return None
    try:
        return After(key=cursor.sort_key_datetime(), id=uuid.UUID(cursor.id))
    except ValueError:
        raise BadRequest("Invalid cursor") from None




def _millis_between(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return int((end - start).total_seconds() * 1000)


_TAGS = ("Executions",)
_PAGE = (
    QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
    QueryParam("cursor", description="nextCursor of the previous page"),
)
_STATUS_LIST: dict[str, Any] = {"type": "string", "description": "one status or a comma-separated list"}
_INSTANT: dict[str, Any] = {"type": "string", "format": "date-time"}

ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "GET",
        "/executions",
        "List executions (newest first)",
        response_model=PageOf[ExecutionSummary],
        tags=_TAGS,
        query=(
            QueryParam("workflowId", {"type": "string", "format": "uuid"}),
            QueryParam("status", _STATUS_LIST),
            QueryParam("since", _INSTANT, description="started at or after"),
            QueryParam("until", _INSTANT, description="started before"),
            *_PAGE,
        ),
    ),
    RouteDoc(
        "GET", "/executions/{id}", "An execution with its nodes", response_model=ExecutionView, tags=_TAGS
    ),
    RouteDoc(
        "GET",
        "/executions/{id}/logs",
        "Log lines of an execution (oldest first)",
        response_model=PageOf[LogLine],
        tags=_TAGS,
        query=(
            QueryParam("level", {"enum": [level.value for level in LogLevel]}, description="and above"),
            *_PAGE,
        ),
    ),
    RouteDoc(
        "POST",
        "/executions/{id}/cancel",
        "Cancel: no new node starts",
        response_model=ExecutionAccepted,
        status=202,
        tags=_TAGS,
        errors=(409,),
    ),
    RouteDoc(
        "POST",
        "/executions/{id}/retry",
        "Re-run as a new execution",
        request_model=RetryBody,
        body_required=False,
        response_model=ExecutionAccepted,
        status=202,
        tags=_TAGS,
        errors=(409, 429),
    ),
    RouteDoc(
        "POST",
        "/executions/{id}/resume",
        "Resume a waiting node with its token",
        request_model=ResumeBody,
        response_model=ExecutionAccepted,
        status=202,
        tags=_TAGS,
        errors=(409,),
    ),
    RouteDoc(
        "POST",
        "/executions/{id}/resume-token",
        "Issue the token of a node waiting to be resumed (shown once; a new one replaces it)",
        request_model=ResumeTokenBody,
        body_required=False,
        response_model=ResumeTokenOut,
        status=201,
        tags=_TAGS,
        errors=(409,),
    ),
    RouteDoc(
        "DELETE", "/executions/{id}", "Delete a finished execution", status=204, tags=_TAGS, errors=(409,)
    ),
)
