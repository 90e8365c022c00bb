"""Runs the template's Lambda handlers in this process, as warm containers would.

Each handler file is imported once by path under a unique module name (many are ``app.py``) and
called with an event and a ``LambdaContext``; invocations may run concurrently in threads.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from a2n.errors import ConfigurationError
from a2n.local.template import Function, Template

Handler = Callable[[Any, Any], Any]
_log = logging.getLogger("a2n.local")


@dataclass
class LambdaContext:
    """The attributes of the Lambda runtime's context object that handlers and Powertools read."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline_ms: int
    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = field(default=None)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))


def context_for(function: Function) -> LambdaContext:
    return LambdaContext(
        function_name=function.name,
        function_version="$LATEST",
        invoked_function_arn=function.arn,
        memory_limit_in_mb=function.memory_mb,
        aws_request_id=str(uuid.uuid4()),
        log_group_name=f"/aws/lambda/{function.name}",
        log_stream_name=f"local/[$LATEST]{uuid.uuid4().hex}",
        deadline_ms=int(time.time() * 1000) + function.timeout_s * 1000,
    )


class FunctionHost:
    """Imports handlers lazily, caches them (warm start) and invokes them by logical id."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Run one invocation; the handler's exception propagates, as the Lambda service reports it."""
        function = self.function(logical_id)
        handler = self.handler(logical_id)
        context = context_for(function)
        started = time.monotonic()
        try:
            return handler(event, context)
        finally:
            elapsed_ms = (time.monotonic() - started) * 1000
            if elapsed_ms > function.timeout_s * 1000:
                # Threads cannot be killed; say loudly that AWS would have cut this invocation off.
                _log.warning(
                    "%s ran %d ms, over its %d s timeout", logical_id, elapsed_ms, function.timeout_s
                )

    def function(self, logical_id: str) -> Function:
        """By logical id (unique across nested stacks) or, as ``sam local invoke``, ``Stack/LogicalId``."""
        stack, _, name = logical_id.rpartition("/")
        function = self.template.functions.get(name)
        if function is None or (stack and function.stack != stack):
            known = ", ".join(sorted(self.template.functions))
            raise ConfigurationError(f"no function {logical_id!r} in the template (known: {known})")
        return function

    def handler(self, logical_id: str) -> Handler:
        with self._lock:
            function = self.function(logical_id)
            if function.logical_id not in self._handlers:
                self._handlers[function.logical_id] = _import_handler(function)
            return self._handlers[function.logical_id]


def _import_handler(function: Function) -> Handler:
    module_path, _, attribute = function.handler.rpartition(".")
    source = function.code_uri.joinpath(*module_path.split(".")).with_suffix(".py")
    if not source.is_file():
        raise ConfigurationError(f"{function.logical_id}: handler file {source} not found")
    module = _load_module(f"a2n_local_fn.{function.logical_id}", source)
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise ConfigurationError(f"{function.logical_id}: {source} has no callable {attribute!r}")
    return handler  # type: ignore[no-any-return]


def _load_module(name: str, source: Any) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, source)
    if spec is None or spec.loader is None:
        raise ConfigurationError(f"cannot import {source}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
