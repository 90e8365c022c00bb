"""SendMessageBatch as one hand-signed POST on a kept-alive connection: the lean path of adapters.sqs,
because botocore's client spends ~2 ms CPU a call (endpoint rules, hooks, signing) of the 3 ms a node
step may take (§11). Anything raised here makes adapters.sqs send the batch through boto3 instead.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from a2n.adapters import http_keepalive
from a2n.adapters.http_keepalive import Endpoint, endpoint_of, origin_of, post
from a2n.adapters.sigv4 import authorization

if TYPE_CHECKING:
    from botocore.credentials import Credentials

# botocore/data/sqs/2012-11-05/service-2.json: protocol "json", jsonVersion 1.0, targetPrefix AmazonSQS.
TARGET = "AmazonSQS.SendMessageBatch"
CONTENT_TYPE = "application/x-amz-json-1.0"
SERVICE = "sqs"


class WireError(Exception):
    """SQS answered something other than a parsable 200 (the message names status and error type)."""


def send_message_batch(
    queue_url: str, entries: Sequence[Mapping[str, Any]], *, region: str, endpoint_url: str | None = None
) -> set[str]:
    """The ids SQS lists as failed (or not as successful); raises when the call as a whole failed.
    Sent to ``endpoint_url`` when given (moto), else to the queue URL's scheme://host[:port]."""
    endpoint = endpoint_of(endpoint_url) if endpoint_url else origin_of(queue_url)
    frozen = _credentials().get_frozen_credentials()  # per call, so refreshable ones stay fresh
    if not frozen.access_key or not frozen.secret_key:
        raise WireError("incomplete AWS credentials")
    body, headers = build_request(
        endpoint,
        queue_url,
        entries,
        region=region,
        access_key=frozen.access_key,
        secret_key=frozen.secret_key,
        token=frozen.token,
        amz_date=time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
    )
    status, answer = post(endpoint, body, headers)
    if status != 200:
        raise WireError(f"HTTP {status} {_error_type(answer)}")
    try:
        result = json.loads(answer)
        accepted = {entry["Id"] for entry in result.get("Successful", ())}
        rejected = {entry["Id"] for entry in result.get("Failed", ())}
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise WireError(f"unparsable SendMessageBatch answer ({type(error).__name__})") from None
    return rejected | ({entry["Id"] for entry in entries} - accepted)


def build_request(
    endpoint: Endpoint,
    queue_url: str,
    entries: Sequence[Mapping[str, Any]],
    *,
    region: str,
    access_key: str,
    secret_key: str,
    token: str | None,
    amz_date: str,
) -> tuple[bytes, dict[str, str]]:
    """The body and headers (every one signed, plus Authorization) of one SendMessageBatch call."""
    body = json.dumps({"QueueUrl": queue_url, "Entries": entries}, separators=(",", ":")).encode()
    headers = {
        "host": endpoint.host_header,
        "x-amz-date": amz_date,
        "x-amz-target": TARGET,
        "content-type": CONTENT_TYPE,
    }
    if token:
        headers["x-amz-security-token"] = token
    headers["authorization"] = authorization(
        method="POST",
        path=endpoint.path,
        headers=headers,
        payload_hash=hashlib.sha256(body).hexdigest(),
        access_key=access_key,
        secret_key=secret_key,
        region=region,
        service=SERVICE,
        amz_date=amz_date,
    )
    return body, headers


def reset() -> None:
    """Close idle connections and forget the credentials (tests switch servers and accounts)."""
    http_keepalive.reset()
    _credentials.cache_clear()


@lru_cache(maxsize=1)
def _credentials() -> Credentials:
    import boto3

    credentials = boto3.Session().get_credentials()  # botocore's resolver chain, once per container
    if credentials is None:
        raise WireError("no AWS credentials found")
    return credentials


def _error_type(answer: bytes) -> str:
    """``QueueDoesNotExist`` out of ``{"__type": "com.amazonaws.sqs#QueueDoesNotExist", …}``."""
    try:
        return str(json.loads(answer).get("__type", "")).rpartition("#")[2]
    except (ValueError, AttributeError):
        return ""
