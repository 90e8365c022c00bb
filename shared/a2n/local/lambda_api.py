"""The Lambda Invoke API for the template's functions, on loopback (``AWS_ENDPOINT_URL_LAMBDA``).

moto implements Invoke by running the function in Docker, which ``a2n dev`` does without; so boto3's
Lambda calls come here instead and run the function's handler through the ``FunctionHost``, as
every other event does. Any function of the template can be invoked this way; the code node's
sandbox is the one that needs it. RequestResponse, Event (in a background thread) and DryRun.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from a2n.local.functions import FunctionHost
from a2n.local.http import LoopbackServer

_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<function>[^/]+)/invocations$")
# Lambda's quota for a synchronous request payload.
MAX_REQUEST_BYTES = 6 * 1024 * 1024
_log = logging.getLogger("a2n.local")


@dataclass(frozen=True)
class LambdaAnswer:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


class LambdaApi:
    """Invoke semantics over the ``FunctionHost``: the answers and headers boto3 expects."""

    def __init__(self, functions: FunctionHost) -> None:
        self.functions = functions

    def invoke(self, function_name: str, invocation_type: str, payload: bytes) -> LambdaAnswer:
        function = self.functions.template.function_by_arn(function_name)
        if function is None:
            return _error(404, "ResourceNotFoundException", f"Function not found: {function_name}")
        try:
            event = json.loads(payload) if payload.strip() else {}
        except ValueError:
            return _error(400, "InvalidRequestContentException", "Could not parse request body into json")
        if invocation_type == "DryRun":
            return LambdaAnswer(204)
        if invocation_type == "Event":
            threading.Thread(target=self._run, args=(function.logical_id, event), daemon=True).start()
            return LambdaAnswer(202)
        if invocation_type != "RequestResponse":
            unsupported = f"unsupported InvocationType {invocation_type}"
            return _error(400, "InvalidParameterValueException", unsupported)
        return self._run(function.logical_id, event)

    def _run(self, logical_id: str, event: Any) -> LambdaAnswer:
        executed = {"X-Amz-Executed-Version": "$LATEST"}
        try:
            result = self.functions.invoke(logical_id, event)
            return LambdaAnswer(200, json.dumps(result).encode(), executed)
        except Exception as error:  # the handler's failure is the function's answer, as on AWS
            _log.exception("%s failed", logical_id)
            body = {"errorMessage": str(error), "errorType": type(error).__name__,
                    "stackTrace": traceback.format_tb(error.__traceback__)}  # fmt: skip
            failed = {**executed, "X-Amz-Function-Error": "Unhandled"}
            return LambdaAnswer(200, json.dumps(body, default=str).encode(), failed)


def _error(status: int, code: str, message: str) -> LambdaAnswer:
    body = json.dumps({"Type": "User", "message": message}).encode()
    return LambdaAnswer(status, body, {"X-Amzn-ErrorType": code})


class _InvokeHandler(BaseHTTPRequestHandler):
    api: LambdaApi  # set on the subclass built per server
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, the body waits for the client's delayed
    # ACK of the headers (~40 ms per call on Linux), which doubled the code node's local Invoke time.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        started = time.monotonic()
        match = _INVOKE_PATH.match(self.path.partition("?")[0])
        length = int(self.headers.get("Content-Length") or 0)
        if match is None:
            self.close_connection = True
            answer = _error(404, "UnknownOperationException", "not an Invoke call")
        elif length > MAX_REQUEST_BYTES:
            self.close_connection = True  # the unread body cannot be reused as the next request
            too_large = f"Request must be smaller than {MAX_REQUEST_BYTES} bytes"
            answer = _error(413, "RequestTooLargeException", too_large)
        else:
            payload = self.rfile.read(length)
            kind = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
            answer = self.api.invoke(unquote(match["function"]), kind, payload)
        self.send_response(answer.status)
        for name, value in {"Content-Type": "application/json", **answer.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)
        elapsed_ms = (time.monotonic() - started) * 1000
        sys.stderr.write(f"Lambda Invoke {self.path.split('/')[3]} {answer.status} {elapsed_ms:.0f}ms\n")

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: ``do_POST`` logs one line per call with its duration."""


class LambdaApiServer(LoopbackServer):
    """Serves a ``LambdaApi`` for the runtime's functions."""

    def __init__(self, functions: FunctionHost, *, port: int = 0) -> None:
        handler = type("BoundInvokeHandler", (_InvokeHandler,), {"api": LambdaApi(functions)})
        super().__init__(handler, port=port, name="a2n-lambda-api")
