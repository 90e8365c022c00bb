"""The local Lambda Invoke API: boto3's Lambda calls reach the template's functions without Docker.

Driven through ``a2n.adapters.lambda_invoke`` (what the code node uses) and a raw boto3 client,
against the fixture stack; any function of the template answers, as on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from a2n.adapters.lambda_invoke import FunctionCrashed, FunctionUnavailable, invoke_function
from a2n.local.runtime import LocalRuntime
from a2n.settings import get_settings

FIXTURES = Path(__file__).parents[1] / "fixtures" / "runtime"


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(FIXTURES / "template.yaml", serve=False, stack_name="fixture") as rt:
        yield rt


def lambda_client() -> Any:
    settings = get_settings()
    return boto3.client("lambda", endpoint_url=settings.lambda_endpoint_url, region_name=settings.aws_region)


def test_the_runtime_points_lambda_calls_at_itself_and_the_rest_at_moto(runtime: LocalRuntime) -> None:
    settings = get_settings()

    assert settings.lambda_endpoint_url is not None
    assert settings.lambda_endpoint_url != settings.aws_endpoint_url == runtime.moto.endpoint


def test_invoke_runs_the_function_with_the_event_and_returns_its_result(runtime: LocalRuntime) -> None:
    event = {"rawPath": "/echo/7", "pathParameters": {"id": "7"}}

    result = invoke_function("fixture-plain", event, max_run_s=5)

    body = json.loads(result["body"])
    assert body["event"] == event
    assert body["context"]["function_name"] == "fixture-plain"
    assert body["context"]["memory"] == 128


def test_a_function_is_found_by_name_arn_or_logical_id(runtime: LocalRuntime) -> None:
    arn = runtime.template.functions["PlainFunction"].arn
    for name in ("fixture-plain", arn, f"{arn}:$LATEST", "PlainFunction"):
        assert json.loads(invoke_function(name, {}, max_run_s=5)["body"])["event"] == {}, name


def test_a_handler_error_is_the_functions_error_as_on_aws(runtime: LocalRuntime) -> None:
    crash = json.loads((FIXTURES / "crash_event.json").read_text())

    with pytest.raises(FunctionCrashed, match="RuntimeError: the fixture crashed on purpose"):
        invoke_function("EchoFunction", crash, max_run_s=5)


def test_an_unknown_function_is_resource_not_found(runtime: LocalRuntime) -> None:
    with pytest.raises(FunctionUnavailable, match="ResourceNotFoundException: Function not found: nope"):
        invoke_function("nope", {}, max_run_s=5)


def test_event_and_dry_run_invocations_answer_like_lambda(runtime: LocalRuntime) -> None:
    client = lambda_client()

    queued = client.invoke(FunctionName="fixture-plain", InvocationType="Event", Payload=b"{}")
    checked = client.invoke(FunctionName="fixture-plain", InvocationType="DryRun", Payload=b"{}")

    assert queued["StatusCode"] == 202
    assert checked["StatusCode"] == 204


def test_a_payload_that_is_not_json_is_refused(runtime: LocalRuntime) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as refused:
        lambda_client().invoke(FunctionName="fixture-plain", Payload=b"{not json")

    assert refused.value.response["Error"]["Code"] == "InvalidRequestContentException"
