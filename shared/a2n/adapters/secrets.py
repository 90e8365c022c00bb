"""Secrets Manager reads through Powertools parameters, cached per container.

A warm Lambda reads each secret at most once per max age; the first read pays the API call.
"""

from __future__ import annotations

SECRET_MAX_AGE_S = 300


def get_secret_string(arn: str) -> str:
    """The secret's string value (the Secrets Manager client honours AWS_ENDPOINT_URL locally)."""
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_secret(arn, max_age=SECRET_MAX_AGE_S)
    if not isinstance(value, str):
        raise TypeError(f"Secret {arn} holds binary data; a string was expected")
    return value


def clear_secret_cache() -> None:
    """Forget cached secrets and clients (tests; after a rotation the caller knows about)."""
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()  # type: ignore[no-untyped-call]
