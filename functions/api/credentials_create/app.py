"""POST /credentials — store a credential (data encrypted, never returned)."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.credentials import create_credential

_handle = route(create_credential)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
