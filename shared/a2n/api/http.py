"""The route-function toolkit: ``@route`` turns ``fn(request) -> Response`` into a Lambda handler.

Each Lambda serves one route, so there is no router: ``route`` builds the Request, maps every
A2NError to problem+json in one place, answers 503 + Retry-After while Postgres is unreachable, hides
unexpected errors behind a generic 500, and logs with the request's correlation id (never bodies or
Authorization headers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from a2n.api.request import Request
from a2n.api.response import PROBLEM_JSON, Response, iso_utc, render
from a2n.errors import A2NError, BadRequest, DatabaseUnavailable, Forbidden, Unauthorized

__all__ = ["PROBLEM_JSON", "Request", "Response", "iso_utc", "route"]

RouteResult = Response | tuple[int, Any]
RouteFunction = Callable[[Request], RouteResult]
LambdaHandler = Callable[[Mapping[str, Any], Any], dict[str, Any]]


def route(fn: RouteFunction) -> LambdaHandler:
    """Wrap a route function as ``lambda_handler(event, context)``."""

    @wraps(fn)
    def lambda_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        from a2n.observability import get_logger
        from a2n.settings import get_settings

        logger = get_logger()
        try:
            request = Request.from_event(event, max_body_bytes=get_settings().max_body_bytes)
            _tag_logs(logger, request, context)
            _refuse_while_unavailable(request)
            _refuse_rejected_credentials(request)
            _refuse_by_policy(request)
            _refuse_over_rate(request)
            _refuse_unstorable_parameters(request)
            return render(_as_response(fn(request)))
        except A2NError as error:
            log = logger.warning if error.status >= 500 else logger.info
            log("request refused", extra={"status": error.status, "problem": error.type_slug})
            return render(Response.problem(error))
        except Exception as error:
            from a2n.db.session import is_database_unavailable

            if is_database_unavailable(error):  # not a bug: an outage the client may wait out
                logger.warning("database unreachable", exc_info=True)
                return render(Response.problem(DatabaseUnavailable()))
            # Anything else is a bug: log it with its traceback, tell the client nothing about it.
            logger.exception("unhandled error in route")
            return render(Response.problem(A2NError()))

    return lambda_handler


def _refuse_while_unavailable(request: Request) -> None:
    """The authorizer could not reach Postgres: it let the request through marked ``unavailable``
    (a deny would be the gateway's 403, which tells clients not to retry). Answer 503 here."""
    if request.authorizer and "unavailable" in request.authorizer:
        raise DatabaseUnavailable()


def _refuse_rejected_credentials(request: Request) -> None:
    """The authorizer passes invalid credentials through (HTTP APIs can only deny with 403) marked
    with ``authError``: answer 401 here, before the route function runs."""
    if request.authorizer and "authError" in request.authorizer:
        raise Unauthorized(str(request.authorizer["authError"]) or "Invalid credentials")


def _refuse_by_policy(request: Request) -> None:
    """A workspace policy refused a valid caller (``policyError``, e.g. two-factor required)."""
    if request.authorizer and "policyError" in request.authorizer:
        raise Forbidden(str(request.authorizer["policyError"]) or "Refused by a workspace policy")


def _refuse_over_rate(request: Request) -> None:
    """An API key over its per-minute limit (``rateLimited``: seconds until its window ends)."""
    if request.authorizer and "rateLimited" in request.authorizer:
        from a2n.errors import RateLimited

        refusal = RateLimited("This API key is over its requests-per-minute limit; retry after Retry-After")
        seconds = str(request.authorizer["rateLimited"])
        refusal.retry_after_s = int(seconds) if seconds.isdigit() else 60
        raise refusal


def _refuse_unstorable_parameters(request: Request) -> None:
    """A query or path parameter holding NUL (``%00``) or invalid Unicode would fail in Postgres."""
    from a2n.storable import has_unstorable_text

    if has_unstorable_text([request.query, request.path_params]):
        raise BadRequest("Query or path parameters contain NUL or invalid Unicode")


def _as_response(result: RouteResult) -> Response:
    if isinstance(result, Response):
        return result
    status, body = result
    return Response(status=status, body=body)


def _tag_logs(logger: Any, request: Request, context: Any) -> None:
    # Keys persist across warm invocations (and, under `a2n dev`, across functions sharing one
    # process): start every request from a clean slate.
    logger.clear_state()
    logger.set_correlation_id(request.request_id or None)
    keys: dict[str, Any] = {"route": request.route_key or f"{request.method} {request.path}"}
    if request.authorizer:
        # Raw values only: parsing the principal here would turn a bad context into a log error.
        keys["user_id"] = request.authorizer.get("userId")
        keys["workspace_id"] = request.authorizer.get("workspaceId")
    aws_request_id = getattr(context, "aws_request_id", None)
    if aws_request_id:
        keys["function_request_id"] = aws_request_id
    logger.append_keys(**keys)
