"""What each credential type's ``data`` must hold (API.md "Types"), checked before encryption.

Problems point at ``/data/<field>`` and their messages never quote the submitted value: pydantic's
own messages are replaced by fixed texts, because the value is a secret.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from a2n.errors import Problem, ValidationFailed, json_pointer

CREDENTIAL_TYPES = ("api_key", "bearer", "basic", "oauth2_client_credentials", "oauth2", "custom_headers")
CredentialType = Literal[
    "api_key", "bearer", "basic", "oauth2_client_credentials", "oauth2", "custom_headers"
]

MAX_SECRET_CHARS = 16_384
MAX_HEADERS = 50
# RFC 9110 token: what a header or query-parameter name may be.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$")
_LOOPBACK_HOSTS = frozenset({"localhost"})

Secret = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SECRET_CHARS)]


def _token_name(value: str) -> str:
    if not _TOKEN.match(value):
        raise ValueError("Must be a header/parameter name (letters, digits and !#$%&'*+.^_`|~-)")
    return value


def _header_value(value: str) -> str:
    # A CR or LF would let the value start a second header (request smuggling).
    if any(ch in value for ch in "\r\n\0"):
        raise ValueError("Must not contain line breaks or NUL")
    return value


def _token_url(value: str) -> str:
    """https, or http to a loopback host (local development); the SSRF guard still applies at use."""
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        raise ValueError("Must be an absolute https URL") from None
    if not host or parts.scheme not in {"https", "http"}:
        raise ValueError("Must be an absolute https URL")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ValueError("Must use https (http is allowed only for loopback hosts)")
    if parts.username or parts.password:
        raise ValueError("Must not contain user information; use clientId/clientSecret")
    return value


def _basic_user(value: str) -> str:
    # RFC 7617: the user-id cannot contain a colon (it separates user from password).
    if ":" in value:
        raise ValueError("Must not contain ':'")
    return value


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


Name = Annotated[str, AfterValidator(_token_name)]
HeaderSecret = Annotated[Secret, AfterValidator(_header_value)]
TokenUrl = Annotated[str, StringConstraints(max_length=2048), AfterValidator(_token_url)]


class _Data(BaseModel):
    # Validated from JSON text in strict mode: 1 is not "1", and dates arrive as ISO strings.
    model_config = ConfigDict(extra="forbid", strict=True, alias_generator=to_camel)


class ApiKeyData(_Data):
    key: HeaderSecret
    in_: Literal["header", "query"] = Field(default="header", alias="in")
    name: Name


class BearerData(_Data):
    token: HeaderSecret


class BasicData(_Data):
    username: Annotated[str, StringConstraints(max_length=MAX_SECRET_CHARS), AfterValidator(_basic_user)]
    password: Annotated[str, StringConstraints(max_length=MAX_SECRET_CHARS)]


class OAuth2ClientCredentialsData(_Data):
    token_url: TokenUrl
    client_id: Secret
    client_secret: Secret
    scope: Annotated[str, StringConstraints(max_length=2048)] | None = None


class OAuth2Data(_Data):
    access_token: HeaderSecret
    refresh_token: Secret | None = None  # some providers issue none
    token_url: TokenUrl
    client_id: Secret
    client_secret: Secret
    expires_at: AwareDatetime | None = None  # unknown expiry: the node refreshes on a 401


class CustomHeadersData(_Data):
    headers: Annotated[dict[Name, HeaderSecret], Field(min_length=1, max_length=MAX_HEADERS)]


DATA_MODELS: dict[str, type[_Data]] = {
    "api_key": ApiKeyData,
    "bearer": BearerData,
    "basic": BasicData,
    "oauth2_client_credentials": OAuth2ClientCredentialsData,
    "oauth2": OAuth2Data,
    "custom_headers": CustomHeadersData,
}

# Fixed texts by pydantic error type: none of them can contain the input.
_MESSAGES = {
    "missing": "This field is required",
    "extra_forbidden": "Unknown field for this credential type",
    "string_type": "Must be a string",
    "string_too_short": "Must not be empty",
    "string_too_long": "Is too long",
    "literal_error": "Must be 'header' or 'query'",
    "dict_type": "Expected a JSON object",
    "model_type": "Expected a JSON object",
    "too_short": "Must have at least one entry",
    "too_long": f"Must have at most {MAX_HEADERS} entries",
    "datetime_type": "Must be an ISO-8601 date-time with a time zone",
    "datetime_parsing": "Must be an ISO-8601 date-time with a time zone",
    "datetime_from_date_parsing": "Must be an ISO-8601 date-time with a time zone",
    "timezone_aware": "Must be an ISO-8601 date-time with a time zone",
}


def normalize_data(credential_type: str, data: Any) -> dict[str, Any]:
    """``data`` checked against its type's shape and returned as the JSON to encrypt.

    Raises ValidationFailed whose problems point at ``/data/...`` and never echo a value.
    """
    from pydantic import ValidationError

    model = DATA_MODELS.get(credential_type)
    if model is None:
        return {}  # the type itself is reported by the request model
    if not isinstance(data, dict):
        raise ValidationFailed([Problem("/data", "Expected a JSON object")])
    try:
        parsed = model.model_validate_json(json.dumps(data))
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        raise ValidationFailed([_problem(err) for err in errors]) from None
    return parsed.model_dump(mode="json", by_alias=True, exclude_none=True)


def field_names(credential_type: str, data: dict[str, Any]) -> list[str]:
    """Names of the keys in ``data`` (never values); custom header names as ``headers.<name>``."""
    names = [k for k in data if k != "headers" or credential_type != "custom_headers"]
    if credential_type == "custom_headers" and isinstance(data.get("headers"), dict):
        names += [f"headers.{name}" for name in data["headers"]]
    return sorted(names)


def _problem(err: Any) -> Problem:
    # The loc holds field names (and custom header names), which are not secret; values never are used.
    loc = [part for part in err["loc"] if part != "[key]"]
    message = _MESSAGES.get(err["type"])
    if message is None and err["type"] == "value_error":
        # Our own validators' texts are fixed strings and never include the value.
        message = str(err["msg"]).removeprefix("Value error, ")
    return Problem(json_pointer(["data", *loc]), message or "Invalid value")
