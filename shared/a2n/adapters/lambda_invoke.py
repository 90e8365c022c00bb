"""Lambda adapter: synchronous invocations of another function (the code node's sandbox).

The only module that calls the Lambda API. The client is built on first use and cached per
container; it goes to ``lambda_endpoint_url`` when set (``a2n dev`` serves the Invoke API itself,
because moto's runs functions in Docker), else to the usual AWS endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

# A synchronous invocation carries at most 6 MB each way (Lambda quota).
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
_CONNECT_TIMEOUT_S = 5
# Beyond the sandbox's own wall-time ceiling, time for its process start and its answer.
_READ_MARGIN_S = 15


class PayloadTooLarge(ValueError):
    """The request is over what a synchronous invocation carries; nothing was sent."""

    def __init__(self, size: int) -> None:
        super().__init__(f"payload is {size} bytes, over {MAX_PAYLOAD_BYTES}")
        self.size = size


class FunctionBusy(Exception):
    """The function is at its (reserved) concurrency: throttled, nothing ran."""


class FunctionUnavailable(Exception):
    """The Lambda API could not be reached or refused the call (not found, no permission …)."""


class FunctionCrashed(Exception):
    """The function ran but failed as a whole: an unhandled error, its timeout, out of memory."""


def invoke_function(function: str, payload: Mapping[str, Any], *, max_run_s: float) -> Any:
    """Invoke ``function`` with ``payload`` and wait up to ``max_run_s`` (plus a margin) for its
    JSON answer; no automatic retry (a run is not idempotent: the caller's retry policy decides)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from a2n.settings import get_settings

    settings = get_settings()
    endpoint = settings.lambda_endpoint_url or settings.aws_endpoint_url
    body = json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()
    if len(body) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(len(body))
    try:
        answer = _client(endpoint, settings.aws_region, int(max_run_s) + _READ_MARGIN_S).invoke(
            FunctionName=function, InvocationType="RequestResponse", Payload=body
        )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("TooManyRequestsException", "ThrottlingException"):
            raise FunctionBusy(code) from error
        raise FunctionUnavailable(f"{code}: {error.response.get('Error', {}).get('Message', '')}") from error
    except BotoCoreError as error:
        raise FunctionUnavailable(str(error)) from error
    text = answer["Payload"].read()
    if answer.get("FunctionError"):
        raise FunctionCrashed(_crash_message(text))
    try:
        return json.loads(text)
    except ValueError as error:
        raise FunctionCrashed(f"answer is not JSON ({error})") from error


def _crash_message(text: bytes) -> str:
    try:
        detail = json.loads(text)
    except ValueError:
        return text[:500].decode("utf-8", "replace")
    if isinstance(detail, dict):
        return f"{detail.get('errorType', 'Error')}: {detail.get('errorMessage', '')}"[:500]
    return str(detail)[:500]


def reset_client() -> None:
    """Forget the cached clients (tests and the local runtime switch endpoints)."""
    _client.cache_clear()


@lru_cache(maxsize=4)
def _client(endpoint_url: str | None, region: str, read_timeout_s: int) -> LambdaClient:
    """One client per endpoint (a new local runtime is a new endpoint) and read timeout."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=_CONNECT_TIMEOUT_S,
        read_timeout=read_timeout_s,
        retries={"total_max_attempts": 1},
    )
    return boto3.client("lambda", region_name=region, endpoint_url=endpoint_url, config=config)
