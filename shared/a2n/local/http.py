"""The local HTTP API: a threading HTTP server on loopback that plays API Gateway (payload 2.0).

Requests are matched to the template's routes, pass through the Lambda authorizer when the route
has one, and reach the route's function; its result is mapped back like API Gateway does.
"""

from __future__ import annotations

import errno
import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from a2n.local import apigw
from a2n.local.functions import FunctionHost
from a2n.local.ports import API_REMEDY, port_in_use
from a2n.local.template import Template

# API Gateway's hard limit on request payloads.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
_log = logging.getLogger("a2n.local")

ROUTABLE_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


class _ApiServer(ThreadingHTTPServer):
    # socketserver's default backlog of 5 resets connections under a burst of concurrent clients
    # (seen at 16 in `a2n bench`); API Gateway queues them, so the stand-in must too.
    request_queue_size = 256


LocalRoute = Callable[[apigw.HttpRequest], apigw.HttpResponse]


class ApiGateway:
    """Route → authorizer → function, over ``apigw``'s pure request/response mapping.

    ``local_routes`` (exact path → answer) are the runtime's own development pages, such as
    ``/dev/mailbox``: no template declares them, so they exist only here, never on AWS.
    """

    def __init__(
        self,
        template: Template,
        functions: FunctionHost,
        local_routes: Mapping[str, LocalRoute] | None = None,
    ) -> None:
        self.template = template
        self.functions = functions
        self.local_routes = dict(local_routes or {})

    def handle(self, request: apigw.HttpRequest) -> apigw.HttpResponse:
        local = self.local_routes.get(request.raw_path)
        if local is not None:
            return local(request)
        match = apigw.match_route(self.template.routes, request.method, request.raw_path)
        if match is None:
            return apigw.gateway_error(404, "Not Found")
        context: Any = None
        if match.route.authorizer is not None:
            outcome = self._authorize(request, match, match.route.authorizer)
            if isinstance(outcome, apigw.HttpResponse):
                return outcome
            context = outcome
        try:
            result = self.functions.invoke(match.route.function, apigw.build_event(request, match, context))
        except Exception:
            _log.exception("%s failed", match.route.function)
            return apigw.gateway_error(500, "Internal Server Error")
        try:
            return apigw.map_result(result)
        except apigw.MalformedResult as malformed:
            _log.error("%s answered a response that cannot be sent: %s", match.route.function, malformed)
            return apigw.gateway_error(500, "Internal Server Error")

    def _authorize(self, request: apigw.HttpRequest, match: apigw.RouteMatch, name: str) -> Any:
        """The authorizer's context, or the gateway's 401/403/500 response."""
        authorizer = self.template.authorizers[name]
        headers = {k.lower(): v for k, v in request.headers}
        identity = [headers.get(h.lower()) for h in authorizer.identity_headers]
        if any(value is None for value in identity):
            return apigw.gateway_error(401, "Unauthorized")  # API Gateway skips the authorizer
        event = apigw.build_authorizer_event(request, match, [v for v in identity if v is not None])
        try:
            answer = self.functions.invoke(authorizer.function, event)
        except Exception:
            _log.exception("authorizer %s failed", authorizer.function)
            return apigw.gateway_error(500, "Internal Server Error")
        if not _is_allowed(answer, simple=authorizer.simple_responses):
            return apigw.gateway_error(403, "Forbidden")
        return (answer or {}).get("context") or {}


def _is_allowed(answer: Any, *, simple: bool) -> bool:
    if not isinstance(answer, dict):
        return False
    if simple:
        return answer.get("isAuthorized") is True
    statements = (answer.get("policyDocument") or {}).get("Statement") or []
    return any(s.get("Effect") == "Allow" for s in statements) and not any(
        s.get("Effect") == "Deny" for s in statements
    )


class _RequestHandler(BaseHTTPRequestHandler):
    gateway: ApiGateway  # set on the subclass built per server
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        started = time.monotonic()
        response = self._respond()
        self.send_response(response.status)
        for name, value in response.headers:
            if name not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
        elapsed_ms = (time.monotonic() - started) * 1000
        sys.stderr.write(f"{self.command} {self.path} {response.status} {elapsed_ms:.0f}ms\n")

    def _respond(self) -> apigw.HttpResponse:
        if self.command not in ROUTABLE_METHODS:
            # HTTP APIs route only these methods; anything else (TRACE, CONNECT …) matches no route.
            self.close_connection = True
            return apigw.gateway_error(404, "Not Found")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            self.close_connection = True  # the unread body cannot be reused as the next request
            return apigw.gateway_error(413, "Request Entity Too Large")
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        request = apigw.HttpRequest(
            method=self.command,
            raw_path=path,
            raw_query=query,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        return self.gateway.handle(request)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def __getattr__(self, name: str) -> Any:
        # http.server answers methods it has no do_X for with its own 501 page; API Gateway routes
        # none of them (TRACE, CONNECT, QUERY …): let _respond answer as the gateway does.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: ``_serve`` logs one line per request with its duration."""


class LoopbackServer:
    """Serves ``handler`` on 127.0.0.1 in a background thread; ``port=0`` picks a free port."""

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], *, port: int = 0, name: str = "a2n-http",
        what: str = "the HTTP API", remedy: str = API_REMEDY,
    ) -> None:  # fmt: skip
        try:
            self._server = _ApiServer(("127.0.0.1", port), handler)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise port_in_use(port, what, remedy) from None
        self._server.daemon_threads = True
        self._name = name
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()


class HttpApiServer(LoopbackServer):
    """Serves an ``ApiGateway`` (the template's HTTP API)."""

    def __init__(self, gateway: ApiGateway, *, port: int = 0) -> None:
        super().__init__(type("BoundRequestHandler", (_RequestHandler,), {"gateway": gateway}), port=port)
