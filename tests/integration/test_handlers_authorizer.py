"""The HTTP API's Lambda authorizer fails closed until credential checks exist."""

from __future__ import annotations

from lambda_handlers import FakeLambdaContext, load_function, sample_event


def test_authorizer_denies_a_request_with_a_bearer_token() -> None:
    handler = load_function("functions/auth/authorizer").lambda_handler

    result = handler(sample_event("authorizer-request.json"), FakeLambdaContext())

    # Simple-response format: exactly this key, and nothing that could be read as a grant.
    assert result == {"isAuthorized": False}


def test_authorizer_denies_a_request_without_any_identity() -> None:
    handler = load_function("functions/auth/authorizer").lambda_handler
    event = sample_event("authorizer-request.json")
    event["headers"].pop("authorization")
    event["identitySource"] = []

    assert handler(event, FakeLambdaContext()) == {"isAuthorized": False}
